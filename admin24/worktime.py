"""Working-calendar arithmetic: every wait "in working time" and every SLA deadline goes through here.

Two layers:
- `WorkCalendar`, a pure engine built from a `Schedule` (the working week, hours, lunch, time
  zone) and the admin's day overrides; the shipped production calendar (`calendar_data`) fills
  the days the admin did not touch. It never reads the database, so it is easy to test.
- The module functions, which run on the calendar loaded from `WorkSchedule` and `CalendarDay`.
  The loaded calendar is kept per process and tagged with a version key held in Django's cache
  (Redis in production, the file cache without it, so every process sees the same key). Saving
  or deleting either model writes a new version, once at once and again after commit, so other
  processes reload on their next call and never keep the state of an uncommitted transaction.
  Bulk `QuerySet.update()` bypasses the signals: call `invalidate()` after one. Each module
  function reads that key once (a cache round trip); a loop over many items can take
  `current_calendar()` once and call the same-named methods on it, and inside `one_calendar()`
  (every run of the automation clock) the key is read once for the whole block.

Boundaries, precisely:
- Working time is a union of half-open intervals [start, end): the day's start and the end of
  lunch are working moments; the day's end and the start of lunch are not.
- A shortened pre-holiday day ends one hour earlier (18:00 → 17:00).
- `next_working_moment(dt)` is `dt` itself during working time, else the start of the next
  interval: Friday 18:00 → Monday 09:00.
- `add_working_time(start, d)` starts counting at `next_working_moment(start)` and returns the
  first instant at which `d` of working time has passed. That instant may be an interval's end
  (Friday 17:00 + 1 h = Friday 18:00, not Monday 09:00): a deadline is met by work done up to
  the end of the day. With `d == 0` it returns `next_working_moment(start)`.
- `working_time_between(a, b)` is the working time in [a, b); negative when b is before a.
- `add_days_then_align(start, days)` adds calendar days to the wall-clock time in the schedule's
  zone, then moves forward to the next working moment.
- `start_of_working_day(date)` is the first working moment of `date`, or of the next working day
  when `date` is a day off; `end_of_working_day_after(moment, n)` is the end of the n-th working
  day after `moment`'s day (n < 1 counts as 1): Friday + 1 → Monday 18:00.
- `not_before_now(moment)` is SPEC §0's "a scheduled moment is never in the past": the next
  working moment from `moment`, or from now when `moment` is already past — `clock.now()`, the
  moment a run of the automation clock runs at (a `--now` staging check, a catch-up).
- `add_months(date, n)` is plain calendar arithmetic: whole months, the day clamped to the
  month's end (31 January + 1 → 28/29 February).
All functions take aware datetimes (a naive one raises ValueError) and return them in the
schedule's time zone. Arithmetic walks day by day, never minute by minute.
"""

import contextvars
import datetime
import threading
import uuid
import zoneinfo
from calendar import monthrange
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from . import calendar_data, clock
from .models import CalendarDay, WorkSchedule

UTC = datetime.UTC
WORKDAY = "workday"  # an ordinary day of the working week
WEEKEND = "weekend"  # an ordinary day outside the working week
NON_WORKING_KINDS = {CalendarDay.Kind.HOLIDAY, CalendarDay.Kind.DAY_OFF}
SHORTENED_BY = datetime.timedelta(hours=1)
# A calendar whose every day is off would make the walks below endless; no real one idles this long.
MAX_IDLE_DAYS = 400


@dataclass(frozen=True)
class Schedule:
    week_days: frozenset[int] = frozenset(range(5))
    day_start: datetime.time = datetime.time(9, 0)
    day_end: datetime.time = datetime.time(18, 0)
    lunch: tuple[datetime.time, datetime.time] | None = None
    time_zone: str = "Europe/Moscow"
    tz: zoneinfo.ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        try:
            tz = zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"Unknown time zone in the working schedule: {self.time_zone!r}") from error
        if not self.week_days:
            raise ValueError("The working schedule has no working week days.")
        if self.day_start >= self.day_end:
            raise ValueError("The working day must end after it starts.")
        object.__setattr__(self, "tz", tz)


@dataclass(frozen=True)
class Day:
    date: datetime.date
    kind: str  # WORKDAY, WEEKEND or a CalendarDay.Kind value
    source: str  # "override", "production" or "week"
    note: str
    is_working: bool


class WorkCalendar:
    def __init__(
        self,
        schedule: Schedule,
        overrides: Mapping[datetime.date, tuple[str, str]] | None = None,
        production: Callable[[datetime.date], calendar_data.ProductionDay | None] = calendar_data.production_day,
    ):
        self.schedule = schedule
        self.tz = schedule.tz
        self._overrides = dict(overrides or {})
        self._production = production
        self._intervals: dict[datetime.date, tuple[tuple[datetime.datetime, datetime.datetime], ...]] = {}

    # --- days ---------------------------------------------------------------------------------

    def day(self, date: datetime.date) -> Day:
        if date in self._overrides:
            kind, note = self._overrides[date]
            return Day(date, kind, "override", note, kind not in NON_WORKING_KINDS)
        shipped = self._production(date)
        if shipped is not None:
            return Day(date, shipped.kind, "production", shipped.note, shipped.kind not in NON_WORKING_KINDS)
        if date.weekday() in self.schedule.week_days:
            return Day(date, WORKDAY, "week", "", True)
        return Day(date, WEEKEND, "week", "", False)

    def intervals(self, date: datetime.date) -> tuple[tuple[datetime.datetime, datetime.datetime], ...]:
        """The day's working intervals as UTC [start, end) pairs; empty on a day off."""
        if date not in self._intervals:
            self._intervals[date] = self._compute_intervals(date)
        return self._intervals[date]

    def _compute_intervals(self, date):
        day = self.day(date)
        if not day.is_working:
            return ()
        s = self.schedule
        start = self._utc(date, s.day_start)
        end = self._utc(date, s.day_end)
        if day.kind == CalendarDay.Kind.SHORT:
            end -= SHORTENED_BY
        pieces = [(start, end)]
        if s.lunch:
            lunch_start, lunch_end = self._utc(date, s.lunch[0]), self._utc(date, s.lunch[1])
            pieces = [(start, min(end, lunch_start)), (max(start, lunch_end), end)]
        return tuple((a, b) for a, b in pieces if a < b)

    def _utc(self, date, time):
        return datetime.datetime.combine(date, time, tzinfo=self.tz).astimezone(UTC)

    def _days_from(self, moment_utc: datetime.datetime):
        """Local dates from the one holding `moment_utc` onwards, with their intervals; stops a
        calendar without working time instead of looping forever."""
        date = moment_utc.astimezone(self.tz).date()
        idle = 0
        while True:
            intervals = self.intervals(date)
            idle = 0 if intervals else idle + 1
            if idle > MAX_IDLE_DAYS:
                raise ValueError(f"The working calendar has no working time for {MAX_IDLE_DAYS} days after {date}.")
            yield date, intervals
            date += datetime.timedelta(days=1)

    # --- public arithmetic -------------------------------------------------------------------

    def is_working_day(self, date: datetime.date) -> bool:
        if isinstance(date, datetime.datetime):
            date = _aware(date).astimezone(self.tz).date()
        return self.day(date).is_working

    def is_working_time(self, dt: datetime.datetime) -> bool:
        moment = _aware(dt).astimezone(UTC)
        intervals = self.intervals(moment.astimezone(self.tz).date())
        return any(start <= moment < end for start, end in intervals)

    def next_working_moment(self, dt: datetime.datetime) -> datetime.datetime:
        moment = _aware(dt).astimezone(UTC)
        for _date, intervals in self._days_from(moment):
            for start, end in intervals:
                if moment < end:
                    return max(moment, start).astimezone(self.tz)
        raise AssertionError("unreachable: _days_from never ends without raising")

    def add_working_time(self, start: datetime.datetime, delta: datetime.timedelta) -> datetime.datetime:
        if not isinstance(delta, datetime.timedelta):
            raise TypeError("delta must be a timedelta")
        if delta < datetime.timedelta(0):
            raise ValueError("Working time can only be added forward; the delta is negative.")
        moment = self.next_working_moment(start).astimezone(UTC)
        if not delta:
            return moment.astimezone(self.tz)
        remaining = delta
        for _date, intervals in self._days_from(moment):
            for interval_start, interval_end in intervals:
                if interval_end <= moment:
                    continue
                begin = max(moment, interval_start)
                available = interval_end - begin
                if remaining <= available:
                    return (begin + remaining).astimezone(self.tz)
                remaining -= available
        raise AssertionError("unreachable: _days_from never ends without raising")

    def working_time_between(self, a: datetime.datetime, b: datetime.datetime) -> datetime.timedelta:
        a, b = _aware(a).astimezone(UTC), _aware(b).astimezone(UTC)
        if b < a:
            return -self.working_time_between(b, a)
        total = datetime.timedelta(0)
        date, last = a.astimezone(self.tz).date(), b.astimezone(self.tz).date()
        while date <= last:
            for start, end in self.intervals(date):
                overlap = min(end, b) - max(start, a)
                if overlap > datetime.timedelta(0):
                    total += overlap
            date += datetime.timedelta(days=1)
        return total

    def add_days_then_align(self, start: datetime.datetime, days: int) -> datetime.datetime:
        if isinstance(days, bool) or not isinstance(days, int):
            raise TypeError("days must be an integer")
        local = _aware(start).astimezone(self.tz)
        # Same tzinfo: adding keeps the wall-clock time, which is what "N calendar days" means.
        moved = (local + datetime.timedelta(days=days)).astimezone(UTC)
        return self.next_working_moment(moved)

    def start_of_working_day(self, date: datetime.date) -> datetime.datetime:
        """The beginning of work on ``date``, or on the next working day when ``date`` is a day off."""
        return self.next_working_moment(datetime.datetime.combine(date, datetime.time(0), tzinfo=self.tz))

    def end_of_working_day_after(self, moment: datetime.datetime, working_days: int = 1) -> datetime.datetime:
        """The end of the ``working_days``-th working day after the day of ``moment`` (at least the first)."""
        day = _aware(moment).astimezone(self.tz).date()
        remaining = max(working_days, 1)
        for _date, intervals in self._days_from(self._utc(day + datetime.timedelta(days=1), datetime.time(0))):
            if intervals:
                remaining -= 1
                if not remaining:
                    return intervals[-1][1].astimezone(self.tz)
        raise AssertionError("unreachable: _days_from never ends without raising")


def _aware(dt: datetime.datetime) -> datetime.datetime:
    if not isinstance(dt, datetime.datetime):
        raise TypeError(f"Expected a datetime, got {type(dt).__name__}")
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"Working-time arithmetic needs an aware datetime, got the naive {dt.isoformat()}")
    return dt


# --- the calendar loaded from the database ------------------------------------------------------

VERSION_KEY = "admin24:worktime:version"
_loaded: tuple[str, WorkCalendar] | None = None
_load_lock = threading.Lock()


# The calendar a block of work decides with (``one_calendar``): read at its first sum, then kept.
_pinned: contextvars.ContextVar[list | None] = contextvars.ContextVar("admin24_worktime_pinned", default=None)


def current_calendar(*, version: str | None = None) -> WorkCalendar:
    """The working calendar as the database has it now (reloaded only after a change); inside
    ``one_calendar``, the one the block's first sum found.

    ``version``: VERSION_KEY's value when the caller has just read it along with other keys.
    """
    pinned = _pinned.get()
    if pinned is None:
        return _current(version)
    if not pinned:
        pinned.append(_current(version))
    return pinned[0]


def _current(version: str | None) -> WorkCalendar:
    global _loaded
    version = version or _shared_version()
    loaded = _loaded
    # No version (the cache is unreachable): the database's calendar, whatever this process kept.
    if loaded is not None and version is not None and loaded[0] == version:
        return loaded[1]
    with _load_lock:
        calendar = _load()
        # Creating the missing schedule row bumps the version itself; reading the row again
        # then settles it, and a change by someone else is caught on the next call anyway.
        if _shared_version() != version:
            version = _shared_version()
            calendar = _load()
        _loaded = (version, calendar)
    return calendar


@contextmanager
def one_calendar() -> Iterator[None]:
    """Every working-time sum inside the block uses the calendar as its first sum found it.

    A run of the clock (``timers.run_due``) decides at one moment, and with this at one calendar:
    its handlers' hundreds of sums cost one cache round trip instead of one each (a batch of
    closing-documents ladders made 12 per deal), and a run that sums nothing costs none. A
    change saved meanwhile applies from the next run.
    """
    token = _pinned.set([])
    try:
        yield
    finally:
        _pinned.reset(token)


def _shared_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def ensure_schedule() -> WorkSchedule:
    """The schedule row, created with the defaults (Mon–Fri 09:00–18:00, no lunch, Europe/Moscow
    unless settings.TIME_ZONE says otherwise) when there is none yet."""
    return WorkSchedule.objects.order_by("pk").first() or WorkSchedule.objects.create()


def seed_work_schedule() -> str:
    """The `seed_demo` step: the shipped production calendar needs no seeding, only the schedule."""
    row = ensure_schedule()
    days = ", ".join(str(d) for d in row.week_days)
    return f"week days {days}, {row.day_start:%H:%M}–{row.day_end:%H:%M}, {row.time_zone}"


def _load() -> WorkCalendar:
    row = ensure_schedule()
    lunch = (row.lunch_start, row.lunch_end) if row.lunch_start and row.lunch_end else None
    schedule = Schedule(
        week_days=frozenset(row.week_days),
        day_start=row.day_start,
        day_end=row.day_end,
        lunch=lunch,
        time_zone=row.time_zone,
    )
    overrides = {day: (kind, note) for day, kind, note in CalendarDay.objects.values_list("date", "kind", "note")}
    return WorkCalendar(schedule, overrides)


def invalidate() -> None:
    """Make every process reload the calendar on its next call."""
    global _loaded
    _loaded = None
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)


def _on_change(sender, using=None, **kwargs):
    invalidate()
    # Another process may reload between our write and the commit; bump again once committed.
    transaction.on_commit(invalidate, using=using)


for _model in (WorkSchedule, CalendarDay):
    post_save.connect(_on_change, sender=_model, dispatch_uid=f"worktime-invalidate-save-{_model.__name__}")
    post_delete.connect(_on_change, sender=_model, dispatch_uid=f"worktime-invalidate-delete-{_model.__name__}")


# --- the public functions other modules call ----------------------------------------------------


def is_working_day(d: datetime.date) -> bool:
    return current_calendar().is_working_day(d)


def is_working_time(dt: datetime.datetime) -> bool:
    return current_calendar().is_working_time(dt)


def next_working_moment(dt: datetime.datetime) -> datetime.datetime:
    return current_calendar().next_working_moment(dt)


def add_working_time(start: datetime.datetime, delta: datetime.timedelta) -> datetime.datetime:
    return current_calendar().add_working_time(start, delta)


def working_time_between(a: datetime.datetime, b: datetime.datetime) -> datetime.timedelta:
    return current_calendar().working_time_between(a, b)


def add_days_then_align(start: datetime.datetime, days: int) -> datetime.datetime:
    return current_calendar().add_days_then_align(start, days)


def start_of_working_day(date: datetime.date) -> datetime.datetime:
    return current_calendar().start_of_working_day(date)


def end_of_working_day_after(moment: datetime.datetime, working_days: int = 1) -> datetime.datetime:
    return current_calendar().end_of_working_day_after(moment, working_days)


def not_before_now(moment: datetime.datetime, *, now: datetime.datetime | None = None) -> datetime.datetime:
    """When something planned for ``moment`` is due (SPEC §0: a scheduled moment is never in the
    past): the next working moment from ``moment``, or from ``now`` (``clock.now()`` unless given:
    the moment a run of the clock runs at) when ``moment`` is earlier. Every robot's task deadline
    and clock action goes through here."""
    now = clock.now() if now is None else now
    return next_working_moment(max(_aware(moment), _aware(now)))


# --- calendar months (no working calendar involved) ----------------------------------------------


def add_months(date: datetime.date, months: int) -> datetime.date:
    """``date`` moved by whole months (back when negative), its day clamped to the month's last day:
    31 January + 1 is 28 February (29 in a leap year), 31 March − 1 is 28 (29) February."""
    index = date.year * 12 + date.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return datetime.date(year, month, min(date.day, monthrange(year, month)[1]))
