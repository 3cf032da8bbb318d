"""The ticket pipeline: statuses in board order and what happens when a ticket enters each.

Moves go through ``admin24.workflow.move`` like every other pipeline; the buttons, the
board, the API and the clock all end up there (through ``servicedesk.services``).
"""

from django.utils import timezone
from django.utils.translation import gettext_lazy

from admin24 import worktime
from admin24.workflow import ACTIVE, HOLD, WON, Pipeline, Stage

from . import robots
from .emails import email_client
from .models import DeskSettings, Ticket, TicketStatus

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


def _record_reaction(ticket: Ticket) -> None:
    if ticket.first_reaction_at is None:
        ticket.first_reaction_at = timezone.now()
        ticket.save(update_fields=["first_reaction_at", "updated_at"])


@PIPELINE.on_enter(TicketStatus.NEW)
def _watch_new(ticket, *, by, from_stage, reason):
    robots.schedule_sla(ticket)


@PIPELINE.on_enter(TicketStatus.IN_PROGRESS)
def _work(ticket, *, by, from_stage, reason):
    _record_reaction(ticket)
    changed = []
    if ticket.deferred_until is not None:
        ticket.deferred_until = None
        changed.append("deferred_until")
    if from_stage == TicketStatus.DONE:
        ticket.resolved_at = None
        changed.append("resolved_at")
    if changed:
        ticket.save(update_fields=[*changed, "updated_at"])
    robots.schedule_sla(ticket)
    if from_stage == TicketStatus.NEW:
        email_client(ticket, "servicedesk/ticket_started", key="servicedesk.started")


@PIPELINE.on_enter(TicketStatus.DEFERRED)
def _defer(ticket, *, by, from_stage, reason):
    _record_reaction(ticket)
    if ticket.deferred_until is None:
        ticket.deferred_until = worktime.add_working_time(timezone.now(), DeskSettings.load().deferred_return_time)
    ticket.save(update_fields=["deferred_until", "updated_at"])
    robots.schedule_return(ticket)
    robots.schedule_sla(ticket)


@PIPELINE.on_enter(TicketStatus.DONE)
def _done(ticket, *, by, from_stage, reason):
    now = timezone.now()
    ticket.first_reaction_at = ticket.first_reaction_at or now
    ticket.resolved_at = now
    ticket.deferred_until = None
    ticket.save(update_fields=["first_reaction_at", "resolved_at", "deferred_until", "updated_at"])
    email_client(
        ticket, "servicedesk/ticket_done", {"note": reason}, key=f"servicedesk.done:{ticket.stage_entry_count}"
    )
