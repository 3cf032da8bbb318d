"""The Service Desk report (issue 16 §1): tickets opened and closed, the open backlog, SLA compliance
(overall, per service, per engineer, per contract), reaction and resolution times in working hours,
overdue tickets, top companies and sources — for a period and the filters, in a fixed number of
queries whatever the number of tickets.

SLA compliance, precisely: a ticket created in the period is judged once both of its deadlines are
decided — it *met* its SLA when work started by the reaction deadline and it was done by the
resolution deadline; it *missed* when either deadline passed first (done late, or not done and the
deadline is past). A ticket whose deadlines are still ahead is not judged yet. The share is met /
(met + missed). Working hours are the working time (``admin24.worktime``) from creation to work
started and to done, stored on the ticket when that happened.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Case, Count, ExpressionWrapper, F, IntegerField, Q, QuerySet, Sum, When
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from admin24.access import Action, filter_queryset
from admin24.reports import (
    Cell,
    Figure,
    Period,
    Report,
    ReportFilterForm,
    Table,
    bucket_counts,
    counted_percentiles,
    grouping_sets,
    local_day,
    series,
    share,
)
from crm.models import Company, Contract

from ..forms import staff_users
from ..models import Service, Ticket, TicketSource, TicketStatus
from ..models.tickets import TicketQuerySet
from ..support_hours import done_within, month_bounds

HOUR = 3600
# Histogram buckets of working hours: 0–1, 1–2, 2–4, 4–8, 8–16, 16–40, 40 and more.
HOUR_EDGES = [0, 1, 2, 4, 8, 16, 40]
HOUR_EDGES_SECONDS = [edge * HOUR for edge in HOUR_EDGES]
TOP_COMPANIES = 10
TOP_CONTRACTS = 20
# The SLA by contract on the page: the contracts with most judged tickets (the CSV has every one).
CONTRACTS_SHOWN = 20


class DeskReportForm(ReportFilterForm):
    service = forms.ModelChoiceField(label=_("Service"), queryset=Service.objects.none(), required=False)
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=None, required=False)
    company_name = forms.CharField(label=_("Company"), required=False, max_length=200)
    # Set by the links from a company card; not typed by people.
    company = forms.ModelChoiceField(queryset=Company.objects.all(), required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = Service.objects.order_by("order", "name")
        self.fields["service"].empty_label = _("Any service")
        self.fields["assignee"].queryset = staff_users()
        self.fields["assignee"].empty_label = _("Anyone")
        for name in ("service", "assignee"):
            self.fields[name].widget.attrs["class"] = "form-select form-select-sm"
        self.fields["company_name"].widget.attrs["class"] = "form-control form-control-sm"


@dataclass(frozen=True)
class Sla:
    """The SLA conditions at ``now`` (see the module's docstring)."""

    now: datetime.datetime

    @property
    def reaction_met(self) -> Q:
        return Q(first_reaction_at__isnull=False) & (
            Q(reaction_due_at__isnull=True) | Q(first_reaction_at__lte=F("reaction_due_at"))
        )

    @property
    def reaction_missed(self) -> Q:
        return Q(first_reaction_at__gt=F("reaction_due_at")) | Q(
            first_reaction_at__isnull=True, reaction_due_at__lt=self.now
        )

    @property
    def resolution_met(self) -> Q:
        return Q(resolved_at__isnull=False) & (
            Q(resolution_due_at__isnull=True) | Q(resolved_at__lte=F("resolution_due_at"))
        )

    @property
    def resolution_missed(self) -> Q:
        return Q(resolved_at__gt=F("resolution_due_at")) | Q(resolved_at__isnull=True, resolution_due_at__lt=self.now)

    @property
    def met(self) -> Q:
        return self.reaction_met & self.resolution_met

    @property
    def missed(self) -> Q:
        return self.reaction_missed | self.resolution_missed

    def aggregates(self, within: Q | None = None) -> dict:
        """The counts a compliance row needs, for ``annotate`` or ``aggregate``."""
        within = within if within is not None else Q()
        return {
            "judged": Count("pk", filter=within & (self.met | self.missed)),
            "met": Count("pk", filter=within & self.met),
            "reaction_judged": Count("pk", filter=within & (self.reaction_met | self.reaction_missed)),
            "reaction_met": Count("pk", filter=within & self.reaction_met),
            "resolution_judged": Count("pk", filter=within & (self.resolution_met | self.resolution_missed)),
            "resolution_met": Count("pk", filter=within & self.resolution_met),
        }


def readable_tickets(user, form: DeskReportForm) -> QuerySet[Ticket]:
    """The tickets the user may read, narrowed by the report's filters (any time)."""
    tickets = filter_queryset(user, Ticket.objects.all(), Action.READ)
    data = form.cleaned_data if form.is_valid() else {}
    return tickets.narrowed(
        service=data.get("service"),
        assignee=data.get("assignee"),
        company=data.get("company"),
        company_name=data.get("company_name") or "",
    )


class Links:
    """URLs of the ticket list behind a number, with the report's filters and period."""

    def __init__(self, form: DeskReportForm, period: Period):
        data = form.cleaned_data if form.is_valid() else {}
        self.base = {"status": "all"}
        for name, param in (("service", "service"), ("assignee", "responsible"), ("company", "company")):
            if data.get(name):
                self.base[param] = str(data[name].pk)
        if data.get("company_name"):
            self.base["company_name"] = data["company_name"]
        self.period = period.as_query()
        self.list = reverse("servicedesk:list")

    def __call__(self, *, dated: bool = True, first=None, last=None, **params) -> str:
        query = {**self.base, **(self.period if dated else {})}
        if first is not None:
            query |= {"created_from": first.isoformat(), "created_to": last.isoformat()}
        query |= {name: value for name, value in params.items() if value not in (None, "")}
        return f"{self.list}?{urlencode(query)}"


OPEN_STATUSES = [status for status in TicketStatus.values if status != TicketStatus.DONE]


def desk_report(user, form: DeskReportForm, *, now: datetime.datetime | None = None, whole: bool = False) -> Report:
    """The whole report in a fixed number of queries: one pass over the tickets touching the
    period grouped several ways at once (``_groups``: the figures, opened and closed, backlog, the
    SLA split by service, engineer and contract, sources, top companies), the working hours'
    percentiles and histogram, the support hours, and the names behind the ids found (a name
    look-up with no id to look up sends no query). The page shows the contracts with most judged
    tickets (``CONTRACTS_SHOWN``: rows nobody reads are not rendered); ``whole``, for the CSV, all."""
    now = now or timezone.now()
    period = form.chosen_period()
    link = Links(form, period)
    tickets = readable_tickets(user, form)
    report = Report(period)

    days, split, times_of = _groups(tickets, period, Sla(now), now)
    total = split[""].get(None, {})
    report.figures = [
        Figure(gettext("Opened"), days["opened"], link()),
        Figure(gettext("Closed"), days["closed"]),
        # Not linked: the list's statuses are either «в работе» (no deferred ones) or all of them.
        Figure(gettext("Open now"), days["open_now"]),
        Figure(gettext("Overdue now"), days["overdue_now"], link(dated=False, overdue="1")),
        Figure(gettext("SLA met"), share(total.get("met"), total.get("judged")), kind="percent"),
    ]

    report.tables += _flow(days, period, link)
    report.tables += _compliance_tables(split, link, contracts_shown=None if whole else CONTRACTS_SHOWN)
    report.tables += _times(times_of)
    report.tables.append(_companies(split["company"], link))
    report.tables.append(_sources(split["source"], link))
    report.tables.append(_support_hours(tickets, period, link))
    return report


# How each ticket stands against one deadline, worked out once per row in the database.
MET, MISSED = 1, 2
SPLITS = ("service", "assignee", "contract", "source", "company")
# The splits as grouped in the one query, two keys to a set where their groups multiply to a few
# hundred: each grouping set costs a hash look-up per ticket (some 20 ms a set at 100,000 tickets,
# where reading the rows takes about 75 ms), a group a few microseconds in Python. The splits in
# JUDGED are grouped with the tickets' reaction and resolution states.
SPLIT_SETS = (("service", "assignee"), ("contract",), ("source", "company"))
JUDGED = ("service", "assignee", "contract")


def _groups(tickets, period: Period, sla: Sla, now) -> tuple[dict, dict]:
    """The tickets that touch the period — created in it or since, or created before it and
    done since its start or not done — read once, grouped by (day created, day done, open,
    overdue) for the series and the figures, and, for those created in the period, by each split
    key with their reaction and resolution states (met, missed, not judged yet): what is summed
    below is as many groups as there are days, ids and states, whatever the number of tickets.

    The tickets are read as two ranges, a statement each (created since the period's start;
    the older ones still touching it), so that PostgreSQL reads the first off the covering
    ``sd_ticket_created`` index instead of the table and finds the second by its indexes."""
    integer = IntegerField()
    keys = {
        "made": local_day("created_at", period),
        "done": local_day("resolved_at", period),
        "open": Case(When(~Q(status=TicketStatus.DONE), then=1), default=0, output_field=integer),
        "late": Case(
            When(~Q(status=TicketStatus.DONE) & TicketQuerySet.overdue_q(now), then=1), default=0, output_field=integer
        ),
        "dated": Case(
            When(created_at__gte=period.start, created_at__lt=period.end, then=1), default=0, output_field=integer
        ),
        "reaction": Case(
            When(sla.reaction_met, then=MET), When(sla.reaction_missed, then=MISSED), default=0, output_field=integer
        ),
        "resolution": Case(
            When(sla.resolution_met, then=MET),
            When(sla.resolution_missed, then=MISSED),
            default=0,
            output_field=integer,
        ),
        # Whole minutes (rounded down, so an hour's edge of the histogram stays where it was): the
        # percentiles are shown in tenths of an hour, and minutes take a few thousand groups where
        # seconds would take one per ticket.
        "reaction_minutes": ExpressionWrapper(F("reaction_work_seconds") / 60, output_field=integer),
        "resolution_minutes": ExpressionWrapper(F("resolution_work_seconds") / 60, output_field=integer),
    } | {name: name for name in SPLITS}
    older = tickets.filter(created_at__lt=period.start).filter(
        Q(resolved_at__gte=period.start) | Q(resolved_at__isnull=True) | Q(status__in=OPEN_STATUSES)
    )
    states = ("reaction", "resolution")
    sets = [("made", "done", "open", "late")]
    sets += [("dated", *names, *states) if names[0] in JUDGED else ("dated", *names) for names in SPLIT_SETS]
    sets += [("dated", "reaction_minutes"), ("dated", "resolution_minutes")]
    # Two statements, each planned for its range (what is summed below does not mind a day group
    # being in both). The newer tickets are a range of the covering index: random_page_cost 1.1
    # lets the planner read it there when the period holds (nearly) every ticket, where the
    # default 4 read the table, three times the index's size (a year at 100,000 tickets: the
    # statement's CPU 218 -> 167 ms). The older ones keep the default: with 1.1 the planner
    # walked every index entry before the period (all of the desk's history) instead of
    # looking the few still touching it up by the done and open indexes. They were all created
    # before the period, so only the day set counts them (the others are of the tickets created
    # in it) and their statement groups by it alone: at 30 days the other five returned some
    # 5,000 groups of open tickets, each read and dropped.
    by_day, *by_key, reactions, resolutions = grouping_sets(
        tickets.filter(created_at__gte=period.start), keys, sets, planner={"random_page_cost": "1.1"}
    )
    (older_days,) = grouping_sets(older, keys, sets[:1])
    by_day += older_days
    times_of = {
        name: [(group[f"{name}_minutes"], group["n"]) for group in groups if group["dated"]]
        for name, groups in (("reaction", reactions), ("resolution", resolutions))
    }

    days = {"opened": 0, "closed": 0, "backlog_start": 0, "open_now": 0, "overdue_now": 0}
    opened, closed = {}, {}
    local = _LocalDays()
    for group in by_day:
        made, done, n = local[group["made"]], local[group["done"]], group["n"]
        days["open_now"] += n * group["open"]
        days["overdue_now"] += n * group["late"]
        if period.first <= made <= period.last:
            days["opened"] += n
            opened[made] = opened.get(made, 0) + n
        if done is not None and period.first <= done <= period.last:
            days["closed"] += n
            closed[done] = closed.get(done, 0) + n
        if made < period.first and (done is None or done >= period.first):
            days["backlog_start"] += n
    days["opened_by_day"] = series(({"day": day, "opened": n} for day, n in opened.items()), period, "day")
    days["closed_by_day"] = series(({"day": day, "closed": n} for day, n in closed.items()), period, "day")

    split: dict[str, dict] = {"": {}} | {name: {} for name in SPLITS}
    for names, groups in zip(SPLIT_SETS, by_key, strict=True):
        # The first set holds every ticket once: the overall row is its sum.
        targets = (*names, "") if names == SPLIT_SETS[0] else names
        for group in groups:
            if not group["dated"]:
                continue
            n, adds_to = group["n"], STATE_SUMS[group.get("reaction"), group.get("resolution")]
            for name in targets:
                rows, key = split[name], group.get(name)
                sums = rows.get(key)
                if sums is None:
                    sums = rows[key] = dict.fromkeys(SLA_SUMS, 0)
                for sum_name in adds_to:
                    sums[sum_name] += n
    return days, split, times_of


class _LocalDays(dict):
    """A day as ``grouping_sets`` gives it — ``local_day``'s moment in Unix seconds, or (SQLite) an
    ISO string — as a local date, each distinct value converted once: the day groups repeat a few
    hundred days thousands of times, and ``timezone.localtime`` looks the active zone up on every
    call."""

    def __init__(self):
        super().__init__()
        self.zone = timezone.get_current_timezone()

    def __missing__(self, value) -> datetime.date | None:
        if isinstance(value, int):
            day = datetime.datetime.fromtimestamp(value, self.zone).date()
        else:
            day = datetime.date.fromisoformat(value) if isinstance(value, str) else value
        self[value] = day
        return day


SLA_SUMS = ("n", "judged", "met", "reaction_judged", "reaction_met", "resolution_judged", "resolution_met")


def _state_sums(reaction: int | None, resolution: int | None) -> tuple[str, ...]:
    """The SLA sums a ticket in these reaction and resolution states adds to (the rule of the
    module's docstring: met when both were met, missed when either was); a split without the
    states (sources, companies) counts tickets only."""
    if reaction is None:
        return ("n",)
    judged = MISSED in (reaction, resolution) or reaction == resolution == MET
    added = {
        "n": True,
        "judged": judged,
        "met": reaction == resolution == MET,
        "reaction_judged": bool(reaction),
        "reaction_met": reaction == MET,
        "resolution_judged": bool(resolution),
        "resolution_met": resolution == MET,
    }
    return tuple(name for name in SLA_SUMS if added[name])


# Worked out once for the nine pairs of states (and a split without them), not per group.
STATE_SUMS = {(None, None): _state_sums(None, None)} | {
    (reaction, resolution): _state_sums(reaction, resolution)
    for reaction in (0, MET, MISSED)
    for resolution in (0, MET, MISSED)
}


def _flow(days: dict, period: Period, link) -> tuple[Table, Table]:
    opened, closed = days["opened_by_day"], days["closed_by_day"]
    flow = Table(
        "opened_closed",
        _("Tickets opened and closed"),
        [_("Opened"), _("Closed")],
        label_header=_("Day") if period.step == "day" else _("Week from"),
    )
    backlog = Table(
        "backlog",
        _("Open backlog"),
        [_("Open at the end")],
        chart="line",
        label_header=flow.label_header,
        note=_("Tickets not done at the end of each day or week."),
    )
    step = datetime.timedelta(days=1 if period.step == "day" else 7)
    running = days["backlog_start"]
    for first in period.buckets():
        last = min(first + step - datetime.timedelta(days=1), period.last)
        label = period.bucket_label(first)
        n_opened = opened.get(first, {}).get("opened", 0)
        n_closed = closed.get(first, {}).get("closed", 0)
        running += n_opened - n_closed
        flow.add(label, Cell(n_opened, link(first=max(first, period.first), last=last)), Cell(n_closed))
        backlog.add(label, Cell(running))
    return flow, backlog


def _compliance_tables(split: dict, link, *, contracts_shown: int | None) -> list[Table]:
    """SLA compliance by service, engineer and contract, their names read for the ids found; of
    the contracts, the ``contracts_shown`` with most judged tickets (all when None)."""
    by_contract = split["contract"]
    if contracts_shown is not None and len(by_contract) > contracts_shown + 1:
        # Ties by id, so that the same contracts are shown whatever order the groups came in.
        biggest = sorted((pk for pk in by_contract if pk), key=lambda pk: (-by_contract[pk]["judged"], pk))
        kept = set(biggest[:contracts_shown]) | {None}
        by_contract = {pk: row for pk, row in by_contract.items() if pk in kept}
        cut = gettext("The %(shown)d contracts with most judged tickets of %(all)d; the CSV has them all.") % {
            "shown": contracts_shown,
            "all": len(biggest),
        }
    else:
        cut = ""
    services = dict(Service.objects.filter(pk__in=[pk for pk in split["service"] if pk]).values_list("pk", "name"))
    people = {
        pk: (f"{last} {first}".strip() or username)
        for pk, last, first, username in get_user_model()
        .objects.filter(pk__in=[pk for pk in split["assignee"] if pk])
        .values_list("pk", "last_name", "first_name", "username")
    }
    contracts, companies = {}, {}
    for pk, number, company, company_name in Contract.objects.filter(
        pk__in=[pk for pk in by_contract if pk]
    ).values_list("pk", "number", "company", "company__name"):
        contracts[pk], companies[pk] = f"{number} · {company_name or ''}".rstrip(" ·"), company
    return [
        _compliance(
            "sla_by_service",
            _("SLA compliance by service"),
            _("Service"),
            split["service"],
            services,
            gettext("No service"),
            lambda pk: link(service=pk) if pk else "",
        ),
        _compliance(
            "sla_by_engineer",
            _("SLA compliance by engineer"),
            _("Engineer"),
            split["assignee"],
            people,
            gettext("Unassigned"),
            lambda pk: link(responsible=pk) if pk else "",
        ),
        _compliance(
            "sla_by_contract",
            _("SLA compliance by contract"),
            _("Contract"),
            by_contract,
            contracts,
            gettext("No contract"),
            lambda pk: link(company=companies[pk], standing="under_contract") if pk else link(standing="no_contract"),
            note=cut,
        ),
    ]


def _compliance(key, title, header, rows: dict, names: dict, nobody: str, url, note="") -> Table:
    """``rows`` (id → the SLA sums) by their ``names``, the row without one (``nobody``: no
    service, unassigned, no contract) last."""
    table = Table(
        key,
        title,
        [_("Judged"), _("Met"), _("SLA met, %"), _("Reaction in time, %"), _("Resolution in time, %")],
        charted=[2],
        label_header=header,
        note=note,
    )
    for pk, row in sorted(rows.items(), key=lambda item: (item[0] is None, names.get(item[0], ""))):
        table.add(
            names.get(pk, "") if pk else nobody,
            Cell(row["judged"], url(pk)),
            Cell(row["met"]),
            Cell(share(row["met"], row["judged"]), kind="percent"),
            Cell(share(row["reaction_met"], row["reaction_judged"]), kind="percent"),
            Cell(share(row["resolution_met"], row["resolution_judged"]), kind="percent"),
        )
    return table


def _times(times_of: dict) -> list[Table]:
    """Percentiles and histogram of the working times, from the whole minutes counted by ``_groups``."""
    found = {}
    for name, counted in times_of.items():
        in_seconds = [(minutes * 60, n) for minutes, n in counted if minutes is not None]
        found[name] = counted_percentiles(in_seconds) | {"buckets": bucket_counts(in_seconds, HOUR_EDGES_SECONDS)}
    times = Table(
        "working_hours",
        _("Reaction and resolution, working hours"),
        [_("Tickets"), _("Median, h"), _("90th percentile, h")],
        charted=[1, 2],
        label_header=_("Time to"),
    )
    for label, name in ((_("work started"), "reaction"), (_("done"), "resolution")):
        times.add(
            label,
            Cell(found[name]["n"]),
            Cell(_hours(found[name].get(50)), kind="hours"),
            Cell(_hours(found[name].get(90)), kind="hours"),
        )
    spread = Table(
        "working_hours_histogram",
        _("How long tickets took, working hours"),
        [_("To work started"), _("To done")],
        label_header=_("Working hours"),
    )
    for index, low in enumerate(HOUR_EDGES):
        label = f"{low}–{HOUR_EDGES[index + 1]}" if index + 1 < len(HOUR_EDGES) else f"{low}+"
        spread.add(label, Cell(found["reaction"]["buckets"][index]), Cell(found["resolution"]["buckets"][index]))
    return [times, spread]


def _hours(seconds) -> float | None:
    return None if seconds is None else seconds / HOUR


def _companies(by_company: dict, link) -> Table:
    """The ``TOP_COMPANIES`` companies with most tickets (ties at the last place by name)."""
    # Tickets of no CRM company count under None, which cannot be compared with a company's id.
    counts = sorted(
        ((row["n"], pk) for pk, row in by_company.items()), key=lambda item: (item[0], item[1] or 0), reverse=True
    )
    cut = counts[TOP_COMPANIES - 1][0] if len(counts) >= TOP_COMPANIES else 0
    contenders = [(n, pk) for n, pk in counts if n >= cut]
    names = dict(Company.objects.filter(pk__in=[pk for _n, pk in contenders if pk]).values_list("pk", "name"))
    table = Table("top_companies", _("Top companies by tickets"), [_("Tickets")], label_header=_("Company"))
    for n, pk in sorted(contenders, key=lambda item: (-item[0], names.get(item[1], "")))[:TOP_COMPANIES]:
        table.add(names.get(pk) or gettext("Not a CRM company"), Cell(n, link(company=pk) if pk else ""))
    return table


def _sources(by_source: dict, link) -> Table:
    table = Table("sources", _("Tickets by source"), [_("Tickets")], chart="doughnut", label_header=_("Source"))
    for source, label in TicketSource.choices:
        table.add(label, Cell(by_source.get(source, {}).get("n", 0), link(source=source)))
    return table


def _support_hours(tickets, period: Period, link) -> Table:
    """Support hours logged per contract in the calendar months the period touches (the included
    hours are per month: ``servicedesk.support_hours``), against what the contract includes for
    those months; the contracts that used most (ties by number), a grouped query and the names of
    those at the top. Grouping the done tickets by the contract's id alone, not by its number and
    company's name too, took 2.5 instead of 7 ms of PostgreSQL's CPU (a year, 16,000 tickets)."""
    start, end = month_bounds(period.first, period.last)
    months = (end.year - start.year) * 12 + end.month - start.month
    used = dict(
        tickets.filter(done_within(start, end), contract__isnull=False)
        .order_by()
        .values("contract")
        .annotate(minutes=Sum("spent_minutes"))
        .values_list("contract", "minutes")
    )
    ranked = sorted(used.values(), reverse=True)
    cut = ranked[TOP_CONTRACTS - 1] if len(ranked) >= TOP_CONTRACTS else 0
    contenders = (
        Contract.objects.filter(pk__in=[pk for pk, minutes in used.items() if minutes >= cut])
        .order_by("number")
        .values_list("pk", "number", "company", "company__name", "included_hours")
    )
    # A stable sort: the contracts tied in minutes stay in the database's order of their numbers.
    rows = sorted(contenders, key=lambda row: -used[row[0]])[:TOP_CONTRACTS]
    last_day = timezone.localtime(end - datetime.timedelta(microseconds=1)).date()
    table = Table(
        "support_hours",
        _("Support hours by contract"),
        [_("Used, h"), _("Included, h"), _("Used of included, %")],
        charted=[0, 1],
        label_header=_("Contract"),
        note=_("Time logged when tickets were done from %(first)s to %(last)s (whole calendar months), top %(n)d.")
        % {
            "first": formats.date_format(start.date(), "SHORT_DATE_FORMAT"),
            "last": formats.date_format(last_day, "SHORT_DATE_FORMAT"),
            "n": TOP_CONTRACTS,
        },
    )
    for pk, number, company, company_name, hours in rows:
        included = hours * months if hours else None
        hours_used = used[pk] / 60
        table.add(
            f"{number} · {company_name or ''}".rstrip(" ·"),
            Cell(hours_used, link(company=company, standing="under_contract"), kind="hours"),
            Cell(included),
            Cell(share(hours_used, included), kind="percent"),
        )
    return table
