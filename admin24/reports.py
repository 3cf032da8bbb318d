"""What every report page shares: the period a report covers, its tables (each with the chart drawn
from it and its CSV), and percentiles computed by the database.

A report is read-only selectors in the app that owns the data; they aggregate in SQL (a query per
table, whatever the number of rows) and hand back ``Table`` objects. A table is the numbers a
chart is drawn from: the page shows the chart, the table under it and a CSV link, all from the
same object, so they cannot disagree. A cell may link to the board or list behind its number.
"""

from __future__ import annotations

import csv
import datetime
import functools
import io
from bisect import bisect_right
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter
from typing import Any

from django import forms
from django.db import connection, transaction
from django.db.models import Count, DateTimeField, F, Func, Q, QuerySet, Value
from django.db.models.functions import TruncDate
from django.http import Http404, HttpResponse
from django.utils import formats, timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from .boards.export import BOM, safe_cell
from .fragments import Fragment, joined, use_fragment_widgets
from .worktime import add_months

# --- the period --------------------------------------------------------------------------------


class PeriodChoice:
    LAST_30_DAYS = "last_30_days"
    THIS_WEEK = "this_week"
    THIS_MONTH = "this_month"
    LAST_MONTH = "last_month"
    QUARTER = "quarter"
    CUSTOM = "custom"

    CHOICES = [
        (LAST_30_DAYS, _("Last 30 days")),
        (THIS_WEEK, _("This week")),
        (THIS_MONTH, _("This month")),
        (LAST_MONTH, _("Last month")),
        (QUARTER, _("This quarter")),
        (CUSTOM, _("Custom dates")),
    ]


DAY, WEEK = "day", "week"
MAX_DAYS = 366 * 2  # a longer custom period is refused: the charts would have thousands of points


@dataclass(frozen=True)
class Period:
    """Local dates [first, last], both included, and the bucket of the time series."""

    first: datetime.date
    last: datetime.date
    step: str = DAY

    @property
    def start(self) -> datetime.datetime:
        return local_midnight(self.first)

    @property
    def end(self) -> datetime.datetime:
        """The moment after the period (exclusive bound)."""
        return local_midnight(self.last + datetime.timedelta(days=1))

    def buckets(self) -> list[datetime.date]:
        """The first day of every bucket (a Monday for weeks), in order."""
        day = self.first if self.step == DAY else self.first - datetime.timedelta(days=self.first.weekday())
        delta = datetime.timedelta(days=1 if self.step == DAY else 7)
        found = []
        while day <= self.last:
            found.append(day)
            day += delta
        return found

    def bucket_label(self, day: datetime.date) -> str:
        return formats.date_format(day, "d.m") if self.step == DAY else formats.date_format(day, "d.m.y")

    def as_query(self) -> dict[str, str]:
        """The period as the boards' "created from/to" filter."""
        return {"created_from": self.first.isoformat(), "created_to": self.last.isoformat()}


def local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def period_for(choice: str, today: datetime.date, first=None, last=None, step: str = "") -> Period:
    if choice == PeriodChoice.LAST_30_DAYS:
        first, last = today - datetime.timedelta(days=29), today
    elif choice == PeriodChoice.THIS_WEEK:
        first = today - datetime.timedelta(days=today.weekday())
        last = first + datetime.timedelta(days=6)
    elif choice == PeriodChoice.LAST_MONTH:
        last = today.replace(day=1) - datetime.timedelta(days=1)
        first = last.replace(day=1)
    elif choice == PeriodChoice.QUARTER:
        first = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
        last = add_months(first, 3) - datetime.timedelta(days=1)
    elif choice != PeriodChoice.CUSTOM or not (first and last):
        first = today.replace(day=1)
        last = add_months(first, 1) - datetime.timedelta(days=1)
    if step not in (DAY, WEEK):
        step = DAY if (last - first).days < 45 else WEEK
    return Period(first, last, step)


class ReportFilterForm(forms.Form):
    """The period of every report; an app's report adds its own filters."""

    period = forms.ChoiceField(label=_("Period"), choices=PeriodChoice.CHOICES, required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    step = forms.ChoiceField(
        label=_("By"), choices=[("", _("auto")), (DAY, _("day")), (WEEK, _("week"))], required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for form_field in self.fields.values():
            css = "form-select form-select-sm" if isinstance(form_field.widget, forms.Select) else "form-control"
            form_field.widget.attrs.setdefault("class", css if "select" in css else "form-control form-control-sm")
        # The same HTML without a template per option: the assignee filter lists every staff user
        # (the desk report's filters took 9 ms of CPU, 4 ms so).
        use_fragment_widgets(self)

    def clean(self):
        data = super().clean()
        first, last = data.get("date_from"), data.get("date_to")
        if data.get("period") == PeriodChoice.CUSTOM:
            if not (first and last):
                self.add_error("date_to", _("Give both dates of the period."))
            elif first > last:
                self.add_error("date_to", _("The end date is before the start date."))
            elif (last - first).days > MAX_DAYS:
                self.add_error("date_to", _("A period may be at most two years long."))
        return data

    def chosen_period(self) -> Period:
        data = self.cleaned_data if self.is_valid() else {}
        return period_for(
            data.get("period") or PeriodChoice.LAST_30_DAYS,
            timezone.localdate(),
            data.get("date_from"),
            data.get("date_to"),
            data.get("step") or "",
        )

    def querystring(self) -> str:
        """The filters as they were given (for the CSV links)."""
        data = self.data.copy() if hasattr(self.data, "copy") else dict(self.data)
        data.pop("csv", None)
        return data.urlencode() if hasattr(data, "urlencode") else ""


# --- tables and charts ------------------------------------------------------------------------


@dataclass
class Cell:
    value: Any  # the number (or text) the chart and the CSV take
    url: str = ""  # the board or list behind the number
    kind: str = ""  # "percent", "hours", "money" or "" (as is)

    @property
    def display(self) -> str:
        value = self.value
        if value is None:
            return "—"
        if self.kind == "percent":
            return formats.number_format(value, decimal_pos=1, use_l10n=True) + "\u00a0%"
        if self.kind == "hours":
            return formats.number_format(value, decimal_pos=1, use_l10n=True)
        if self.kind == "money":
            return formats.number_format(Decimal(value), decimal_pos=0, use_l10n=True, force_grouping=True)
        if isinstance(value, float):
            return formats.number_format(value, decimal_pos=1, use_l10n=True)
        return str(value)


@dataclass
class Figure:
    """A number shown large at the top of a report, linked to what it counts."""

    label: str
    value: Any
    url: str = ""
    kind: str = ""

    @property
    def display(self) -> str:
        return Cell(self.value, kind=self.kind).display


ROW_LABEL = Fragment('<tr><th scope="row" class="fw-normal">{label}</th>')
CELL = Fragment('<td class="text-end" data-value="{value}">{text}</td>')
CELL_LINK = Fragment('<a href="{url}">{text}</a>')


@dataclass
class Table:
    """A report table, and how to chart it: one dataset per charted column, rows are the labels."""

    key: str
    title: Any
    columns: list  # the value columns' headers (the label column's header is ``label_header``)
    rows: list[tuple[str, list[Cell]]] = field(default_factory=list)
    chart: str = "bar"  # a Chart.js type: "bar", "line", "doughnut"; "" draws no chart
    charted: list[int] | None = None  # the columns drawn (all when None)
    label_header: Any = ""
    stacked: bool = False
    note: Any = ""

    @property
    def chart_id(self) -> str:
        return f"chart-{self.key}"

    def add(self, label, *cells: Cell) -> None:
        self.rows.append((str(label), list(cells)))

    @property
    def is_empty(self) -> bool:
        return not self.rows or all(not cell.value for _label, cells in self.rows for cell in cells)

    def body_html(self) -> SafeString:
        """The table's rows as HTML (``<tr>…</tr>`` each), built from fragments rather than by a
        template loop: a year by weeks and the SLA splits are a few hundred cells, and the template
        engine took several times as long per cell. ``data-value`` is the unlocalised number the
        browser test and the chart read."""
        parts = []
        for label, cells in self.rows:
            parts.append(ROW_LABEL.render(label=label))
            for cell in cells:
                shown = cell.display
                if cell.url and cell.value:
                    shown = CELL_LINK.render(url=cell.url, text=shown)
                raw = None if cell.value is None else formats.localize(cell.value, use_l10n=False)
                parts.append(CELL.render(value=raw, text=shown))
            parts.append("</tr>")
        return joined(parts)

    def chart_config(self) -> dict:
        """The Chart.js configuration (numbers only: the page's script draws it)."""
        indexes = self.charted if self.charted is not None else list(range(len(self.columns)))
        datasets = [
            {"label": str(self.columns[i]), "data": [_number(cells[i].value) for _label, cells in self.rows]}
            for i in indexes
        ]
        config = {
            "type": self.chart,
            "data": {"labels": [label for label, _cells in self.rows], "datasets": datasets},
            "options": {"responsive": True, "maintainAspectRatio": False, "animation": False},
        }
        if self.chart in ("bar", "line"):
            axes = {"x": {"stacked": self.stacked}, "y": {"stacked": self.stacked, "beginAtZero": True}}
            counted = all(isinstance(cells[i].value, int) for _label, cells in self.rows for i in indexes)
            if counted:
                axes["y"]["ticks"] = {"precision": 0}  # counts have no halves
            config["options"]["scales"] = axes
        return config

    def csv_response(self) -> HttpResponse:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([str(self.label_header), *[str(header) for header in self.columns]])
        for label, cells in self.rows:
            writer.writerow([safe_cell(label), *[safe_cell(_number(cell.value)) for cell in cells]])
        response = HttpResponse(BOM + buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{self.key}.csv"'
        return response


@dataclass
class Report:
    """A report page's figures and tables for one period; ``csv_response(key)`` answers one table's export."""

    period: Period
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)

    def table(self, key: str) -> Table | None:
        return next((table for table in self.tables if table.key == key), None)

    def csv_response(self, key: str) -> HttpResponse:
        """The CSV of the table ``key``; 404 for a table this report does not have."""
        table = self.table(key)
        if table is None:
            raise Http404
        return table.csv_response()


def _number(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float):
        return round(value, 2)
    return value


def share(part: int | None, whole: int | None) -> float | None:
    """``part`` of ``whole`` in per cent; None when there is nothing to share."""
    return None if not whole else 100.0 * (part or 0) / whole


# --- aggregation helpers ----------------------------------------------------------------------


def counts(queryset: QuerySet, **conditions: Q) -> dict[str, int]:
    """One row of conditional counts: ``{name: COUNT(*) FILTER (WHERE condition)}``, one query."""
    return queryset.order_by().aggregate(**{name: Count("pk", filter=q) for name, q in conditions.items()})


def series(rows, period: Period, key: str) -> dict[datetime.date, dict]:
    """Rows grouped by a date column (``key``) into the period's buckets."""
    found: dict[datetime.date, dict] = {}
    for row in rows:
        day = row[key]
        if isinstance(day, datetime.datetime):
            day = timezone.localtime(day).date() if timezone.is_aware(day) else day.date()
        if period.step == WEEK:
            day -= datetime.timedelta(days=day.weekday())
        found.setdefault(day, {})
        for name, value in row.items():
            if name != key:
                found[day][name] = found[day].get(name, 0) + (value or 0)
    return found


def percentiles(
    queryset: QuerySet, value: str, *, group: str | None = None, points: tuple[int, ...] = (50, 90)
) -> dict[Any, dict]:
    """Percentiles of ``value`` (a field or annotation) per ``group``, interpolated as PostgreSQL's
    ``percentile_cont`` does, in one query on PostgreSQL and SQLite alike (window functions over the
    queryset's own SQL, so its filters and access rules hold). ``{group: {"n": count, 50: …, 90: …}}``;
    without ``group`` the one key is None.
    """
    aliases = {"report_value": F(value)} | ({"report_group": F(group)} if group else {})
    inner = queryset.order_by().annotate(**aliases).values_list(*aliases)
    sql, params = inner.query.sql_with_params()
    quote = connection.ops.quote_name
    group_column = quote("report_group") if group else "0"
    if connection.vendor == "postgresql":
        return _percentile_cont(sql, params, group_column, points, grouped=bool(group))
    partition = f"PARTITION BY {quote('report_group')}" if group else ""
    picks = []
    for point in points:
        position = f"(100 + {int(point)} * (n - 1)) / 100"
        picks.append(f"MAX(CASE WHEN rn = {position} THEN v END)")
        picks.append(f"MAX(CASE WHEN rn = {position} + 1 THEN v END)")
    statement = (
        f"SELECT g, MAX(n), {', '.join(picks)} FROM ("  # noqa: S608 - only our own aliases and numbers
        f"SELECT {group_column} AS g, {quote('report_value')} AS v, "
        f"ROW_NUMBER() OVER ({partition} ORDER BY {quote('report_value')}) AS rn, "
        f"COUNT(*) OVER ({partition}) AS n "
        f"FROM ({sql}) AS base WHERE {quote('report_value')} IS NOT NULL) AS ranked GROUP BY g"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        rows = cursor.fetchall()
    result = {}
    for row in rows:
        found = {"n": row[1]}
        n = row[1]
        for index, point in enumerate(points):
            low, high = row[2 + 2 * index], row[3 + 2 * index]
            fraction = ((100 + point * (n - 1)) % 100) / 100
            found[point] = (
                float(low) if high is None or not fraction else float(low) + fraction * (float(high) - float(low))
            )
        result[row[0] if group else None] = found
    return result


def _percentile_cont(sql, params, group_column, points, *, grouped: bool) -> dict[Any, dict]:
    """PostgreSQL's own ordered-set aggregate: one sort per group, no window passes."""
    quote = connection.ops.quote_name
    fractions = ", ".join(str(point / 100) for point in points)
    statement = (
        f"SELECT {group_column} AS g, COUNT(*), "  # noqa: S608 - only our own aliases and numbers
        f"percentile_cont(ARRAY[{fractions}]::double precision[]) WITHIN GROUP "
        f"(ORDER BY {quote('report_value')}::double precision) "
        f"FROM ({sql}) AS base WHERE {quote('report_value')} IS NOT NULL GROUP BY 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        rows = cursor.fetchall()
    return {
        (row[0] if grouped else None): {"n": row[1]} | dict(zip(points, map(float, row[2]), strict=True))
        for row in rows
    }


class DateBin(Func):
    """PostgreSQL's ``date_bin(stride, moment, origin)``: the start of the stride ``moment`` falls in."""

    function = "date_bin"
    output_field = DateTimeField()


def local_day(field: str, period: Period):
    """The local day of the moment ``field`` as a grouping key. On PostgreSQL, while the period's
    days all have one UTC offset (Moscow's always), ``date_bin`` of a day from a local midnight —
    arithmetic, where a time zone conversion per row cost about 0.8 ms per 1,000 rows — giving the
    day's first moment; else the database's own conversion to the local date."""
    if connection.vendor == "postgresql" and _one_offset(period):
        return DateBin(Value(datetime.timedelta(days=1)), F(field), Value(period.start))
    return TruncDate(field)


def _one_offset(period: Period) -> bool:
    """Whether every day from the one before ``period`` to today (the days a moment compared with
    the period's can fall on) has the same UTC offset."""
    return _same_offset(
        period.first - datetime.timedelta(days=1),
        max(period.last, timezone.localdate()) + datetime.timedelta(days=1),
        timezone.get_current_timezone(),
    )


@functools.lru_cache(maxsize=64)
def _same_offset(first: datetime.date, last: datetime.date, zone) -> bool:
    """Whether the local midnights of ``first`` to ``last`` (both included) have one UTC offset;
    remembered, as a page asks once per day key and a year's period is some 370 dates."""
    offset = datetime.datetime.combine(first, datetime.time.min, zone).utcoffset()
    return all(
        datetime.datetime.combine(first + datetime.timedelta(days=n), datetime.time.min, zone).utcoffset() == offset
        for n in range((last - first).days + 1)
    )


def grouping_sets(
    queryset: QuerySet, keys: dict[str, Any], sets: list[tuple[str, ...]], *, planner: dict[str, str] | None = None
) -> list[list[dict]]:
    """Row counts of ``queryset`` grouped by each of ``sets`` (tuples of ``keys`` names; a key is a
    field name or an expression), in one query and one pass over the rows whatever their number:
    ``GROUP BY GROUPING SETS`` on PostgreSQL (SQLite, which has none, groups a CTE once per set).
    ``planner``: PostgreSQL settings for this statement alone (``{"random_page_cost": "1.1"}``).
    Returns, per set, its groups as ``{key: value, …, "n": count}``; on PostgreSQL a moment
    (a ``DateTimeField`` key, such as ``local_day``'s) comes as Unix seconds, rounded down:
    Django's reading of a timestamp with time zone took ~4 µs in Python, and a year's day groups
    are some 2,500 of them (11 ms a page).
    """
    # Only the keys some set groups by: the others would be computed per row for nothing.
    names = [name for name in keys if any(name in chosen for chosen in sets)]
    rows_of = keyed(queryset, {name: keys[name] for name in names})
    sql, params = rows_of.query.sql_with_params()
    quote = connection.ops.quote_name
    aliases = {name: quote(f"k_{index}") for index, name in enumerate(names)}
    columns = ", ".join(aliases.values())
    found: list[list[dict]] = [[] for _set in sets]
    if connection.vendor == "postgresql":
        groups = ", ".join("(" + ", ".join(aliases[name] for name in chosen) + ")" for chosen in sets)
        moments = {
            alias
            for alias, annotation in rows_of.query.annotations.items()
            if isinstance(annotation.output_field, DateTimeField)
        }
        shown = ", ".join(
            f"FLOOR(EXTRACT(EPOCH FROM {column}))::bigint" if f"k_{index}" in moments else column
            for index, column in enumerate(aliases.values())
        )
        statement = (
            f"SELECT GROUPING({columns}), {shown}, COUNT(*) FROM ({sql}) AS base "  # noqa: S608 - our own aliases
            f"GROUP BY GROUPING SETS ({groups})"
        )
        # GROUPING() sets bit (n - 1 - i) for each key i left out of the row's set.
        masks = {
            sum(1 << (len(names) - 1 - i) for i, name in enumerate(names) if name not in chosen): index
            for index, chosen in enumerate(sets)
        }
    else:
        branches = []
        for index, chosen in enumerate(sets):
            picked = ", ".join(aliases[name] if name in chosen else "NULL" for name in names)
            group = " GROUP BY " + ", ".join(aliases[name] for name in chosen) if chosen else ""
            branches.append(f"SELECT {index}, {picked}, COUNT(*) FROM base{group}")  # noqa: S608 - ours
        statement = f"WITH base AS ({sql}) " + " UNION ALL ".join(branches)
        masks = {index: index for index in range(len(sets))}
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # With the default 4 MB the planner sorts the larger sets on disk instead of hashing
            # them (the groups, not the rows, take the memory: a few thousand at 100,000 tickets).
            settings = {"work_mem": "64MB"} | (planner or {})
            cursor.execute(
                "SELECT " + ", ".join("set_config(%s, %s, true)" for _name in settings),
                [part for pair in settings.items() for part in pair],
            )
        cursor.execute(statement, params)
        rows = cursor.fetchall()
    # Each set's columns picked by one itemgetter (the count is the last column): a year's page
    # reads some 6,000 groups.
    picks = []
    for chosen in sets:
        columns = [1 + names.index(name) for name in chosen] + [1 + len(names)]
        picks.append(((*chosen, "n"), itemgetter(*columns) if chosen else lambda row, last=columns[0]: (row[last],)))
    for row in rows:
        index = masks[row[0]]
        labels, pick = picks[index]
        found[index].append(dict(zip(labels, pick(row), strict=True)))
    return found


def keyed(queryset: QuerySet, keys: dict[str, Any]) -> QuerySet:
    """``queryset``'s rows as the ``keys`` columns ``grouping_sets`` reads (``k_0``, ``k_1``, …)."""
    aliases = {f"k_{index}": F(key) if isinstance(key, str) else key for index, key in enumerate(keys.values())}
    return queryset.order_by().annotate(**aliases).values_list(*aliases)


def counted_percentiles(counted, points: tuple[int, ...] = (50, 90)) -> dict:
    """Percentiles of values given with how many times each occurs (``[(value, n), …]``, as a
    grouped query returns them), interpolated as PostgreSQL's ``percentile_cont``:
    ``{"n": total, 50: …, 90: …}`` (no percentiles when there are no values)."""
    counted = sorted((value, n) for value, n in counted if value is not None and n)
    total = sum(n for _value, n in counted)
    found: dict = {"n": total}
    if not total:
        return found
    for point in points:
        position = point / 100 * (total - 1)
        low_rank = int(position)
        low = _nth(counted, low_rank)
        high = _nth(counted, low_rank + 1) if low_rank + 1 < total else low
        found[point] = float(low) + (position - low_rank) * (float(high) - float(low))
    return found


def _nth(counted, rank: int):
    """The value at 0-based ``rank`` of the sorted values ``counted`` stands for."""
    seen = 0
    for value, n in counted:
        seen += n
        if rank < seen:
            return value
    raise IndexError(rank)


def bucket_counts(counted, edges: list[float]) -> list[int]:
    """How many of the values (``[(value, n), …]``) fall in [edges[i], edges[i+1]) (the last bucket is open)."""
    buckets = [0] * len(edges)
    for value, n in counted:
        if value is not None and value >= edges[0]:
            buckets[bisect_right(edges, value) - 1] += n
    return buckets


def months_back(today: datetime.date, count: int) -> list[datetime.date]:
    """The first days of the last ``count`` months, oldest first, this month last."""
    first = today.replace(day=1)
    return [add_months(first, -back) for back in range(count - 1, -1, -1)]
