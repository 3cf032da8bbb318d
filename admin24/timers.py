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
"""

import datetime
import logging
from collections.abc import Callable, Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import F, Model
from django.utils import timezone

from .models import ScheduledAction

__all__ = [
    "MAX_ATTEMPTS",
    "DuplicateHandler",
    "UnknownAction",
    "cancel_pending",
    "handler",
    "registered",
    "run_due",
    "run_due_until_idle",
    "run_now",
    "schedule",
]

log = logging.getLogger(__name__)

Status = ScheduledAction.Status
Handler = Callable[[Model, ScheduledAction], None]

MAX_ATTEMPTS = 5
FIRST_RETRY = datetime.timedelta(minutes=1)
LONGEST_RETRY = datetime.timedelta(hours=1)
# One beat tick drains at most this many batches, so a flood cannot outlive the task's time limit.
MAX_BATCHES_PER_TICK = 20

_handlers: dict[str, Handler] = {}


class UnknownAction(LookupError):
    def __init__(self, action: str):
        super().__init__(action)
        self.action = action

    def __str__(self):
        return f"No handler is registered for the scheduled action {self.action!r}"


class DuplicateHandler(ValueError):
    pass


def handler(action: str) -> Callable[[Handler], Handler]:
    """Register ``fn(target, action)`` as what runs when ``action`` falls due."""

    def register(fn: Handler) -> Handler:
        if action in _handlers and _handlers[action] is not fn:
            raise DuplicateHandler(f"{action!r} already runs {_handlers[action].__qualname__}")
        _handlers[action] = fn
        return fn

    return register


def registered() -> frozenset[str]:
    return frozenset(_handlers)


def _token(target) -> str:
    return str(getattr(target, "stage_entry_token", "") or "")


def _target_type(target) -> ContentType:
    # Proxies keep their own type, so the row reloads the class that defines the stage token.
    return ContentType.objects.get_for_model(target, for_concrete_model=False)


def schedule(target: Model, action: str, at: datetime.datetime, *, payload: dict | None = None) -> ScheduledAction:
    """Run ``action`` on ``target`` at ``at`` (a moment already past falls due at once)."""
    if action not in _handlers:
        raise UnknownAction(action)
    if timezone.is_naive(at):
        raise ValueError("schedule() needs an aware datetime")
    if target.pk is None:
        raise ValueError("schedule() needs a saved target")
    return ScheduledAction.objects.create(
        target_type=_target_type(target),
        target_id=target.pk,
        action=action,
        payload=payload or {},
        due_at=max(at, timezone.now()),
        stage_token=_token(target),
    )


def cancel_pending(target: Model, action: str | None = None) -> int:
    """Cancel the target's pending actions (only ``action`` when given); returns how many."""
    pending = ScheduledAction.objects.filter(
        target_type=_target_type(target), target_id=target.pk, status=Status.PENDING
    )
    if action is not None:
        pending = pending.filter(action=action)
    return pending.update(status=Status.CANCELLED, finished_at=timezone.now())


def run_due(now: datetime.datetime | None = None, batch: int = 100, *, ids: Iterable[int] | None = None) -> int:
    """Run up to ``batch`` pending actions due at ``now``; returns how many were taken.

    Runs in one transaction with a savepoint per action: a handler error rolls back only that
    handler's effects. ``ids`` limits the run to those rows (the admin's "run now").
    """
    now = now or timezone.now()
    with transaction.atomic():
        claimed = _claim(now, batch, ids)
        outcomes: dict[str, list[int]] = {Status.DONE: [], Status.STALE: []}
        for row in claimed:
            outcome = _fire(row, now)
            if outcome is not None:
                outcomes[outcome].append(row.pk)
        for status, pks in outcomes.items():
            if pks:
                ScheduledAction.objects.filter(pk__in=pks).update(status=status, finished_at=now)
    return len(claimed)


def run_due_until_idle(now: datetime.datetime | None = None, *, batch: int = 100) -> int:
    """Run batches until one comes back short (bounded by MAX_BATCHES_PER_TICK); the beat task."""
    total = 0
    for _ in range(MAX_BATCHES_PER_TICK):
        ran = run_due(now, batch)
        total += ran
        if ran < batch:
            break
    return total


def run_now(ids: Iterable[int]) -> int:
    """Make these pending actions due now and run them; returns how many ran."""
    ids = list(ids)
    now = timezone.now()
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


def _fire(row: ScheduledAction, now: datetime.datetime) -> str | None:
    """Run one claimed action; the status it ends with, or None when that is already written."""
    # Read both afresh: a handler earlier in this batch may have cancelled this row or moved its target.
    if not ScheduledAction.objects.filter(pk=row.pk, status=Status.PENDING).exists():
        return None
    target = _current_target(row)
    if target is None or _token(target) != row.stage_token:
        return Status.STALE
    fn = _handlers.get(row.action)
    if fn is None:
        log.error("Scheduled action %s (#%s) has no registered handler; marked failed", row.action, row.pk)
        _record_failure(row, now, str(UnknownAction(row.action)), final=True)
        return None
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
        return None
    return Status.DONE


def _record_failure(row: ScheduledAction, now: datetime.datetime, error: str, *, final: bool) -> None:
    if final:
        changes = {"status": Status.FAILED, "finished_at": now}
    else:
        changes = {"status": Status.PENDING, "due_at": now + _backoff(row.attempts + 1)}
    ScheduledAction.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1, last_error=error, **changes)


def _backoff(attempt: int) -> datetime.timedelta:
    return min(FIRST_RETRY * 2 ** (attempt - 1), LONGEST_RETRY)
