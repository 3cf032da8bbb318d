"""The ticket pipeline: statuses in board order, what happens when a ticket enters each, and the
ticket clock — SLA breaches, the return of deferred tickets and the follow-up of an accepted
ticket (DESIGN.md "Pipelines and robots", "The automation clock").

Moves go through ``admin24.workflow.move`` like every other pipeline; the buttons, the
board, the API and the clock all end up there (through ``servicedesk.services``).

The pipeline engine cancels a ticket's pending actions whenever its status changes, so every
status a ticket enters schedules again the deadline checks that still apply (``schedule_sla``);
a handler also re-checks the ticket's fields, so a breach is flagged and told once at most.
"""

import logging

from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext_lazy

from admin24 import bulk, clock, timers, workflow, worktime
from admin24.structure import supervisors_of
from admin24.workflow import ACTIVE, HOLD, WON, Pipeline, Stage
from notifications.models import TelegramKind
from notifications.services import StaffNotice, notify_staff_many

from .emails import email_client
from .models import DeskSettings, Ticket, TicketStatus
from .services import (
    FOLLOW_UP,
    REACTION_BREACH,
    RESOLUTION_BREACH,
    add_comment,
    follow_ups_scheduled,
    schedule_sla,
    sla_timers,
    ticket_follow_up_many,
)
from .texts import say

log = logging.getLogger(__name__)

DEFERRED_RETURN = "servicedesk.ticket.deferred_return"

PIPELINE = Pipeline(
    key="tickets",
    label=gettext_lazy("Tickets"),
    field_name="status",
    stages=[
        Stage(TicketStatus.NEW, TicketStatus.NEW.label, 10, ACTIVE),
        Stage(TicketStatus.IN_PROGRESS, TicketStatus.IN_PROGRESS.label, 20, ACTIVE),
        Stage(TicketStatus.DEFERRED, TicketStatus.DEFERRED.label, 30, HOLD),
        Stage(TicketStatus.DONE, TicketStatus.DONE.label, 40, WON),
    ],
)


def schedule_return(ticket: Ticket) -> None:
    timers.cancel_pending(ticket, DEFERRED_RETURN)
    timers.schedule(ticket, DEFERRED_RETURN, at=ticket.deferred_until)


def _working_seconds(ticket: Ticket, moment) -> int:
    """Working time from the ticket's creation to ``moment``, in whole seconds (for the reports)."""
    return max(int(worktime.working_time_between(ticket.created_at, moment).total_seconds()), 0)


def _record_reaction(ticket: Ticket) -> None:
    if ticket.first_reaction_at is None:
        ticket.first_reaction_at = clock.now()
        ticket.reaction_work_seconds = _working_seconds(ticket, ticket.first_reaction_at)
        ticket.save(update_fields=["first_reaction_at", "reaction_work_seconds", "updated_at"])


# --- robots ---------------------------------------------------------------------------------


@PIPELINE.on_enter(TicketStatus.NEW, batch=True)
def _watch_new(tickets, *, by, from_stage, reason):
    timers.schedule_many(timer for ticket in tickets for timer in sla_timers(ticket))


@PIPELINE.on_enter(TicketStatus.IN_PROGRESS, batch=True)
def _work(tickets, *, by, from_stage, reason):
    """Work starts (or starts again): the first reaction noted, a deferral or a resolution left
    behind, the SLA clock set again, the client told when it starts from «Новая». For a batch (a
    batch of client replies reopening their tickets) the changes are one UPDATE and the timers
    one INSERT."""
    now, changed, fields = clock.now(), [], {"updated_at"}
    for ticket in tickets:
        touched = []
        if ticket.first_reaction_at is None:
            ticket.first_reaction_at = now
            ticket.reaction_work_seconds = _working_seconds(ticket, now)
            touched += ["first_reaction_at", "reaction_work_seconds"]
        if ticket.deferred_until is not None:
            ticket.deferred_until = None
            touched.append("deferred_until")
        if from_stage == TicketStatus.DONE:
            ticket.resolved_at = None
            ticket.resolution_work_seconds = None
            touched += ["resolved_at", "resolution_work_seconds"]
        if touched:
            changed.append(ticket)
            fields.update(touched)
    if len(changed) == 1:
        changed[0].save(update_fields=sorted(fields))
    elif changed:
        for ticket in changed:
            ticket.updated_at = timezone.now()  # what save()'s auto_now would set
        bulk.update_rows(changed, sorted(fields))
    timers.schedule_many(timer for ticket in tickets for timer in sla_timers(ticket))
    if from_stage == TicketStatus.NEW:
        for ticket in tickets:
            email_client(ticket, "servicedesk/ticket_started", key="servicedesk.started")


@PIPELINE.on_enter(TicketStatus.DEFERRED)
def _defer(ticket, *, by, from_stage, reason):
    _record_reaction(ticket)
    if ticket.deferred_until is None:
        ticket.deferred_until = worktime.add_working_time(clock.now(), DeskSettings.load().deferred_return_time)
    ticket.save(update_fields=["deferred_until", "updated_at"])
    schedule_return(ticket)
    schedule_sla(ticket)


@PIPELINE.on_enter(TicketStatus.DONE)
def _done(ticket, *, by, from_stage, reason):
    now = clock.now()
    if ticket.first_reaction_at is None:
        ticket.first_reaction_at = now
        ticket.reaction_work_seconds = _working_seconds(ticket, now)
    ticket.resolved_at = now
    ticket.resolution_work_seconds = _working_seconds(ticket, now)
    ticket.deferred_until = None
    ticket.save(
        update_fields=[
            "first_reaction_at",
            "reaction_work_seconds",
            "resolved_at",
            "resolution_work_seconds",
            "deferred_until",
            "updated_at",
        ]
    )
    if reason and by is not None:
        # The words for the client are a public comment of the thread like any other; the «done»
        # email below carries them, so the comment sends no email of its own.
        add_comment(ticket=ticket, author=by, body=reason, public=True, email=False)
    email_client(
        ticket, "servicedesk/ticket_done", {"note": reason}, key=f"servicedesk.done:{ticket.stage_entry_count}"
    )


# --- the clock ------------------------------------------------------------------------------


def _breached_in_batch(pairs, *, flag: str, still_due, notice) -> None:
    """A breach handler for a whole batch (``timers.batch_handler``): the tickets still due
    flagged in one UPDATE, every notice written at once; a supervisor is looked up once per
    assignee. Same effects as the handler for one ticket."""
    tickets = [ticket for ticket, _action in pairs if still_due(ticket)]
    if not tickets:
        return
    # updated_at as save()'s auto_now would set it.
    Ticket.objects.filter(pk__in=[ticket.pk for ticket in tickets]).update(**{flag: True, "updated_at": timezone.now()})
    # The assignees alone, read once each (a few people for many tickets), onto the tickets the clock read.
    prefetch_related_objects(tickets, "assignee")
    assignees = {ticket.assignee_id: ticket.assignee for ticket in tickets if ticket.assignee_id is not None}
    supervisors = supervisors_of(assignees.values())
    notices = []
    for ticket in tickets:
        setattr(ticket, flag, True)
        title, text, due, key = notice(ticket)
        for user in (assignees.get(ticket.assignee_id), supervisors.get(ticket.assignee_id)):
            notices.append(
                StaffNotice(target=ticket, to=user, title=title, text=text, key=key, due=due, kind=TelegramKind.SLA)
            )
    notify_staff_many(notices)


def _reaction_notice(ticket):
    return (
        say("servicedesk.reaction_breach.title", ticket=str(ticket)),
        say("servicedesk.reaction_breach.text", number=ticket.display_number, subject=ticket.subject),
        ticket.reaction_due_at,
        f"servicedesk.reaction_breach:{ticket.pk}",
    )


def _resolution_notice(ticket):
    return (
        say("servicedesk.resolution_breach.title", ticket=str(ticket)),
        say("servicedesk.resolution_breach.text", number=ticket.display_number, subject=ticket.subject),
        ticket.resolution_due_at,
        f"servicedesk.resolution_breach:{ticket.pk}",
    )


@timers.batch_handler(REACTION_BREACH)
def _reactions_breached(pairs) -> None:
    _breached_in_batch(
        pairs,
        flag="reaction_breached",
        still_due=lambda t: t.first_reaction_at is None and not t.reaction_breached,
        notice=_reaction_notice,
    )


@timers.batch_handler(RESOLUTION_BREACH)
def _resolutions_breached(pairs) -> None:
    _breached_in_batch(
        pairs,
        flag="resolution_breached",
        still_due=lambda t: t.status != TicketStatus.DONE and not t.resolution_breached,
        notice=_resolution_notice,
    )


@timers.batch_handler(DEFERRED_RETURN)
def _deferrals_over(pairs) -> None:
    # The whole batch moves at once (its robots are batch robots) and the assignees are read and
    # told at once: the same queries for 3 tickets as for 300.
    pairs = [(ticket, action) for ticket, action in pairs if ticket.status == TicketStatus.DEFERRED]
    tickets = [ticket for ticket, _action in pairs]
    if not tickets:
        return
    prefetch_related_objects(tickets, "assignee")
    workflow.move_many(tickets, TicketStatus.IN_PROGRESS, by=None, reason=say("servicedesk.deferral_over"))
    notify_staff_many(
        [
            StaffNotice(
                target=ticket,
                to=ticket.assignee,
                title=say("servicedesk.deferral_over.title", ticket=str(ticket)),
                text=say("servicedesk.deferral_over.text", number=ticket.display_number, subject=ticket.subject),
                key=f"servicedesk.deferred_return:{ticket.pk}:{action.pk}",
            )
            for ticket, action in pairs
        ]
    )


@timers.batch_handler(FOLLOW_UP, lock=True)
def _follow_up(pairs) -> None:
    # Locked by the clock as it read them (``lock``); as tickets, so that the timers their robots
    # schedule are cancelled by their moves, which those aimed at the proxy would not be.
    ticket_follow_up_many(tickets=[intake.as_ticket() for intake, _action in pairs])


@timers.sweep(FOLLOW_UP)
def _follow_up_marked(now, batch: int) -> dict[str, int]:
    """The follow-ups of the tickets the intake marked (``Ticket.follow_up_pending``), as one batch:
    locked as they are read (another worker skips them) and unmarked by the follow-up's own UPDATE.
    A batch that fails goes to the clock as actions (``follow_ups_scheduled``), which the same tick
    runs next: then each ticket's follow-up is tried alone and retried as every action is."""
    tickets = list(
        Ticket.objects.filter(follow_up_pending=True).order_by("pk").select_for_update(skip_locked=True)[:batch]
    )
    if not tickets:
        return {}
    try:
        with transaction.atomic():
            ticket_follow_up_many(tickets=tickets)
    except Exception:
        log.warning("The follow-up of %s marked tickets failed; each goes to the clock", len(tickets), exc_info=True)
        follow_ups_scheduled(tickets, now)
        return {timers.RETRYING: len(tickets)}
    return {timers.DONE: len(tickets)}
