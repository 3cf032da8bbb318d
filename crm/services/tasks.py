"""Tasks: create, complete (with the requirements of its kind), reopen.

Two registries keyed by task kind let pipelines hook in without touching this module:
``require(kind, subject, fields)`` — what must be filled in on the task's lead/deal before a task
of that kind can be completed; ``on_complete(kind)`` — robots run when such a task is completed
(e.g. the deal pipeline moves the deal on when its proposal task is done).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from admin24 import access, activity, bulk, clock, timers
from admin24.access import Action
from admin24.messages import Message, site_text, site_texts
from admin24.models import Activity
from admin24.workflow import DomainError

from ..models import ChecklistTemplate, Lead, Task, TaskChecklistItem
from ..texts import say
from . import task_notices

Kind = Task.Kind
# What a user without the edit right on the task reads (access.require's default says "card").
_CANNOT_CHANGE = gettext_lazy("You may not change this task.")


class TaskCompletionError(DomainError):
    """The task cannot be completed now; the message says why and ``missing`` what to fill in."""

    def __init__(self, message, *, missing=()):
        super().__init__(message, missing=missing)


@dataclass(frozen=True)
class Requirement:
    subject: str  # "deal" or "lead": the task's foreign key
    field: str

    def label(self) -> str:
        model = Task._meta.get_field(self.subject).related_model
        return str(model._meta.get_field(self.field).verbose_name)

    def is_met(self, task: Task) -> bool:
        subject = getattr(task, self.subject)
        return subject is not None and bool(getattr(subject, self.field))


_requirements: dict[str, list[Requirement]] = {}
_effects: dict[str, list[Callable[..., None]]] = {}


def require(kind: str, subject: str, fields: Iterable[str]) -> None:
    """A task of ``kind`` can only be completed once these fields of its lead/deal are filled in."""
    _requirements.setdefault(kind, []).extend(Requirement(subject, f) for f in fields)


def on_complete(kind: str) -> Callable:
    """Register ``fn(task, *, by)`` to run, in the completing transaction, when a ``kind`` task is done."""

    def register(fn):
        _effects.setdefault(kind, []).append(fn)
        return fn

    return register


def missing_requirements(task: Task) -> list[str]:
    """Labels of the fields that must be filled in before ``task`` can be completed."""
    return [r.label() for r in _requirements.get(task.kind, ()) if not r.is_met(task)]


@dataclass
class NewTask:
    """What ``task_create`` is given, for ``task_create_many``."""

    title: object
    responsible: object
    kind: str = Kind.GENERIC
    deadline: object = None
    description: object = ""
    lead: object = None
    deal: object = None
    checklist: Iterable[str] = ()
    checklist_template: ChecklistTemplate | None = None
    by: object = None
    is_automatic: bool = False


def task_create(**fields) -> Task:
    """A new open task; its checklist comes from ``checklist`` items, or from the template.

    A robot's ``title`` and ``description`` are messages (``crm.texts.say``): the task keeps them
    and shows them in each reader's language; their text in the site's language is stored too
    (for search and the admin). ``fields`` are ``NewTask``'s."""
    return task_create_many([NewTask(**fields)])[0]


@transaction.atomic
def task_create_many(new: list[NewTask]) -> list[Task]:
    """``task_create`` of many tasks at once (a clock batch's robots): one INSERT per table for
    them all — the tasks, their checklists, the timelines' entries and the notices' timers."""
    longest = Task._meta.get_field("title").max_length
    # In the site's language once for the batch (each translation.override cost ~0.2 ms).
    texts = site_texts(text for spec in new for text in (spec.title, spec.description))
    tasks = [
        Task(
            # Robots build titles around a card's title, which may already fill the column.
            title=Truncator(title).chars(longest),
            title_message=spec.title.stored if isinstance(spec.title, Message) else {},
            description_message=spec.description.stored if isinstance(spec.description, Message) else {},
            responsible=spec.responsible,
            kind=spec.kind,
            deadline=spec.deadline,
            description=description,
            lead=spec.lead,
            deal=spec.deal,
            created_by=spec.by,
            is_automatic=spec.is_automatic,
        )
        for spec, title, description in zip(new, texts[::2], texts[1::2], strict=True)
    ]
    if not tasks:
        return tasks
    bulk.insert_rows(tasks)
    bulk.insert_rows(
        TaskChecklistItem(task=task, text=text, position=i)
        for task, spec in zip(tasks, new, strict=True)
        for i, text in enumerate(
            list(spec.checklist) or (spec.checklist_template.item_list if spec.checklist_template else [])
        )
    )
    activity.record_many(
        [
            activity.build(
                target=spec.deal or spec.lead,
                verb=Activity.Verb.TASK_CREATED,
                by=spec.by,
                message=spec.title if isinstance(spec.title, Message) else None,
                text="" if isinstance(spec.title, Message) else site_text(spec.title),
                data={"task": task.pk},
            )
            for task, spec in zip(tasks, new, strict=True)
            if (spec.deal or spec.lead) is not None
        ]
    )
    timers.schedule_many(
        timer for task, spec in zip(tasks, new, strict=True) for timer in task_notices.new_task_timers(task, by=spec.by)
    )
    return tasks


@transaction.atomic
def task_complete(*, task: Task, by, comment: str = "") -> Task:
    """Mark the task done and run its kind's completion robots.

    Raises ``TaskCompletionError`` naming what is missing when the kind's requirements are unmet.
    """
    access.require(by, task, Action.EDIT, message=_CANNOT_CHANGE)
    task = Task.objects.select_for_update(of=("self",)).select_related("lead", "deal").get(pk=task.pk)
    if not task.is_open:
        raise TaskCompletionError(_("The task is already done."))
    missing = missing_requirements(task)
    if missing:
        raise TaskCompletionError(
            _("The task cannot be completed until you fill in: %(fields)s.") % {"fields": ", ".join(missing)},
            missing=missing,
        )
    task.status = Task.Status.DONE
    task.completed_at = clock.now()
    task.completed_by = by
    task.result, task.result_message = comment, {}
    task.save(update_fields=["status", "completed_at", "completed_by", "result", "result_message"])
    subject = task.subject
    if subject is not None:
        activity.record(target=subject, verb=Activity.Verb.TASK_COMPLETED, by=by, text=comment, data={"task": task.pk})
    for effect in _effects.get(task.kind, ()):
        effect(task, by=by)
    return task


@transaction.atomic
def task_reopen(*, task: Task, by) -> Task:
    access.require(by, task, Action.EDIT, message=_CANNOT_CHANGE)
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.is_open:
        return task
    task.status = Task.Status.OPEN
    task.completed_at = None
    task.completed_by = None
    task.save(update_fields=["status", "completed_at", "completed_by"])
    task_notices.deadline_set(task)
    subject = task.subject
    if subject is not None:
        activity.record(
            target=subject,
            verb=Activity.Verb.TASK_REOPENED,
            by=by,
            message=Message.from_stored(task.title_message),
            text="" if task.title_message else task.title,
            data={"task": task.pk},
        )
    return task


@transaction.atomic
def task_update(*, task: Task, by, **fields) -> Task:
    """Change a task's plain fields (title, description, responsible, deadline, kind)."""
    access.require(by, task, Action.EDIT, message=_CANNOT_CHANGE)
    allowed = {"title", "description", "responsible", "deadline", "kind"}
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"task_update() cannot change {', '.join(sorted(unknown))}")
    before = (task.responsible_id, task.deadline)
    for name, value in fields.items():
        setattr(task, name, value)
    # What a person types replaces the robot's words.
    for name in ("title", "description"):
        if name in fields:
            setattr(task, f"{name}_message", {})
            fields[f"{name}_message"] = {}
    task.full_clean(exclude=["lead", "deal"])
    task.save(update_fields=list(fields))
    if task.responsible_id != before[0]:
        task_notices.task_given(task, by=by, handed_over=True)
    if task.deadline != before[1]:
        task_notices.deadline_set(task)
    return task


def close_open_tasks(subject, *, result: Message, kind: str | None = None, by=None) -> int:
    """Close the open tasks of a lead or deal that lost their purpose; how many were closed.

    Without ``kind``: the tasks robots created (``is_automatic``), e.g. those of the stage a deal
    left. With ``kind``: every open task of that kind, set by hand or by a robot (the call tasks
    of a lead whose calling is over). ``result`` says why (``crm.texts.say``): the tasks keep the
    message, shown in each reader's language, and its text in the site's language.
    """
    return close_open_tasks_many([subject], result=result, kind=kind, by=by)


def close_open_tasks_many(subjects: list, *, result: Message, kind: str | None = None, by=None) -> int:
    """``close_open_tasks`` of many leads or many deals (a batch's robots), in one UPDATE."""
    if not subjects:
        return 0
    tasks = Task.objects.filter(status=Task.Status.OPEN, **{f"{_subject_field(subjects[0])}__in": subjects})
    tasks = tasks.filter(kind=kind) if kind else tasks.filter(is_automatic=True)
    return tasks.update(
        status=Task.Status.DONE,
        completed_at=clock.now(),
        completed_by=by,
        result=site_text(result),
        result_message=result.stored,
    )


def close_tasks_of_the_stage_left(deals: list, *, pipeline, from_stage: str) -> int:
    """Deals entering a stage together first close the open tasks robots set for the stage they
    left (the engine has already cancelled that stage's clock actions); nothing when they start
    their pipeline."""
    if not from_stage or not deals:
        return 0
    return close_open_tasks_many(
        deals,
        result=say(
            "crm.task.stage_left",
            **{"from": _stage_choice(pipeline, from_stage), "to": _stage_choice(pipeline, deals[0].stage)},
        ),
    )


def _stage_choice(pipeline, slug: str):
    """The stage as its declared choice (``ContractStage.FEEDBACK``): a message keeps its code and
    shows the stage's label as the reader's language has it then, were the label reworded since."""
    stage = pipeline.stage(slug)
    return stage.slug if stage else slug


def _subject_field(subject) -> str:
    return "lead" if isinstance(subject, Lead) else "deal"


def checklist_set_done(*, item: TaskChecklistItem, by, done: bool) -> TaskChecklistItem:
    access.require(by, item.task, Action.EDIT, message=_CANNOT_CHANGE)
    item.done = done
    item.save(update_fields=["done"])
    return item


__all__ = [
    "NewTask",
    "TaskCompletionError",
    "checklist_set_done",
    "close_open_tasks",
    "close_open_tasks_many",
    "close_tasks_of_the_stage_left",
    "missing_requirements",
    "on_complete",
    "require",
    "task_complete",
    "task_create",
    "task_create_many",
    "task_reopen",
    "task_update",
]
