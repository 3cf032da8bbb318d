"""«Воронка классификации лида»: stages, guards and robots, including the call-back ladder.

The ladder (SPEC §2): five calls counted from the receipt — at once, +30 and +60 working
minutes, +1 and +3 calendar days moved to the next working moment. Each failed call (a move to
«Недозвон») schedules the next call task at its slot, or at the next working moment when the
slot has passed, and the clock brings the lead back to «В обработке» then. The fifth failure
closes the lead as «Не выходит на связь». Leads that came by phone skip the ladder.
"""

import datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from admin24 import clock, timers, workflow, worktime
from admin24.messages import Message
from admin24.workflow import ACTIVE, LOST, WON, Pipeline, Stage
from notifications.services import notify_staff

from ..models import Lead, LeadSource, LeadStage, Task
from ..models.leads import CLOSED_STAGES
from ..services import tasks as task_services
from ..services.conversion import convert_lead
from ..texts import say

CALL_ATTEMPTS = 5
CALLBACK_RETURN = "crm.lead.callback_return"

PIPELINE = Pipeline(
    key="leads",
    label=gettext_lazy("Lead qualification"),
    stages=[
        Stage(LeadStage.NEW, LeadStage.NEW.label, 10, ACTIVE),
        Stage(LeadStage.IN_PROGRESS, LeadStage.IN_PROGRESS.label, 20, ACTIVE),
        Stage(LeadStage.NO_ANSWER, LeadStage.NO_ANSWER.label, 30, ACTIVE),
        Stage(LeadStage.QUALIFIED, LeadStage.QUALIFIED.label, 40, WON),
        Stage(LeadStage.WRONG_CONTACTS, LeadStage.WRONG_CONTACTS.label, 50, LOST),
        Stage(LeadStage.SPAM, LeadStage.SPAM.label, 60, LOST),
        Stage(LeadStage.NOT_PROVIDED, LeadStage.NOT_PROVIDED.label, 70, LOST),
        Stage(LeadStage.UNREACHABLE, LeadStage.UNREACHABLE.label, 80, LOST),
        Stage(LeadStage.DUPLICATE, LeadStage.DUPLICATE.label, 90, LOST),
    ],
)


def callback_slot(start: datetime.datetime, attempt: int) -> datetime.datetime:
    """When call number ``attempt`` (0 = at receipt … 4) is planned, before the past-slot rule."""
    if attempt == 0:
        return start
    if attempt == 1:
        return worktime.add_working_time(start, datetime.timedelta(minutes=30))
    if attempt == 2:
        return worktime.add_working_time(start, datetime.timedelta(hours=1))
    return worktime.add_days_then_align(start, 1 if attempt == 3 else 3)


def callback_due(start: datetime.datetime, attempt: int, now: datetime.datetime) -> datetime.datetime:
    """The slot, unless it is past (or outside working hours): then the next working moment from now."""
    return worktime.not_before_now(callback_slot(start, attempt), now=now)


def _call_task(lead: Lead, attempt: int, due: datetime.datetime, *, by) -> Task:
    return task_services.task_create(
        title=say("crm.lead.call_task", lead=lead.contact_name or lead.title, number=attempt + 1, total=CALL_ATTEMPTS),
        kind=Task.Kind.CALL,
        responsible=lead.responsible,
        deadline=due,
        lead=lead,
        by=by,
        is_automatic=True,
    )


# --- guards ---------------------------------------------------------------------------------


@PIPELINE.guard(*CLOSED_STAGES)
def _reason_required(lead, *, by, reason):
    if not reason:
        return _("Say why the lead is closed.")
    return None


@PIPELINE.guard(LeadStage.DUPLICATE)
def _duplicate_needs_link(lead, *, by, reason):
    if lead.duplicate_of_id is None and lead.duplicate_contact_id is None:
        return _("Link the lead or contact this lead duplicates first.")
    return None


@PIPELINE.guard(LeadStage.QUALIFIED)
def _conversion_needs_contact_details(lead, *, by, reason):
    if not (lead.email or lead.phone):
        return _("To convert the lead, give the client's phone or email.")
    return None


# --- robots ---------------------------------------------------------------------------------


@PIPELINE.on_enter(LeadStage.NEW)
def _first_call(lead, *, by, from_stage, reason):
    if lead.source != LeadSource.PHONE:
        _call_task(lead, 0, callback_due(lead.callbacks_from, 0, clock.now()), by=by)


@PIPELINE.on_enter(LeadStage.IN_PROGRESS)
def _restart_ladder_when_reopened(lead, *, by, from_stage, reason):
    if from_stage not in CLOSED_STAGES:
        return
    lead.failed_calls = 0
    lead.callbacks_from = clock.now()
    lead.save(update_fields=["failed_calls", "callbacks_from", "updated_at"])
    if lead.source != LeadSource.PHONE:
        _call_task(lead, 0, callback_due(lead.callbacks_from, 0, lead.callbacks_from), by=by)


@PIPELINE.on_enter(LeadStage.NO_ANSWER)
def _count_failed_call(lead, *, by, from_stage, reason):
    lead.failed_calls += 1
    lead.save(update_fields=["failed_calls", "updated_at"])
    task_services.close_open_tasks(lead, kind=Task.Kind.CALL, result=say("crm.task.no_answer"))
    if lead.source == LeadSource.PHONE:
        return
    if lead.failed_calls >= CALL_ATTEMPTS:
        workflow.move(
            lead,
            LeadStage.UNREACHABLE,
            by=None,
            reason=say("crm.lead.unreachable", count=lead.failed_calls),
        )
        return
    due = callback_due(lead.callbacks_from, lead.failed_calls, clock.now())
    _call_task(lead, lead.failed_calls, due, by=None)
    timers.schedule(lead, CALLBACK_RETURN, at=due)


@timers.batch_handler(CALLBACK_RETURN)
def _return_for_next_call(pairs):
    # The leads of a tick come back in one move (the same queries for 3 as for 300): their call
    # tasks exist already, and «В обработке»'s robot acts only on a lead reopened after closing.
    leads = [lead for lead, _action in pairs if lead.stage == LeadStage.NO_ANSWER]
    if leads:
        workflow.move_many(leads, LeadStage.IN_PROGRESS, by=None, reason=say("crm.lead.next_call"))


@PIPELINE.on_enter(LeadStage.QUALIFIED, *CLOSED_STAGES)
def _close_call_tasks(lead, *, by, from_stage, reason):
    task_services.close_open_tasks(lead, kind=Task.Kind.CALL, result=say("crm.lead.closed_tasks"))


@PIPELINE.on_enter(LeadStage.UNREACHABLE)
def _tell_manager_unreachable(lead, *, by, from_stage, reason):
    if lead.responsible is None or by == lead.responsible:
        return
    notify_staff(
        lead,
        to=lead.responsible,
        title=say("crm.lead.closed.title", title=lead.title),
        text=say(
            "crm.lead.closed.text",
            title=lead.title,
            stage=LeadStage.UNREACHABLE,
            # The robot's reason as its message, so that the manager reads it in their language.
            reason=Message.from_stored(lead.closing_reason_message) or reason,
        ),
        key=f"crm.lead.unreachable:{lead.pk}:{lead.stage_entry_count}",
    )


@PIPELINE.on_enter(LeadStage.QUALIFIED)
def _convert(lead, *, by, from_stage, reason):
    convert_lead(lead, by=by)
