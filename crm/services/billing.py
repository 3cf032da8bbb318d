"""«Регулярные платежи» use cases: the invoice (attach, send by email, paid), the closing documents,
the next period's deal, and what the billing list shows (SPEC §2).

One deal is one paid period of a contract. Periods are anchored on the contract's day of the
month (a contract of 31 January pays 28 February – 30 March, 31 March – 29 April …), so they
never drift when a short month clamps the day.
"""

import calendar
import datetime
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import PurePath

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import formats, timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from admin24 import activity, clock, constants, timers, workflow, worktime
from admin24.access import Action, require
from admin24.models import Activity
from admin24.workflow import DomainError
from notifications.models import OutboxMessage
from notifications.services import notify, notify_staff

from ..models import Deal, DealPipeline, RegularStage
from . import deals as deal_services
from . import tasks as task_services

INVOICE_TEMPLATE = "invoice"
NBSP = "\u00a0"
PLACEHOLDERS = ("company", "period", "amount", "invoice_number")
_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")


class BillingError(DomainError):
    """The request cannot be done now; the message says why, for people."""


# --- periods ----------------------------------------------------------------------------------


def period_from(start: datetime.date, *, anchor: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The paid period that starts on ``start``: up to the day before the next anchored month begins."""
    months = (start.year - anchor.year) * 12 + start.month - anchor.month
    end = worktime.add_months(anchor, months + 1) - datetime.timedelta(days=1)
    if end < start:
        end = worktime.add_months(anchor, months + 2) - datetime.timedelta(days=1)
    return start, end


def _anchor(deal: Deal) -> datetime.date:
    if deal.contract_id is not None:
        return deal.contract.signed_on
    return deal.contract_date or deal.period_start or clock.localdate()


def first_period(deal: Deal) -> tuple[datetime.date, datetime.date]:
    """The period of the deal a won contract deal becomes: from the next month's payment date."""
    anchor = deal.contract_date or timezone.localdate(deal.stage_changed_at)
    start = worktime.add_months(anchor, 1) if deal.contract_date else anchor
    return period_from(start, anchor=anchor)


def next_period(deal: Deal) -> tuple[datetime.date, datetime.date]:
    return period_from(deal.period_end + datetime.timedelta(days=1), anchor=_anchor(deal))


def period_label(deal: Deal) -> str:
    if deal.period_start is None or deal.period_end is None:
        return ""
    return f"{formats.date_format(deal.period_start, 'd.m.Y')} – {formats.date_format(deal.period_end, 'd.m.Y')}"


def amount_label(amount: Decimal, currency: str) -> str:
    whole, _dot, cents = f"{amount:,.2f}".partition(".")
    number = whole.replace(",", NBSP) + "," + cents
    return number + NBSP + ("₽" if currency == "RUB" else currency)


# --- the invoice email ------------------------------------------------------------------------


def fill_placeholders(text: str, deal: Deal) -> str:
    """BillTheme/BillText with {company}, {period}, {amount}, {invoice_number} filled in.

    Anything else in braces is left as the administrator typed it, so a stray brace never
    stops an invoice.
    """
    values = {
        "company": deal.company.name if deal.company_id else "",
        "period": period_label(deal),
        "amount": amount_label(deal.amount, deal.currency),
        "invoice_number": deal.invoice_number or PurePath(deal.invoice_file.name).stem,
    }
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], text or "")


def why_the_invoice_cannot_go(deal: Deal) -> str | None:
    if not deal.invoice_file:
        return _("No invoice file is attached.")
    if deal.contact_id is None:
        return _("The deal has no contact: choose the client's contact person, then send the invoice.")
    if not deal.contact.first_email:
        return _("The contact %(contact)s has no email address: add one, then send the invoice.") % {
            "contact": deal.contact
        }
    return None


@dataclass(frozen=True)
class InvoiceOutcome:
    deal: Deal
    sent: bool
    problem: str = ""


def _ensure_regular(deal: Deal, *stages: str) -> None:
    if deal.pipeline != DealPipeline.REGULAR or (stages and deal.stage not in stages):
        raise BillingError(
            _("This can only be done for a «%(pipeline)s» deal at «%(stages)s».")
            % {
                "pipeline": DealPipeline.REGULAR.label,
                "stages": "», «".join(str(RegularStage(stage).label) for stage in stages),
            }
        )


@transaction.atomic
def invoice_attach(*, deal: Deal, by, upload, number: str = "") -> InvoiceOutcome:
    """Attach (or replace) the period's invoice and send it to the client (SPEC §2).

    The file stays attached even when it cannot be sent; the outcome says why, and the
    responsible is told the same.
    """
    require(by, deal, Action.EDIT)
    deal = Deal.objects.select_for_update(of=("self",)).get(pk=deal.pk)
    _ensure_regular(deal, RegularStage.INVOICE_FORMING, RegularStage.INVOICE_SENT)
    deal_services.check_document(upload)
    number = (number or "").strip()
    if len(number) > Deal._meta.get_field("invoice_number").max_length:
        raise ValidationError(_("The invoice number is too long."))
    replaced = bool(deal.invoice_file)
    deal.invoice_file.save(PurePath(upload.name).name, upload, save=False)
    deal.invoice_number = number
    deal.save(update_fields=["invoice_file", "invoice_number", "updated_at"])
    activity.record(
        target=deal,
        verb=Activity.Verb.UPDATED,
        by=by,
        text=(_("Invoice replaced: %(name)s") if replaced else _("Invoice attached: %(name)s"))
        % {"name": PurePath(deal.invoice_file.name).name},
    )
    return invoice_send(deal=deal, by=by)


@transaction.atomic
def invoice_send(*, deal: Deal, by) -> InvoiceOutcome:
    """Email the attached invoice to the first address of the deal's contact; move on to «Счёт отправлен».

    Sending the same file again writes nothing new (the outbox key names the file).
    """
    require(by, deal, Action.EDIT)
    deal = Deal.objects.select_for_update(of=("self",)).select_related("company", "contact").get(pk=deal.pk)
    _ensure_regular(deal, RegularStage.INVOICE_FORMING, RegularStage.INVOICE_SENT)
    problem = why_the_invoice_cannot_go(deal)
    if problem:
        _explain_unsent(deal, problem, by=by)
        return InvoiceOutcome(deal=deal, sent=False, problem=problem)
    address = deal.contact.first_email
    [message] = notify(
        address,
        INVOICE_TEMPLATE,
        {
            "subject": fill_placeholders(constants.get("BillTheme"), deal),
            "body": fill_placeholders(constants.get("BillText"), deal),
        },
        key=f"invoice:{deal.pk}:{deal.invoice_file.name}",
        attachments=[deal.invoice_file.name],
        target=deal,
    )
    activity.record(
        target=deal,
        verb=Activity.Verb.NOTE,
        by=by,
        text=_("The invoice is sent to %(address)s.") % {"address": address},
        # The card's timeline reads the delivery status of this outbox row.
        data={"invoice_to": address, "outbox": message.pk},
    )
    if deal.stage == RegularStage.INVOICE_FORMING:
        workflow.move(deal, RegularStage.INVOICE_SENT, by=by, reason=_("The invoice is sent to the client."))
    return InvoiceOutcome(deal=deal, sent=True)


def _explain_unsent(deal: Deal, problem: str, *, by) -> None:
    activity.record(
        target=deal, verb=Activity.Verb.NOTE, by=by, text=_("The invoice is not sent: %(why)s") % {"why": problem}
    )
    notify_staff(
        deal,
        to=deal.responsible,
        title=_("The invoice is not sent: %(deal)s") % {"deal": deal.title},
        text=problem,
        key=None,
    )


@transaction.atomic
def invoice_mark_paid(*, deal: Deal, by) -> Deal:
    """The "paid" flag: a deal whose invoice is sent moves to «Счёт оплачен»."""
    require(by, deal, Action.EDIT)
    deal = Deal.objects.select_for_update(of=("self",)).get(pk=deal.pk)
    _ensure_regular(deal, RegularStage.INVOICE_SENT, RegularStage.INVOICE_PAID)
    if deal.stage == RegularStage.INVOICE_SENT:
        workflow.move(deal, RegularStage.INVOICE_PAID, by=by, reason=_("The invoice is paid."))
    return deal


@transaction.atomic
def closing_docs_mark_received(*, deal: Deal, by) -> Deal:
    """The client has the closing documents: the period's deal is complete, its reminders stop."""
    require(by, deal, Action.EDIT)
    deal = Deal.objects.select_for_update(of=("self",)).get(pk=deal.pk)
    _ensure_regular(deal, RegularStage.CLOSING_DOCS)
    if deal.closing_docs_received:
        return deal
    deal.closing_docs_received = True
    deal.save(update_fields=["closing_docs_received", "updated_at"])
    timers.cancel_pending(deal)
    task_services.close_open_tasks(deal, result=_("The closing documents are received."), by=by)
    activity.record(target=deal, verb=Activity.Verb.UPDATED, by=by, text=_("The closing documents are received."))
    return deal


# --- the next period --------------------------------------------------------------------------


def _renewed_elsewhere(deal: Deal, start: datetime.date) -> bool:
    """Past the contract's end, a won renewal bills under its own contract; this chain stops."""
    contract = deal.contract
    if contract is None or contract.ends_on is None or start <= contract.ends_on:
        return False
    return Deal.objects.filter(renews__contract=contract, won_at__isnull=False).exists()


def next_period_deal(deal: Deal) -> Deal | None:
    """The deal of the period after ``deal``'s, created at «Формирование счёта» the first time only.

    Runs inside the move into «Счёт оплачен». The unique (contract, period start) makes a second
    creation — the move repeated, or two workers at once — fail and find the first one instead.
    """
    start, end = next_period(deal)
    existing = Deal.objects.filter(
        pipeline=DealPipeline.REGULAR, contract=deal.contract, company=deal.company, period_start=start
    ).first()
    if existing is not None or _renewed_elsewhere(deal, start):
        return existing
    try:
        with transaction.atomic():
            created = Deal.objects.create(
                pipeline=DealPipeline.REGULAR,
                stage=RegularStage.INVOICE_FORMING,
                title=Truncator(
                    _("%(company)s: %(period)s")
                    % {"company": deal.company.name if deal.company_id else deal.title, "period": _month_label(start)}
                ).chars(Deal._meta.get_field("title").max_length),
                company=deal.company,
                contact=deal.contact,
                responsible=deal.responsible,
                contract=deal.contract,
                amount=deal.amount,
                currency=deal.currency,
                service_kind=deal.service_kind,
                contract_date=deal.contract_date,
                contract_end_date=deal.contract_end_date,
                period_start=start,
                period_end=end,
            )
    except IntegrityError:
        return Deal.objects.get(contract=deal.contract, period_start=start)
    activity.record(
        target=created,
        verb=Activity.Verb.CREATED,
        text=_("The next period after “%(deal)s”.") % {"deal": deal.title},
        data={"previous": deal.pk},
    )
    activity.record(
        target=deal,
        verb=Activity.Verb.NOTE,
        text=_("The deal for the next period is created: %(deal)s") % {"deal": created.title},
        data={"next": created.pk},
    )
    workflow.start(created, by=None)
    return created


def _month_label(day: datetime.date) -> str:
    return formats.date_format(day, "F Y")


# --- what the card and the billing list show --------------------------------------------------


class BillingStatus:
    NOT_ATTACHED = "not_attached"
    SENT = "sent"
    PAID = "paid"
    DOCUMENTS = "documents"
    DOCUMENTS_RECEIVED = "documents_received"
    FAILED = "failed"

    LABELS = {
        NOT_ATTACHED: gettext_lazy("invoice not attached"),
        SENT: gettext_lazy("invoice sent"),
        PAID: gettext_lazy("invoice paid"),
        DOCUMENTS: gettext_lazy("closing documents"),
        DOCUMENTS_RECEIVED: gettext_lazy("closing documents received"),
        # Not the bare "failed": that msgid is the outbox's delivery status («ошибка»).
        FAILED: gettext_lazy("deal failed"),
    }


def billing_status(deal: Deal) -> str:
    if deal.stage == RegularStage.FAILED:
        return BillingStatus.FAILED
    if deal.stage == RegularStage.CLOSING_DOCS:
        return BillingStatus.DOCUMENTS_RECEIVED if deal.closing_docs_received else BillingStatus.DOCUMENTS
    if deal.stage == RegularStage.INVOICE_PAID:
        return BillingStatus.PAID
    if deal.stage == RegularStage.INVOICE_SENT:
        return BillingStatus.SENT
    return BillingStatus.NOT_ATTACHED


def billing_deals(*, month: datetime.date | None) -> QuerySet[Deal]:
    """Regular-payments deals whose paid period overlaps ``month`` (any day of it), by period."""
    deals = Deal.objects.filter(pipeline=DealPipeline.REGULAR)
    if month is not None:
        first = month.replace(day=1)
        last = month.replace(day=calendar.monthrange(month.year, month.month)[1])
        deals = deals.filter(period_start__lte=last, period_end__gte=first)
    return deals.select_related("company", "contact", "responsible").order_by("period_start", "company__name", "pk")


def invoice_emails(deal: Deal) -> QuerySet[OutboxMessage]:
    """The invoice emails written for the deal, newest first: the card's delivery status."""
    return OutboxMessage.objects.filter(
        target_type=ContentType.objects.get_for_model(Deal), target_id=deal.pk, template=INVOICE_TEMPLATE
    ).order_by("-created_at", "-pk")
