"""The «Регулярные платежи» report: the monthly recurring revenue over the last 12 months with its
new and lost parts, invoices sent and paid per month, unpaid invoices by age, closing documents
outstanding, and the contracts ending in 30 / 60 / 90 days with or without their renewal deal.

MRR of a month: the monthly amounts of the contracts in force on its last day (today for this
month; ``crm.selectors.in_force_q``). New MRR: contracts signed in the month that renew nothing;
lost MRR: contracts that ended in the month with no won renewal. Invoices are counted by the month
their paid period starts: sent once past «Формирование счёта», paid once marked paid. An invoice's
age is the days since it was sent (the deal entered «Счёт отправлен»).
"""

import datetime

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from admin24.access import Action, filter_queryset
from admin24.reports import Cell, Figure, Report, Table, months_back
from admin24.worktime import add_months

from ..models import Contract, Deal, DealPipeline, RegularStage
from ..selectors import in_force_q
from .common import CrmReportForm, Links, narrowed

MONTHS = 12
ENDING_WITHIN = (30, 60, 90)
ENDING_LISTED = 50


def regular_report(user, form: CrmReportForm, *, now: datetime.datetime | None = None) -> Report:
    now = now or timezone.now()
    today = timezone.localdate(now)
    period = form.chosen_period()
    link = Links("crm:regular_deals_list", form)
    contracts = narrowed(filter_queryset(user, Contract.objects.all(), Action.READ), form)
    deals = narrowed(filter_queryset(user, Deal.objects.filter(pipeline=DealPipeline.REGULAR), Action.READ), form)
    report = Report(period)
    months = months_back(today, MONTHS)

    mrr = _mrr(contracts, months, today)
    report.tables.append(mrr)
    report.tables.append(_invoices(deals, months))
    unpaid = _unpaid(deals, now, link)
    report.tables.append(unpaid)
    docs = (
        deals.filter(stage=RegularStage.CLOSING_DOCS, closing_docs_received=False)
        .order_by()
        .aggregate(n=Count("pk"), late=Count("pk", filter=Q(period_end__lt=today)))
    )
    report.tables.append(_ending(contracts, today))
    report.tables.append(_ending_list(contracts, today))
    current = mrr.rows[-1][1][0].value if mrr.rows else 0
    report.figures = [
        Figure(gettext("MRR now"), current, kind="money"),
        Figure(
            gettext("Unpaid invoices"),
            sum(cells[0].value for _label, cells in unpaid.rows),
            link(stage=RegularStage.INVOICE_SENT),
        ),
        Figure(gettext("Closing documents outstanding"), docs["n"], link(stage=RegularStage.CLOSING_DOCS)),
        Figure(gettext("of them past the period's end"), docs["late"]),
    ]
    return report


def _mrr(contracts, months: list[datetime.date], today: datetime.date) -> Table:
    """Three queries: the MRR at each month's end, and the new and the lost amounts grouped by month
    (the renewal checks are subqueries, evaluated once per contract in a WHERE, not per month)."""
    aggregates = {}
    for index, first in enumerate(months):
        last = add_months(first, 1) - datetime.timedelta(days=1)
        aggregates[f"mrr{index}"] = Sum("monthly_amount", filter=in_force_q(min(last, today)))
    found = contracts.order_by().aggregate(**aggregates)
    since, until = months[0], add_months(months[-1], 1)
    renewal = Exists(Deal.objects.filter(contract=OuterRef("pk"), won_at__isnull=False, renews__isnull=False))
    renewed = Exists(Deal.objects.filter(renews__contract=OuterRef("pk"), won_at__isnull=False))
    new = {
        row["month"]: row["total"]
        for row in contracts.filter(~renewal, signed_on__gte=since, signed_on__lt=until)
        .annotate(month=TruncMonth("signed_on"))
        .order_by()
        .values("month")
        .annotate(total=Sum("monthly_amount"))
    }
    lost = {
        row["month"]: row["total"]
        for row in contracts.filter(~renewed, ends_on__gte=since, ends_on__lt=min(until, today))
        .annotate(month=TruncMonth("ends_on"))
        .order_by()
        .values("month")
        .annotate(total=Sum("monthly_amount"))
    }
    table = Table(
        "mrr",
        _("Monthly recurring revenue, last 12 months"),
        [_("MRR"), _("New MRR"), _("Lost MRR")],
        label_header=_("Month"),
    )
    for index, first in enumerate(months):
        table.add(
            formats.date_format(first, "m.Y"),
            Cell(found[f"mrr{index}"] or 0, kind="money"),
            Cell(_in_month(new, first) or 0, kind="money"),
            Cell(_in_month(lost, first) or 0, kind="money"),
        )
    return table


def _in_month(rows: dict, first: datetime.date):
    """A TruncMonth of a date column is a date on PostgreSQL and SQLite alike; be lenient anyway."""
    found = rows.get(first)
    if found is None:
        found = rows.get(datetime.datetime.combine(first, datetime.time.min))
    return found


def _invoices(deals, months: list[datetime.date]) -> Table:
    sent = Q(stage__in=[RegularStage.INVOICE_SENT, RegularStage.INVOICE_PAID, RegularStage.CLOSING_DOCS]) | Q(
        invoice_paid=True
    )
    rows = {
        row["month"]: row
        for row in deals.filter(period_start__gte=months[0], period_start__lt=add_months(months[-1], 1))
        .annotate(month=TruncMonth("period_start"))
        .order_by()
        .values("month")
        .annotate(sent=Count("pk", filter=sent), paid=Count("pk", filter=Q(invoice_paid=True)))
    }
    table = Table(
        "invoices",
        _("Invoices sent and paid, by the month of the paid period"),
        [_("Sent"), _("Paid")],
        label_header=_("Month"),
    )
    for first in months:
        row = _in_month(rows, first) or {}
        table.add(formats.date_format(first, "m.Y"), Cell(row.get("sent", 0)), Cell(row.get("paid", 0)))
    return table


def _unpaid(deals, now: datetime.datetime, link) -> Table:
    ten, twenty = now - datetime.timedelta(days=10), now - datetime.timedelta(days=20)
    waiting = deals.filter(stage=RegularStage.INVOICE_SENT, invoice_paid=False).order_by()
    found = waiting.aggregate(
        young=Count("pk", filter=Q(stage_changed_at__gte=ten)),
        middle=Count("pk", filter=Q(stage_changed_at__lt=ten, stage_changed_at__gte=twenty)),
        old=Count("pk", filter=Q(stage_changed_at__lt=twenty)),
        young_sum=Sum("amount", filter=Q(stage_changed_at__gte=ten)),
        middle_sum=Sum("amount", filter=Q(stage_changed_at__lt=ten, stage_changed_at__gte=twenty)),
        old_sum=Sum("amount", filter=Q(stage_changed_at__lt=twenty)),
    )
    table = Table(
        "unpaid_invoices",
        _("Unpaid invoices by age"),
        [_("Invoices"), _("Amount")],
        charted=[0],
        label_header=_("Days since sent"),
    )
    stage = RegularStage.INVOICE_SENT
    table.add(
        gettext("0–10 days"),
        Cell(found["young"], link(stage=stage, entered_after=ten.isoformat())),
        Cell(found["young_sum"] or 0, kind="money"),
    )
    table.add(
        gettext("10–20 days"),
        Cell(found["middle"], link(stage=stage, entered_after=twenty.isoformat(), entered_before=ten.isoformat())),
        Cell(found["middle_sum"] or 0, kind="money"),
    )
    table.add(
        gettext("over 20 days"),
        Cell(found["old"], link(stage=stage, entered_before=twenty.isoformat())),
        Cell(found["old_sum"] or 0, kind="money"),
    )
    return table


def _ending(contracts, today: datetime.date) -> Table:
    has_renewal = Exists(Deal.objects.filter(renews__contract=OuterRef("pk")))
    soon = Q(ends_on__gte=today, ends_on__lte=today + datetime.timedelta(days=ENDING_WITHIN[-1]))
    ending = contracts.filter(in_force_q(today), soon).annotate(has_renewal=has_renewal).order_by()
    aggregates = {}
    for index, days in enumerate(ENDING_WITHIN):
        after = today + datetime.timedelta(days=ENDING_WITHIN[index - 1] if index else -1)
        window = Q(ends_on__gt=after, ends_on__lte=today + datetime.timedelta(days=days))
        aggregates[f"with{days}"] = Count("pk", filter=window & Q(has_renewal=True))
        aggregates[f"without{days}"] = Count("pk", filter=window & Q(has_renewal=False))
    found = ending.aggregate(**aggregates)
    table = Table(
        "contracts_ending",
        _("Contracts ending soon"),
        [_("With a renewal deal"), _("Without one")],
        stacked=True,
        label_header=_("Ending in"),
    )
    for index, days in enumerate(ENDING_WITHIN):
        first = ENDING_WITHIN[index - 1] + 1 if index else 0
        label = gettext("%(from)d–%(to)d days") % {"from": first, "to": days}
        table.add(label, Cell(found[f"with{days}"]), Cell(found[f"without{days}"]))
    return table


def _ending_list(contracts, today: datetime.date) -> Table:
    has_renewal = Exists(Deal.objects.filter(renews__contract=OuterRef("pk")))
    rows = (
        contracts.filter(
            in_force_q(today), ends_on__gte=today, ends_on__lte=today + datetime.timedelta(days=ENDING_WITHIN[-1])
        )
        .annotate(has_renewal=has_renewal)
        .select_related("company")
        .order_by("ends_on", "pk")[:ENDING_LISTED]
    )
    table = Table(
        "contracts_ending_list",
        _("Contracts ending within 90 days"),
        [_("Company"), _("Ends on"), _("Monthly amount"), _("Renewal deal")],
        chart="",
        label_header=_("Contract"),
    )
    for row in rows:
        company = (
            Cell(row.company.name, reverse("crm:company-detail", args=[row.company_id])) if row.company else Cell("")
        )
        table.add(
            row.number,
            company,
            Cell(formats.date_format(row.ends_on, "d.m.Y")),
            Cell(row.monthly_amount, kind="money"),
            Cell(gettext("yes") if row.has_renewal else gettext("no")),
        )
    return table
