"""The automation clock: every wait of the spec is a ScheduledAction row (DESIGN.md).

A robot schedules inside the transaction that moved its target into a stage::

    timers.schedule(deal, "crm.deal.feedback_reminder", at=worktime.add_days_then_align(now, 10))

and registers what happens then, in a module its app imports at start (AppConfig.ready), so
that every worker process knows the name::

    @timers.handler("crm.deal.feedback_reminder")
    def remind(deal, action):  # action.payload holds what schedule() was given
        notify(deal.responsible, "deal_feedback_reminder", {...}, key=f"feedback:{action.pk}")

How handlers send things: never over the network. They call services that write outbox rows
(``notifications.services.notify``) and other records in the transaction ``run_due`` opened;
the outbox delivers after commit. So an action's effects and its "done" commit together or not
at all: a crash before the commit leaves the action pending and it fires again on the next tick.

A target takes part by exposing ``stage_entry_token``, a string that changes every time it
enters a stage. An action whose target has since moved on (or been deleted) ends as ``stale``
without running. Targets without the property are never stale while they exist.

A handler that raises is retried with exponential backoff (1, 2, 4, 8 minutes) and marked
``failed`` for good on its MAX_ATTEMPTS-th failure; an action name nobody registered fails at
once. Both are logged as errors.

One clock for the whole run: ``run_due(now)`` runs every handler inside
``clock.running_at(now)``, so the handler, the robots and services it calls, ``schedule`` and
``worktime.not_before_now`` all see ``clock.now()`` == ``now`` — the tick's moment, or the
``--now`` of ``run_due_actions`` for a staging check — never the real clock. A handler asks
``clock.now()`` (or ``clock.localdate()``), never ``timezone.now()``.

Catching up after an outage (the worker or beat stopped for two weeks, then started again):
every overdue action fires on the first ticks, once, and what users get is what they would
have got had the clock only been late, not everything they missed back to back:

- A wait that moves a card or creates one (the end of a pause, a deferred ticket's return, a
  lead's call-back, the contract's renewal moment) fires once; the robots of the stage it
  enters count their own waits from now (``not_before_now``), so a step already past is due
  at once and goes through the rules below.
- A ladder of fixed steps (an unpaid invoice reminded on days 10, 15, 20 and 25; the closing
  documents on days 3, 5, 10, 15 and the supervisor on day 20) is registered with ``series``:
  when several steps of one series are due in the same catch-up, only the latest runs and the
  earlier ones end as ``superseded`` — the manager hears once, "unpaid for 20 days", and the
  day-25 step still comes on day 25. Each recipient is a series of their own.
- A repeating chain (the payment reminder every 2 days) re-schedules itself from
  ``counted_from(action)``: the moment the step was due when it fires on time, and the tick's
  moment when it fires more than CATCH_UP_AFTER late — one reminder on catch-up, the next one
  two days from now, not one per missed step.
- One-off notices (an SLA breach, the feedback reminders at 10 and 20 days, which go to
  different people) fire once each; their handlers check the card's flags, so a breach is
  told once however late.

Work marked on its own rows: where writing an action row beside each of many rows costs the
writer too much (every accepted ticket's follow-up), the row carries a marker instead and its app
registers a ``sweep`` that the tick (``run_due_until_idle``) runs beside the due actions: it
locks marked rows (``SKIP LOCKED``), does their work and clears the markers in one transaction,
so each is done once, and a marker nobody swept is found by the next tick.

``run_due`` and ``run_due_until_idle`` count what they ran by action name and outcome when
given a ``tally`` (a ``collections.Counter``); the ``run_due_actions`` command prints it.
"""

import datetime
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from typing import NamedTuple

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import F, Model, Q
from django.utils import timezone

from . import bulk, clock, worktime
from .models import ScheduledAction

__all__ = [
    "CATCH_UP_AFTER",
    "MAX_ATTEMPTS",
    "OUTCOMES",
    "DuplicateHandler",
    "Timer",
    "UnknownAction",
    "batch_handler",
    "cancel_pending",
    "cancel_pending_many",
    "counted_from",
    "handler",
    "registered",
    "run_due",
    "run_due_until_idle",
    "run_now",
    "schedule",
    "schedule_many",
    "sweep",
]

log = logging.getLogger(__name__)

Status = ScheduledAction.Status
Handler = Callable[[Model, ScheduledAction], None]

MAX_ATTEMPTS = 5
FIRST_RETRY = datetime.timedelta(minutes=1)
LONGEST_RETRY = datetime.timedelta(hours=1)
# One beat tick drains at most this many batches, so a flood cannot outlive the task's time limit.
MAX_BATCHES_PER_TICK = 20
# An action firing later than this after its moment fires in a catch-up: the clock was stopped.
# Beat ticks every 30 seconds and a flood drains within minutes, so an hour is never normal lateness.
CATCH_UP_AFTER = datetime.timedelta(hours=1)

# What happened to a claimed action, as run_due's tally counts it.
DONE, SUPERSEDED, STALE, CANCELLED, RETRYING, FAILED = "done", "superseded", "stale", "cancelled", "retrying", "failed"
OUTCOMES = (DONE, SUPERSEDED, STALE, CANCELLED, RETRYING, FAILED)

_handlers: dict[str, Handler] = {}
_batch_handlers: dict[str, Callable[[list[tuple[Model, ScheduledAction]]], None]] = {}
_series: dict[str, tuple[str, ...]] = {}
_locking: set[str] = set()
_sweeps: dict[str, Callable[[datetime.datetime, int], dict[str, int]]] = {}


class UnknownAction(LookupError):
    def __init__(self, action: str):
        super().__init__(action)
        self.action = action

    def __str__(self):
        return f"No handler is registered for the scheduled action {self.action!r}"


class DuplicateHandler(ValueError):
    pass


def handler(action: str, *, series: Iterable[str] | None = None) -> Callable[[Handler], Handler]:
    """Register ``fn(target, action)`` as what runs when ``action`` falls due.

    ``series``: the action is one step of a ladder (reminders on days 10, 15, 20, 25). When a
    later step of the same series is due too — a catch-up after an outage — this step ends as
    ``superseded`` without running, so only the latest due step runs. The steps of one series
    share the target, the name, the stage entry and the payload's values under ``series``'s
    keys: ``()`` makes every step of the name one series, ``("to",)`` one series per recipient.
    """
    keys = None if series is None else tuple(series)

    def register(fn: Handler) -> Handler:
        current = _handlers.get(action)
        # A batch handler's one-pair fallback gives way to a handler of its own.
        if current is not None and current is not fn and not hasattr(current, "__wrapped__"):
            raise DuplicateHandler(f"{action!r} already runs {current.__qualname__}")
        _handlers[action] = fn
        if keys is not None:
            _series[action] = keys
        return fn

    return register


def batch_handler(action: str, *, lock: bool = False, series: Iterable[str] | None = None):
    """Register ``fn(pairs)`` to run every due ``action`` of one tick at once, ``pairs`` being the
    ``(target, action)`` of each, already checked (pending, target there and not moved on, not
    superseded): one statement per step for the whole batch instead of a round of queries per action.

    When the batch raises, its savepoint is rolled back and each action runs alone through the
    action's ``handler`` — by default ``fn`` with that one pair, so the rule is written once —
    and one bad action fails (and is retried) by itself.

    ``lock``: the targets are read ``select_for_update`` (in the same query that checks them), so
    nobody changes them until the tick commits: for a handler that changes its targets.

    ``series``: as ``handler``'s — the steps of a ladder due together in a catch-up are told
    apart in one query for the whole batch, and only the latest of each series reaches ``fn``.
    A repeating chain schedules its next steps with ``schedule_many`` from ``counted_from``.
    """
    keys = None if series is None else tuple(series)

    def register(fn):
        if action in _batch_handlers and _batch_handlers[action] is not fn:
            raise DuplicateHandler(f"{action!r} already runs {_batch_handlers[action].__qualname__} in batches")
        _batch_handlers[action] = fn
        if lock:
            _locking.add(action)
        if keys is not None:
            _series[action] = keys
        if action not in _handlers:
            _handlers[action] = _one_at_a_time(fn)
        return fn

    return register


def sweep(name: str):
    """Register ``fn(now, batch)`` as the work ``name`` that every tick takes besides the due
    actions (counted as ``name`` in the tally): it takes up to
    ``batch`` rows marked for it (locked ``SKIP LOCKED``, so two workers never take one), does their
    work and clears their markers, and returns how many rows ended how (``{DONE: n}``). It runs
    inside a transaction (the tick's moment and calendar, as a handler's); what it cannot do it
    hands to the clock as actions (``schedule_many``; counted ``RETRYING``), which are retried and
    fail one by one as every action is."""

    def register(fn):
        if _sweeps.get(name, fn) is not fn:
            raise DuplicateHandler(f"{name!r} already sweeps with {_sweeps[name].__qualname__}")
        _sweeps[name] = fn
        return fn

    return register


def _one_at_a_time(fn):
    def run_alone(target, action):
        fn([(target, action)])

    run_alone.__qualname__, run_alone.__wrapped__ = fn.__qualname__, fn
    return run_alone


def registered() -> frozenset[str]:
    return frozenset(_handlers)


def _token(target) -> str:
    return str(getattr(target, "stage_entry_token", "") or "")


def _target_type(target) -> ContentType:
    # Proxies keep their own type, so the row reloads the class that defines the stage token.
    return ContentType.objects.get_for_model(target, for_concrete_model=False)


def schedule(target: Model, action: str, at: datetime.datetime, *, payload: dict | None = None) -> ScheduledAction:
    """Run ``action`` on ``target`` at ``at`` (a moment already past falls due at once: at ``clock.now()``)."""
    row = ScheduledAction(**_scheduled(Timer(target, action, at, payload), clock.now()))
    row.save(force_insert=True)
    return row


class Timer(NamedTuple):
    """One ``schedule`` call, for ``schedule_many``."""

    target: Model
    action: str
    at: datetime.datetime
    payload: dict | None = None


def schedule_many(timers: Iterable[Timer]) -> None:
    """``schedule`` for many at once, in one INSERT (the clock's batches)."""
    now = clock.now()
    # Value rows, not instances: nobody reads them back (bulk.insert_values).
    bulk.insert_values(ScheduledAction, [_scheduled(timer, now) for timer in timers])


def _scheduled(timer: Timer, now: datetime.datetime) -> dict:
    """The row's values."""
    if timer.action not in _handlers:
        raise UnknownAction(timer.action)
    if timezone.is_naive(timer.at):
        raise ValueError("schedule() needs an aware datetime")
    if timer.target.pk is None:
        raise ValueError("schedule() needs a saved target")
    return {
        "target_type": _target_type(timer.target),
        "target_id": timer.target.pk,
        "action": timer.action,
        "payload": timer.payload or {},
        "due_at": max(timer.at, now),
        "stage_token": _token(timer.target),
    }


def counted_from(action: ScheduledAction) -> datetime.datetime:
    """Where a repeating chain counts its next step from when ``action`` fires: the moment it was
    due, or — fired more than CATCH_UP_AFTER late, in a catch-up — the moment the clock runs at."""
    now = clock.now()
    return now if now - action.due_at > CATCH_UP_AFTER else action.due_at


def cancel_pending(target: Model, action: str | None = None) -> int:
    """Cancel the target's pending actions (only ``action`` when given); returns how many."""
    pending = ScheduledAction.objects.filter(
        target_type=_target_type(target), target_id=target.pk, status=Status.PENDING
    )
    if action is not None:
        pending = pending.filter(action=action)
    return pending.update(status=Status.CANCELLED, finished_at=clock.now())


def cancel_pending_many(targets: Iterable[Model], actions: Iterable[str] | None = None) -> int:
    """Cancel the pending ``actions`` (all, when None) of all ``targets`` in one UPDATE; returns how many."""
    by_type: dict[int, list[int]] = {}
    for target in targets:
        by_type.setdefault(_target_type(target).pk, []).append(target.pk)
    if not by_type:
        return 0
    aimed = Q()
    for type_id, ids in by_type.items():
        aimed |= Q(target_type_id=type_id, target_id__in=ids)
    pending = ScheduledAction.objects.filter(aimed, status=Status.PENDING)
    if actions is not None:
        pending = pending.filter(action__in=list(actions))
    return pending.update(status=Status.CANCELLED, finished_at=clock.now())


def run_due(
    now: datetime.datetime | None = None,
    batch: int = 100,
    *,
    ids: Iterable[int] | None = None,
    tally: Counter | None = None,
) -> int:
    """Run up to ``batch`` pending actions due at ``now``; returns how many were taken.

    Runs in one transaction with a savepoint per action: a handler error rolls back only that
    handler's effects. ``ids`` limits the run to those rows (the admin's "run now"). Everything
    inside sees ``clock.now()`` == ``now`` and the working calendar as it was when the run began
    (``worktime.one_calendar``). ``tally`` counts the run as ``(action, outcome)``.
    """
    now = now or clock.now()
    with clock.running_at(now), worktime.one_calendar(), transaction.atomic():
        claimed = _claim(now, batch, ids)
        finished: dict[str, list[int]] = {DONE: [], SUPERSEDED: [], STALE: []}

        def count(row, outcome):
            if outcome in finished:
                finished[outcome].append(row.pk)
            if tally is not None:
                tally[(row.action, outcome)] += 1

        batched: dict[str, list[ScheduledAction]] = {}
        for row in claimed:
            if row.action in _batch_handlers and row.action in _handlers:
                batched.setdefault(row.action, []).append(row)
            else:
                count(row, _fire(row, now))
        for rows in batched.values():
            # The whole claim is this batch: claimed pending just now, and no handler has run since
            # that could have cancelled them.
            for row, outcome in _fire_batch(rows, now, fresh=len(rows) == len(claimed)):
                count(row, outcome)
        for outcome, pks in finished.items():
            if pks:
                ScheduledAction.objects.filter(pk__in=pks).update(status=outcome, finished_at=now)
    return len(claimed)


def run_due_until_idle(now: datetime.datetime | None = None, *, batch: int = 100, tally: Counter | None = None) -> int:
    """Run batches until nothing is due at ``now`` (at most MAX_BATCHES_PER_TICK), and the
    ``sweep``s' marked work after each; the beat task.

    Every batch runs at the same moment: ``now``, or the real clock's when this started. What
    the handlers schedule for that moment (a step a catch-up finds already past) runs in a later
    batch of the same tick, as the next tick would run it."""
    now = now or clock.now()
    total = 0
    drained: set[str] = set()
    for _ in range(MAX_BATCHES_PER_TICK):
        # The sweeps first: what one hands to the clock runs in the same batch.
        ran = _sweep(now, batch, tally, drained) + run_due(now, batch, tally=tally)
        total += ran
        if ran == 0:
            break
    return total


def _sweep(now: datetime.datetime, batch: int, tally: Counter | None, drained: set[str]) -> int:
    """One batch of each sweep but those ``drained`` (found fewer than a batch earlier in this
    tick: rows marked since have kicked a tick of their own); how many rows they took."""
    taken = 0
    for name, fn in _sweeps.items():
        if name in drained:
            continue
        try:
            with clock.running_at(now), worktime.one_calendar(), transaction.atomic():
                outcomes = fn(now, batch)
        except Exception:
            # One sweep failing (its read, its handing over) must not stop the due actions or the
            # other sweeps: its rows stay marked, for the next tick to take again.
            log.exception("the sweep %s failed", name)
            outcomes = {}
            drained.add(name)
            if tally is not None:
                tally[(name, FAILED)] += 1
        swept = sum(outcomes.values())
        if swept < batch:
            drained.add(name)
        taken += swept
        if tally is not None:
            for outcome, count in outcomes.items():
                tally[(name, outcome)] += count
    return taken


def run_now(ids: Iterable[int]) -> int:
    """Make these pending actions due now and run them; returns how many ran."""
    ids = list(ids)
    now = clock.now()
    ScheduledAction.objects.filter(pk__in=ids, status=Status.PENDING, due_at__gt=now).update(due_at=now)
    return run_due(now, batch=max(len(ids), 1), ids=ids)


def _claim(now: datetime.datetime, batch: int, ids: Iterable[int] | None) -> list[ScheduledAction]:
    due = ScheduledAction.objects.filter(status=Status.PENDING, due_at__lte=now).order_by("due_at", "id")
    if ids is not None:
        due = due.filter(pk__in=list(ids))
    if connection.features.has_select_for_update_skip_locked:
        # Rows another worker holds are skipped, not waited for; the lock lasts until our commit.
        return list(due.select_for_update(skip_locked=True)[:batch])
    # SQLite has no row locks, only one write lock per database (taken at BEGIN in our settings).
    # This UPDATE, which changes nothing, makes sure we hold it: it fails if another worker wrote
    # since we read, and otherwise nobody can claim or finish these rows until we commit.
    rows = list(due[:batch])
    ScheduledAction.objects.filter(pk__in=[row.pk for row in rows], status=Status.PENDING).update(
        attempts=F("attempts")
    )
    return rows


def _current_target(row: ScheduledAction) -> Model | None:
    model = ContentType.objects.get_for_id(row.target_type_id).model_class()
    return model._base_manager.filter(pk=row.target_id).first() if model else None


def _series_key(row_or_values, keys: tuple[str, ...]) -> tuple:
    """What makes two steps one series: target, name, stage entry and the payload under ``keys``."""
    type_id, target_id, action, token, payload = row_or_values
    return (type_id, target_id, action, token, *((payload or {}).get(key) for key in keys))


def _superseded_many(rows: list[ScheduledAction], keys: tuple[str, ...], now: datetime.datetime) -> set[int]:
    """``_superseded`` for many rows of one name, in one query: the pks of those a later step of
    their series, due as well, supersedes."""
    if not rows:
        return set()
    aimed = Q()
    for type_id in {row.target_type_id for row in rows}:
        ids = {row.target_id for row in rows if row.target_type_id == type_id}
        aimed |= Q(target_type_id=type_id, target_id__in=ids)
    latest: dict[tuple, tuple] = {}
    for pk, type_id, target_id, token, due_at, payload in ScheduledAction.objects.filter(
        aimed, action=rows[0].action, status=Status.PENDING, due_at__lte=now
    ).values_list("pk", "target_type_id", "target_id", "stage_token", "due_at", "payload"):
        series = _series_key((type_id, target_id, rows[0].action, token, payload), keys)
        latest[series] = max(latest.get(series, (due_at, pk)), (due_at, pk))
    superseded = set()
    for row in rows:
        series = _series_key((row.target_type_id, row.target_id, row.action, row.stage_token, row.payload), keys)
        if latest.get(series, (row.due_at, row.pk)) > (row.due_at, row.pk):
            superseded.add(row.pk)
    return superseded


def _superseded(row: ScheduledAction, keys: tuple[str, ...], now: datetime.datetime) -> bool:
    """Whether a later step of ``row``'s series is due as well (so that one runs instead)."""
    later = (
        ScheduledAction.objects.filter(
            target_type_id=row.target_type_id,
            target_id=row.target_id,
            action=row.action,
            stage_token=row.stage_token,
            status=Status.PENDING,
            due_at__gte=row.due_at,
            due_at__lte=now,
        )
        .exclude(pk=row.pk)
        .values_list("pk", "due_at", "payload")
    )
    mine = tuple((row.payload or {}).get(key) for key in keys)
    return any(
        (due_at, pk) > (row.due_at, row.pk) and tuple((payload or {}).get(key) for key in keys) == mine
        for pk, due_at, payload in later
    )


def _fire(row: ScheduledAction, now: datetime.datetime) -> str:
    """Run one claimed action; its outcome (done, superseded and stale are written by the caller)."""
    # Read both afresh: a handler earlier in this batch may have cancelled this row or moved its target.
    if not ScheduledAction.objects.filter(pk=row.pk, status=Status.PENDING).exists():
        return CANCELLED
    target = _current_target(row)
    if target is None or _token(target) != row.stage_token:
        return STALE
    fn = _handlers.get(row.action)
    if fn is None:
        log.error("Scheduled action %s (#%s) has no registered handler; marked failed", row.action, row.pk)
        _record_failure(row, now, str(UnknownAction(row.action)), final=True)
        return FAILED
    if row.action in _series and _superseded(row, _series[row.action], now):
        return SUPERSEDED
    try:
        with transaction.atomic():
            fn(target, row)
    except Exception as exc:
        final = row.attempts + 1 >= MAX_ATTEMPTS
        log.exception(
            "Scheduled action %s (#%s) failed on attempt %s%s",
            row.action,
            row.pk,
            row.attempts + 1,
            "; giving up" if final else "",
        )
        _record_failure(row, now, f"{type(exc).__name__}: {exc}", final=final)
        return FAILED if final else RETRYING
    return DONE


def _fire_batch(
    rows: list[ScheduledAction], now: datetime.datetime, *, fresh: bool = False
) -> list[tuple[ScheduledAction, str]]:
    """Run claimed actions of one name together (``batch_handler``): the checks ``_fire`` makes
    per action, one query each for all of them, then the batch in one savepoint. ``fresh``: the
    rows are known to be pending still (nothing ran since the claim), so that is not read again."""
    outcomes: list[tuple[ScheduledAction, str]] = []
    if fresh:
        pending = {row.pk for row in rows}
    else:
        pending = set(
            ScheduledAction.objects.filter(pk__in=[row.pk for row in rows], status=Status.PENDING).values_list(
                "pk", flat=True
            )
        )
    targets: dict[int, dict] = {}
    for type_id in {row.target_type_id for row in rows}:
        model = ContentType.objects.get_for_id(type_id).model_class()
        wanted = [row.target_id for row in rows if row.target_type_id == type_id and row.pk in pending]
        if model and wanted:
            manager = model._base_manager
            found = manager.select_for_update() if rows[0].action in _locking else manager.all()
            targets[type_id] = found.order_by("pk").in_bulk(sorted(wanted))
        else:
            targets[type_id] = {}
    pairs = []
    for row in rows:
        target = targets[row.target_type_id].get(row.target_id)
        if row.pk not in pending:
            outcomes.append((row, CANCELLED))
        elif target is None or _token(target) != row.stage_token:
            outcomes.append((row, STALE))
        else:
            pairs.append((target, row))
    keys = _series.get(rows[0].action)
    if keys is not None and pairs:
        superseded = _superseded_many([row for _target, row in pairs], keys, now)
        outcomes += [(row, SUPERSEDED) for _target, row in pairs if row.pk in superseded]
        pairs = [(target, row) for target, row in pairs if row.pk not in superseded]
    if not pairs:
        return outcomes
    try:
        with transaction.atomic():
            _batch_handlers[rows[0].action](pairs)
    except Exception:
        log.warning("Batch of %s %s actions failed; running them one by one", len(pairs), rows[0].action, exc_info=True)
        return outcomes + [(row, _fire(row, now)) for _, row in pairs]
    return outcomes + [(row, DONE) for _, row in pairs]


def _record_failure(row: ScheduledAction, now: datetime.datetime, error: str, *, final: bool) -> None:
    if final:
        changes = {"status": Status.FAILED, "finished_at": now}
    else:
        changes = {"status": Status.PENDING, "due_at": now + _backoff(row.attempts + 1)}
    ScheduledAction.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1, last_error=error, **changes)


def _backoff(attempt: int) -> datetime.timedelta:
    return min(FIRST_RETRY * 2 ** (attempt - 1), LONGEST_RETRY)
