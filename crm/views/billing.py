"""Regular payments on the web: the billing list by month and the deal card's invoice actions."""

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from admin24 import worktime
from admin24.access import Action, filter_queryset, require
from admin24.boards.board import card_url
from admin24.fragments import Fragment, amount_writer, day_writer, joined
from admin24.workflow import DomainError

from ..models import Contract, Deal
from ..services import billing, renewal
from ..services.deals import deal_attach_file
from .common import readable_or_404

PAGE_SIZE = 100


class InvoiceForm(forms.Form):
    invoice = forms.FileField(label=gettext_lazy("Invoice file"))
    number = forms.CharField(label=gettext_lazy("Invoice number"), max_length=50, required=False)


class RenewalContractForm(forms.Form):
    renewal_contract = forms.FileField(label=gettext_lazy("Renewal contract"))


class ContractEndForm(forms.Form):
    ends_on = forms.DateField(label=gettext_lazy("Contract end date"), required=False)


def _month(value: str | None) -> datetime.date | None:
    try:
        return datetime.datetime.strptime(value or "", "%Y-%m").date()
    except ValueError:
        return None


def _shift(month: datetime.date, by: int) -> datetime.date:
    return worktime.add_months(month, by)


ROW = Fragment(
    '\n    <tr data-status="{status}">\n      <td class="text-nowrap">{start} – {end}</td>\n'
    '      <td>{company}</td>\n      <td><a href="{url}">{title}</a></td>\n'
    '      <td class="text-end text-nowrap">{amount} {currency}</td>\n'
    '      <td><span class="badge text-bg-{badge}">{label}</span></td>\n      <td>{responsible}</td>\n    </tr>'
)
COMPANY = Fragment('<a href="{url}">{name}</a>')
BADGES = {
    billing.BillingStatus.NOT_ATTACHED: "warning",
    billing.BillingStatus.FAILED: "secondary",
    billing.BillingStatus.DOCUMENTS_RECEIVED: "success",
}


def _rows_html(rows: list[tuple[Deal, str]]) -> str:
    """The page's rows as HTML (``admin24.fragments``): the labels and the date format read once,
    where the template resolved some twenty variables and filters per row."""
    day = day_writer(formats.get_format("SHORT_DATE_FORMAT"))
    amount = amount_writer()
    labels = {status: str(label) for status, label in billing.BillingStatus.LABELS.items()}
    written = []
    for deal, status in rows:
        company = ""
        if deal.company_id:
            company = COMPANY.render(url=card_url("crm:company-detail", deal.company_id), name=deal.company.name)
        written.append(
            ROW.render(
                status=status,
                start=day(deal.period_start) if deal.period_start else "",
                end=day(deal.period_end) if deal.period_end else "",
                company=company,
                url=card_url("crm:deal-detail", deal.pk),
                title=deal.title,
                amount=amount(deal.amount),
                currency=deal.currency,
                badge=BADGES.get(status, "info"),
                label=labels.get(status, status),
                responsible=deal.responsible.full_name if deal.responsible_id else "",
            )
        )
    return joined(written)


@login_required
def billing_list(request):
    """Deals by paid period with their billing status, one month at a time (this month by default)."""
    asked = request.GET.get("month", "")
    month = _month(asked)
    if asked and month is None:
        messages.error(request, _("Give the month as YYYY-MM, e.g. 2027-03."))
    month = month or timezone.localdate().replace(day=1)
    deals = filter_queryset(request.user, billing.billing_deals(month=month), Action.READ)
    page = Paginator(deals, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(deal, billing.billing_status(deal)) for deal in page]
    context = {
        "section": "billing",
        "month": month,
        "previous_month": _shift(month, -1),
        "next_month": _shift(month, 1),
        "page": page,
        "rows": rows,
        "rows_html": _rows_html(rows),
    }
    return render(request, "crm/billing/list.html", context)


def _deal(request, pk: int) -> Deal:
    deal = readable_or_404(request.user, Deal.objects.select_related("contact", "company"), pk)
    require(request.user, deal, Action.EDIT)
    return deal


def _report(request, outcome: billing.InvoiceOutcome) -> None:
    if outcome.sent:
        messages.success(
            request, _("The invoice is sent to %(address)s.") % {"address": outcome.deal.contact.first_email}
        )
    else:
        messages.warning(request, _("The invoice is not sent: %(why)s") % {"why": outcome.problem})


def _back(pk: int):
    return redirect("crm:deal-detail", pk=pk)


@login_required
@require_POST
def invoice_upload(request, pk: int):
    deal = _deal(request, pk)
    form = InvoiceForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose the invoice file to attach."))
        return _back(pk)
    try:
        outcome = billing.invoice_attach(
            deal=deal, by=request.user, upload=form.cleaned_data["invoice"], number=form.cleaned_data["number"]
        )
    except (ValidationError, DomainError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        _report(request, outcome)
    return _back(pk)


@login_required
@require_POST
def invoice_send_again(request, pk: int):
    try:
        _report(request, billing.invoice_send(deal=_deal(request, pk), by=request.user))
    except DomainError as error:
        messages.error(request, error.message)
    return _back(pk)


@login_required
@require_POST
def invoice_paid(request, pk: int):
    try:
        billing.invoice_mark_paid(deal=_deal(request, pk), by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The invoice is paid."))
    return _back(pk)


@login_required
@require_POST
def closing_docs_received(request, pk: int):
    try:
        billing.closing_docs_mark_received(deal=_deal(request, pk), by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The closing documents are received."))
    return _back(pk)


@login_required
@require_POST
def renewal_contract_upload(request, pk: int):
    deal = _deal(request, pk)
    form = RenewalContractForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose the renewal contract file to attach."))
        return _back(pk)
    try:
        deal_attach_file(
            deal=deal, by=request.user, kind="renewal_contract", upload=form.cleaned_data["renewal_contract"]
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The renewal contract is attached."))
    return _back(pk)


@login_required
@require_POST
def contract_end_date(request, pk: int):
    """Extend the contract from the deal card; back to the deal the form was on."""
    contract = readable_or_404(request.user, Contract.objects.all(), pk)
    require(request.user, contract, Action.EDIT)
    form = ContractEndForm(request.POST)
    back = request.POST.get("deal", "")
    if not form.is_valid():
        messages.error(request, _("Enter the end date as a date."))
    else:
        try:
            contract = renewal.contract_set_end_date(
                contract=contract, by=request.user, ends_on=form.cleaned_data["ends_on"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The contract end date is saved."))
    if back.isdecimal():
        return _back(int(back))
    return redirect("crm:billing")
