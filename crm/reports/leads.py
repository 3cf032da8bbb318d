"""The lead report: the funnel by stage and by source with the conversion to «Целевой клиент», the
closing reasons, and how the call-back ladder ends — for the leads received in the period.

The ladder (leads not received by phone): a lead that left it for any stage but «Не выходит на
связь» was reached at attempt failed calls + 1; «Не выходит на связь» is unreachable; a lead still
at «Новая заявка», «В обработке» or «Недозвон» is still being called.
"""

from django.db.models import Count, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from admin24.access import Action, filter_queryset
from admin24.reports import Cell, Figure, Report, Table, share

from ..models import Lead, LeadSource, LeadStage
from ..models.leads import ACTIVE_STAGES, CLOSED_STAGES
from ..pipelines.leads import CALL_ATTEMPTS
from ..pipelines.leads import PIPELINE as LEAD_PIPELINE
from .common import CrmReportForm, Links, narrowed


def lead_report(user, form: CrmReportForm) -> Report:
    period = form.chosen_period()
    link = Links("crm:leads_list", form, period)
    leads = narrowed(filter_queryset(user, Lead.objects.all(), Action.READ), form)
    received = leads.filter(created_at__gte=period.start, created_at__lt=period.end)
    report = Report(period)

    grid = {
        (row["stage"], row["source"]): row["n"]
        for row in received.order_by().values("stage", "source").annotate(n=Count("pk"))
    }
    by_stage = {stage: sum(n for (s, _source), n in grid.items() if s == stage) for stage in LeadStage.values}
    total = sum(grid.values())
    qualified = by_stage[LeadStage.QUALIFIED]
    in_work = sum(by_stage[stage] for stage in ACTIVE_STAGES)
    report.figures = [
        Figure(gettext("Leads received"), total, link()),
        Figure(gettext("Qualified clients"), qualified, link(stage=LeadStage.QUALIFIED)),
        Figure(gettext("Conversion"), share(qualified, total), kind="percent"),
        Figure(gettext("Still in work"), in_work),
    ]

    stages = Table(
        "lead_stages", _("Leads by stage"), [_("Leads"), _("Share, %")], charted=[0], label_header=_("Stage")
    )
    for stage in LEAD_PIPELINE.stages:
        count = by_stage.get(stage.slug, 0)
        stages.add(stage.label, Cell(count, link(stage=stage.slug)), Cell(share(count, total), kind="percent"))
    report.tables.append(stages)

    sources = Table(
        "lead_sources",
        _("Leads by source and their conversion to «Целевой клиент»"),
        [_("Leads"), _("Qualified"), _("Conversion, %")],
        charted=[0, 1],
        label_header=_("Source"),
    )
    for source, label in LeadSource.choices:
        count = sum(n for (_stage, s), n in grid.items() if s == source)
        won = grid.get((LeadStage.QUALIFIED, source), 0)
        sources.add(
            label,
            Cell(count, link(source=source)),
            Cell(won, link(source=source, stage=LeadStage.QUALIFIED)),
            Cell(share(won, count), kind="percent"),
        )
    report.tables.append(sources)

    closing = Table("lead_closing", _("Why leads were closed"), [_("Leads")], chart="doughnut", label_header=_("Stage"))
    for slug in CLOSED_STAGES:
        closing.add(LeadStage(slug).label, Cell(by_stage.get(slug, 0), link(stage=slug)))
    report.tables.append(closing)
    report.tables.append(_ladder(received, link))
    return report


def _ladder(received, link) -> Table:
    rows = (
        received.exclude(source=LeadSource.PHONE)
        .order_by()
        .values("failed_calls")
        .annotate(
            unreachable=Count("pk", filter=Q(stage=LeadStage.UNREACHABLE)),
            calling=Count("pk", filter=Q(stage__in=ACTIVE_STAGES)),
            reached=Count("pk", filter=~Q(stage__in=[*ACTIVE_STAGES, LeadStage.UNREACHABLE])),
        )
    )
    reached_at = dict.fromkeys(range(1, CALL_ATTEMPTS + 2), 0)
    unreachable = calling = 0
    for row in rows:
        attempt = min(row["failed_calls"] + 1, CALL_ATTEMPTS + 1)
        reached_at[attempt] += row["reached"]
        unreachable += row["unreachable"]
        calling += row["calling"]
    table = Table(
        "callback_ladder",
        _("How the call-back ladder ends"),
        [_("Leads")],
        label_header=_("Outcome"),
        note=_("Leads not received by phone: at which attempt the client was reached."),
    )
    for attempt in range(1, CALL_ATTEMPTS + 1):
        table.add(gettext("reached at attempt %(n)d") % {"n": attempt}, Cell(reached_at[attempt]))
    table.add(gettext("reached after the ladder"), Cell(reached_at[CALL_ATTEMPTS + 1]))
    table.add(gettext("unreachable"), Cell(unreachable, link(stage=LeadStage.UNREACHABLE)))
    table.add(gettext("still being called"), Cell(calling))
    return table
