"""The «Заключение договора» report: deals per stage, the win rate, the lost reasons and the median
days in each stage — for the deals created in the period (a won deal goes on in «Регулярные
платежи» and is counted as won) — and the deals stuck now past their reminder thresholds.

Win rate = won / (won + lost). Days in a stage are the calendar days from entering a stage to
leaving it, as the pipeline engine stores them on each move it logs (the first stage is entered at
creation); a stage the deal is still in is not counted.
"""

import datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q, Sum
from django.db.models.fields.json import KT
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from admin24.access import Action, filter_queryset
from admin24.models import Activity
from admin24.reports import Cell, Figure, Report, Table, percentiles, share

from ..models import ContractStage, Deal, DealPipeline, RegularStage
from ..pipelines import contract
from .common import CrmReportForm, Links, narrowed

DAY = 86400


def contract_deals(user, form: CrmReportForm):
    """The deals of «Заключение договора» the user may read, won ones included."""
    deals = Deal.objects.filter(Q(pipeline=DealPipeline.CONTRACT) | Q(won_at__isnull=False))
    return narrowed(filter_queryset(user, deals, Action.READ), form)


def deal_report(user, form: CrmReportForm, *, now: datetime.datetime | None = None) -> Report:
    now = now or timezone.now()
    period = form.chosen_period()
    link = Links("crm:deals_list", form, period)
    deals = contract_deals(user, form)
    created = deals.filter(created_at__gte=period.start, created_at__lt=period.end)
    report = Report(period)

    # One pass over the period's deals for the figures, the stages, the won ones and the reasons:
    # grouped by pipeline, stage and lost reason (a few dozen groups whatever the number of deals).
    groups = (
        created.order_by()
        .values("pipeline", "stage", "lost_reason__name")
        .annotate(
            n=Count("pk"),
            total=Sum("amount"),
            won=Count("pk", filter=Q(won_at__isnull=False)),
            won_amount=Sum("amount", filter=Q(won_at__isnull=False)),
        )
    )
    rows, won, lost_reasons = {}, {"n": 0, "amount": 0}, {}
    for group in groups:
        won["n"] += group["won"]
        won["amount"] += group["won_amount"] or 0
        if group["pipeline"] != DealPipeline.CONTRACT:
            continue
        row = rows.setdefault(group["stage"], {"n": 0, "amount": 0})
        row["n"] += group["n"]
        row["amount"] += group["total"] or 0
        if group["stage"] == ContractStage.LOST:
            name = group["lost_reason__name"] or gettext("No reason given")
            lost_reasons[name] = lost_reasons.get(name, 0) + group["n"]
    lost = rows.get(ContractStage.LOST, {}).get("n", 0)
    total = sum(row["n"] for row in rows.values()) + won["n"]
    report.figures = [
        Figure(gettext("Deals"), total, link()),
        Figure(gettext("Won"), won["n"]),
        Figure(gettext("Lost"), lost, link(stage=ContractStage.LOST)),
        Figure(gettext("Win rate"), share(won["n"], won["n"] + lost), kind="percent"),
    ]

    stages = Table("deal_stages", _("Deals per stage"), [_("Deals"), _("Amount")], charted=[0], label_header=_("Stage"))
    for stage in contract.PIPELINE.stages:
        row = rows.get(stage.slug, {})
        stages.add(
            stage.label, Cell(row.get("n", 0), link(stage=stage.slug)), Cell(row.get("amount") or 0, kind="money")
        )
    stages.add(gettext("Won: now «Регулярные платежи»"), Cell(won["n"]), Cell(won["amount"] or 0, kind="money"))
    report.tables.append(stages)

    reasons = Table("lost_reasons", _("Why deals were lost"), [_("Deals")], chart="doughnut", label_header=_("Reason"))
    for name, n in sorted(lost_reasons.items(), key=lambda item: (-item[1], item[0])):
        reasons.add(name, Cell(n))
    report.tables.append(reasons)
    report.tables.append(_days_in_stage(created))
    report.tables.append(_stuck(deals, now, link))
    return report


def stage_stays(deals):
    """One row per stay in a «Заключение договора» stage that has ended: ``stage`` and ``stay_seconds``."""
    moves = Activity.objects.filter(
        target_type=ContentType.objects.get_for_model(Deal),
        verb=Activity.Verb.MOVED,
        target_id__in=deals.values("pk"),
        stay_seconds__isnull=False,
    )
    # «Закрывающие документы» is a stage of both pipelines: leaving it for these is the regular one's.
    moves = moves.filter(data__from__in=contract.PIPELINE.slugs()).exclude(
        data__from=RegularStage.CLOSING_DOCS, data__to__in=[RegularStage.INVOICE_PAID, RegularStage.FAILED]
    )
    return moves.annotate(stage=KT("data__from"))


def _days_in_stage(created) -> Table:
    found = percentiles(stage_stays(created), "stay_seconds", group="stage", points=(50,))
    table = Table(
        "days_in_stage",
        _("Median days in each stage"),
        [_("Median, days"), _("Stays")],
        charted=[0],
        label_header=_("Stage"),
    )
    for stage in contract.PIPELINE.stages:
        figures = found.get(stage.slug)
        median = figures[50] / DAY if figures else None
        table.add(stage.label, Cell(median, kind="hours"), Cell(figures["n"] if figures else 0))
    return table


def _stuck(deals, now: datetime.datetime, link) -> Table:
    thresholds = [
        (ContractStage.FEEDBACK, contract.FEEDBACK_MANAGER_DAYS, _("the manager is reminded")),
        (ContractStage.FEEDBACK, contract.FEEDBACK_SUPERVISOR_DAYS, _("the supervisor is told")),
        (ContractStage.AWAITING_PAYMENT, contract.PAYMENT_REMINDER_EVERY_DAYS, _("payment reminders run")),
    ]
    conditions = {
        f"t{index}": Q(stage=stage, stage_changed_at__lt=now - datetime.timedelta(days=days))
        for index, (stage, days, _why) in enumerate(thresholds)
    }
    found = (
        deals.filter(pipeline=DealPipeline.CONTRACT)
        .order_by()
        .aggregate(**{name: Count("pk", filter=q) for name, q in conditions.items()})
    )
    table = Table(
        "stuck_deals",
        _("Deals stuck past their reminder thresholds now"),
        [_("Deals")],
        label_header=_("Stage and threshold"),
    )
    for index, (stage, days, why) in enumerate(thresholds):
        before = (now - datetime.timedelta(days=days)).isoformat()
        table.add(
            gettext("«%(stage)s» over %(days)d days: %(why)s")
            % {"stage": ContractStage(stage).label, "days": days, "why": why},
            Cell(found[f"t{index}"], link(dated=False, stage=stage, entered_before=before)),
        )
    return table
