"""Catching up after an outage (issue 11 §5), by time travel: a deferred ticket whose return time
passed while the worker and beat were down comes back once, the assignee hears it once, and the
deadline it has missed meanwhile is told once — not again on every tick after the restart."""

import datetime

import pytest
import time_machine

from admin24 import timers
from admin24.models import ScheduledAction
from notifications.models import Notification
from servicedesk import services
from servicedesk.models import TicketStatus
from servicedesk.pipeline import DEFERRED_RETURN, RESOLUTION_BREACH
from tests.told import titles as told_titles

from .conftest import msk

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_readers")]


def back_up(moment, minutes=5):
    """The worker and beat come back at ``moment``: beat ticks every 30 seconds for a while."""
    for n in range(minutes * 2 + 1):
        with time_machine.travel(moment + n * datetime.timedelta(seconds=30), tick=False):
            timers.run_due_until_idle()


def told(user, containing):
    return sum(containing in t for t in told_titles(Notification.objects.filter(recipient=user)))


def test_a_deferred_ticket_returns_once_after_an_outage_and_its_breach_is_told_once(
    desk, service, engineer, support_head
):
    desk.resolution_time = datetime.timedelta(hours=8)
    desk.save()
    with time_machine.travel(msk(2026, 11, 23, 10, 0), tick=False):  # Monday
        ticket = services.create_ticket(
            service=service, source="form", subject="Не работает почта", email="client@client.ru", name="Клиент"
        )
    with time_machine.travel(msk(2026, 11, 23, 10, 30), tick=False):
        services.ticket_start(ticket=ticket, by=engineer)
        services.ticket_defer(ticket=ticket, by=engineer, return_at=msk(2026, 11, 23, 15, 0))

    back_up(msk(2026, 12, 7, 10, 0))  # down from Monday noon for two weeks

    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.IN_PROGRESS
    assert ticket.resolution_breached
    assert told(engineer, "Back in work") == 1
    assert told(engineer, "Deadline breached") == 1
    assert told(support_head, "Deadline breached") == 1
    assert not ScheduledAction.objects.filter(
        action__in=[DEFERRED_RETURN, RESOLUTION_BREACH], status=ScheduledAction.Status.PENDING
    ).exists()
