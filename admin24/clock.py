"""The one source of "now" for what the automation decides (issue 11 §4).

Outside a run of the clock, ``now()`` is the real clock (``django.utils.timezone.now``, which
tests move by time travel). Inside ``timers.run_due`` it is the moment the run runs at — the
moment the tick started, or the ``--now`` given to ``run_due_actions`` — for the whole run: every
handler, the robots and services it calls, ``timers.schedule`` (a moment already past falls
due at this one) and ``worktime.not_before_now``. So a staging check with ``--now`` and a
catch-up after an outage decide exactly as they would at that moment: a wait compares with it,
a stage entered, a deal won, a task closed is stamped with it, and the next step of a chain is
counted from it.

What stays on the real clock: when rows are written (``created_at``, ``updated_at``, the
activity log, the outbox rows) and the outbox's delivery — an email written by a ``--now`` run
goes out now, not at the simulated moment.

This module imports nothing of the project, so every layer can ask it, the calendar included.
"""

import contextvars
import datetime
from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone

_running_at: contextvars.ContextVar[datetime.datetime | None] = contextvars.ContextVar(
    "admin24_clock_running_at", default=None
)


def now() -> datetime.datetime:
    """The moment the clock runs at inside a run of the clock; the real clock otherwise."""
    moment = _running_at.get()
    return timezone.now() if moment is None else moment


def localdate() -> datetime.date:
    """``now()``'s date in the current time zone."""
    return timezone.localdate(now())


@contextmanager
def running_at(moment: datetime.datetime) -> Iterator[datetime.datetime]:
    """Make ``now()`` answer ``moment`` inside the block (``timers.run_due`` wraps its run in it)."""
    if timezone.is_naive(moment):
        raise ValueError("running_at() needs an aware datetime")
    token = _running_at.set(moment)
    try:
        yield moment
    finally:
        _running_at.reset(token)
