"""The ticket clock: SLA breaches and the return of deferred tickets (DESIGN.md "The automation clock").

The pipeline engine cancels a ticket's pending actions whenever its status changes, so every
status a ticket enters schedules again the deadline checks that still apply (``schedule_sla``);
a handler also re-checks the ticket's fields, so a breach is flagged and told once at most.
"""

import logging
import time

from django.utils.translation import gettext as _

from admin24 import timers, workflow
from admin24.structure import recipient_for
from admin24.tasks import run_due_actions
from notifications.services import notify_staff

from .models import Ticket, TicketIntake, TicketStatus

log = logging.getLogger(__name__)

FOLLOW_UP = "servicedesk.ticket.follow_up"
KICK_SECONDS = 1.0
_last_kick = float("-inf")
REACTION_BREACH = "servicedesk.ticket.reaction_breach"
RESOLUTION_BREACH = "servicedesk.ticket.resolution_breach"
DEFERRED_RETURN = "servicedesk.ticket.deferred_return"


def schedule_sla(ticket: Ticket) -> None:
    if ticket.first_reaction_at is None and not ticket.reaction_breached and ticket.reaction_due_at:
        timers.schedule(ticket, REACTION_BREACH, at=ticket.reaction_due_at)
    if ticket.status != TicketStatus.DONE and not ticket.resolution_breached and ticket.resolution_due_at:
        timers.schedule(ticket, RESOLUTION_BREACH, at=ticket.resolution_due_at)


def schedule_return(ticket: Ticket) -> None:
    timers.cancel_pending(ticket, DEFERRED_RETURN)
    timers.schedule(ticket, DEFERRED_RETURN, at=ticket.deferred_until)


def _tell_staff(ticket: Ticket, *, title: str, text: str, key: str, due=None, supervisor: bool) -> None:
    # The assignee and, with ``supervisor``, the assignee's supervisor as well.
    recipients = [ticket.assignee]
    if supervisor:
        recipients.append(recipient_for(ticket.assignee, supervisor=True))
    for user in recipients:
        notify_staff(ticket, to=user, title=title, text=text, due=due, key=key)


@timers.handler(REACTION_BREACH)
def _reaction_breached(ticket: Ticket, action) -> None:
    if ticket.first_reaction_at is not None or ticket.reaction_breached:
        return
    ticket.reaction_breached = True
    ticket.save(update_fields=["reaction_breached", "updated_at"])
    _tell_staff(
        ticket,
        title=_("Reaction time breached: %(ticket)s") % {"ticket": ticket},
        text=_("Nobody has started work on ticket %(number)s “%(subject)s” within the reaction time.")
        % {"number": ticket.display_number, "subject": ticket.subject},
        due=ticket.reaction_due_at,
        key=f"servicedesk.reaction_breach:{ticket.pk}",
        supervisor=True,
    )


@timers.handler(RESOLUTION_BREACH)
def _resolution_breached(ticket: Ticket, action) -> None:
    if ticket.status == TicketStatus.DONE or ticket.resolution_breached:
        return
    ticket.resolution_breached = True
    ticket.save(update_fields=["resolution_breached", "updated_at"])
    _tell_staff(
        ticket,
        title=_("Deadline breached: %(ticket)s") % {"ticket": ticket},
        text=_("Ticket %(number)s “%(subject)s” is not done by its deadline.")
        % {"number": ticket.display_number, "subject": ticket.subject},
        due=ticket.resolution_due_at,
        key=f"servicedesk.resolution_breach:{ticket.pk}",
        supervisor=True,
    )


@timers.handler(DEFERRED_RETURN)
def _deferral_over(ticket: Ticket, action) -> None:
    if ticket.status != TicketStatus.DEFERRED:
        return
    workflow.move(ticket, TicketStatus.IN_PROGRESS, by=None, reason=_("The deferral is over."))
    _tell_staff(
        ticket,
        title=_("Back in work: %(ticket)s") % {"ticket": ticket},
        text=_("The deferral of ticket %(number)s “%(subject)s” is over; it is in work again.")
        % {"number": ticket.display_number, "subject": ticket.subject},
        key=f"servicedesk.deferred_return:{ticket.pk}:{action.pk}",
        supervisor=False,
    )


@timers.handler(FOLLOW_UP)
def _follow_up(intake: TicketIntake, action) -> None:
    from .services import ticket_follow_up  # services imports this module to schedule the action

    # The ticket itself, locked: the timers its robots schedule must be cancelled by its moves,
    # which those aimed at the proxy would not be.
    ticket = Ticket.objects.select_for_update().get(pk=intake.pk)
    ticket_follow_up(ticket=ticket)


def kick_follow_up() -> None:
    """Have a worker run the due follow-ups within a second or so; with the broker down, the
    clock's beat runs them within its period (DESIGN.md: durable rows, Celery for immediacy).

    One kick per process per KICK_SECONDS at most, due that much later: the task runs every
    action due by then, so a burst of tickets needs one task, not a publish in each request.
    """
    global _last_kick
    now = time.monotonic()
    if now - _last_kick < KICK_SECONDS:
        return
    _last_kick = now
    try:
        run_due_actions.apply_async(countdown=KICK_SECONDS)
    except Exception:
        log.warning("could not queue a run of the due actions; the clock's beat will run them", exc_info=True)
