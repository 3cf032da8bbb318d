"""Telling a task's holder: when a task becomes theirs, and when its deadline passes with it open.

Both notices are clock actions on the task (``admin24.timers``) rather than notices written
while the task is created:

* the action row is written in the transaction that creates or hands over the task, so a
  rolled-back move tells nobody;
* the tick after the commit (every 30 seconds) decides with what is committed then: a task
  already done, handed to someone else or deleted tells nobody, and a robot that creates a
  task and a later robot of the same move that closes it do not send a notice for nothing;
* a tick that finds many (a catch-up's call-backs, a morning's renewals, the demo) writes all
  their notices at once through ``notify_staff_many`` — one look-up and one INSERT per table.

The notices go through ``notify_staff`` with the kind ``TelegramKind.TASKS``: in-app and by
email always, and to the holder's Telegram chat when they chose «tasks» on their profile. Each
is told in the holder's language: its title and text are messages (``crm.texts``) and the task's
own title is the robot's message when it has one.

Overdue (SPEC is silent on it; what a CRM user expects, as in Bitrix24's «Задача просрочена"):
the holder hears once, at the deadline, that an open task's deadline has passed. Only when the
deadline lies ahead when it is set — a call task due "now" is not late a second later, and its
«new task» notice already says when it is due. A deadline moved (or the task reopened) arms
the notice again for the new deadline; a task done before it is due tells nothing.
Call tasks have none: their deadline is the planned moment of the call, not a limit.

Whoever's own action makes a task for themselves (a manager setting one, or converting a lead
whose robot gives them the proposal task) is not told of it: it is on the card before them.
They are told when it is overdue.
"""

import datetime

from django.contrib.auth import get_user_model
from django.db.models import prefetch_related_objects

from admin24 import clock, timers
from admin24.messages import Message
from notifications.models import TelegramKind
from notifications.services import StaffNotice, notify_staff_many

from ..models import Task
from ..texts import say

ASSIGNED = "crm.task.assigned"
OVERDUE = "crm.task.overdue"
# The reminder's parts (title, text, due, link) under a name of its own: the bell's list and the
# outbox tell a task's notice from a reminder.
TEMPLATE = "crm/task"


def task_given(task: Task, *, by, handed_over: bool = False) -> None:
    """``task`` has a new holder: tell them on the next tick (call in that transaction)."""
    timers.cancel_pending(task, ASSIGNED)
    timers.schedule_many(_given(task, by=by, handed_over=handed_over))


def deadline_set(task: Task) -> None:
    """``task``'s deadline is new (or it is open again): arm the overdue notice for it."""
    timers.cancel_pending(task, OVERDUE)
    timers.schedule_many(_overdue(task))


def new_task_timers(task: Task, *, by) -> list[timers.Timer]:
    """The notices of a task created just now (it has none pending to cancel), for its creator
    to schedule with the batch's: its holder told, its overdue notice armed."""
    return _given(task, by=by) + _overdue(task)


def _given(task: Task, *, by, handed_over: bool = False) -> list[timers.Timer]:
    """The notice naming who set the task (a person creating it, or handing it over), not the
    user whose move made a robot create it."""
    if task.responsible_id is None or (by is not None and by.pk == task.responsible_id):
        return []  # nobody holds it, or its holder's own action made it: it is on the card before them
    named = by is not None and (handed_over or not task.is_automatic)
    return [timers.Timer(task, ASSIGNED, clock.now(), {"to": task.responsible_id, "by": by.pk if named else None})]


def _overdue(task: Task) -> list[timers.Timer]:
    # A call task's deadline is the moment to call, and its lead comes back to «В обработке» then.
    if task.kind == Task.Kind.CALL:
        return []
    if task.is_open and task.deadline is not None and task.deadline > clock.now():
        return [timers.Timer(task, OVERDUE, task.deadline, {"deadline": task.deadline.isoformat()})]
    return []


def _moment(value) -> datetime.datetime | None:
    try:
        return datetime.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def _with_holders(pairs) -> None:
    # Onto the batch's tasks (the clock read them just now) their holders and cards, each read once:
    # a few people and cards for many tasks, not every task read again with its own.
    prefetch_related_objects([task for task, _action in pairs], "responsible", "deal", "lead")


def _title(task: Task):
    return Message.from_stored(task.title_message) or task.title


def _text(task: Task, key: str, *, describe: bool = False, **params):
    if task.deal is not None:
        text = say(key, task=_title(task), card=say("crm.task.notice.on.deal", title=task.deal.title), **params)
    elif task.lead is not None:
        text = say(key, task=_title(task), card=say("crm.task.notice.on.lead", title=task.lead.title), **params)
    else:
        text = say(f"{key}.no_card", task=_title(task), **params)
    if not describe:
        return text
    description = Message.from_stored(task.description_message) or task.description
    return say("crm.task.notice.described", text=text, description=description) if str(description) else text


def _notice(task: Task, *, title, text, key: str) -> StaffNotice:
    return StaffNotice(
        target=task.subject or task, to=task.responsible, title=title, text=text, key=key, due=task.deadline,
        kind=TelegramKind.TASKS, template=TEMPLATE,
    )  # fmt: skip


@timers.batch_handler(ASSIGNED)
def _tell_new_holders(pairs) -> None:
    _with_holders(pairs)
    setters = get_user_model().objects.in_bulk({a.payload["by"] for _t, a in pairs if a.payload.get("by")})
    notices = []
    for task, action in pairs:
        holder = task.responsible
        if holder is None or not task.is_open or holder.pk != action.payload.get("to") or not holder.is_active:
            continue
        by = setters.get(action.payload.get("by"))
        if by is not None:
            text = _text(task, "crm.task.notice.new.text.by", describe=True, by=by)
        else:
            text = _text(task, "crm.task.notice.new.text", describe=True)
        notices.append(
            _notice(task, title=say("crm.task.notice.new", task=_title(task)), text=text, key=f"{ASSIGNED}:{action.pk}")
        )
    notify_staff_many(notices)


@timers.batch_handler(OVERDUE)
def _tell_overdue(pairs) -> None:
    _with_holders(pairs)
    now = clock.now()
    notices = []
    for task, action in pairs:
        if not task.is_open or task.deadline is None or task.deadline > now:
            continue
        if task.deadline != _moment(action.payload.get("deadline")) or task.responsible is None:
            continue  # moved since (the new deadline has its own action) or nobody holds it
        if not task.responsible.is_active:
            continue
        notices.append(
            _notice(
                task,
                title=say("crm.task.notice.overdue", task=_title(task)),
                text=_text(task, "crm.task.notice.overdue.text"),
                # Once per task and deadline, however often the task is reopened.
                key=f"{OVERDUE}:{task.pk}:{task.deadline.timestamp()}",
            )
        )
    notify_staff_many(notices)


__all__ = ["ASSIGNED", "OVERDUE", "deadline_set", "new_task_timers", "task_given"]
