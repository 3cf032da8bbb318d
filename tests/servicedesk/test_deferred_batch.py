"""Deferred tickets come back in batches (``timers.batch_handler`` + ``workflow.move_many``): the
returns a tick finds move with one statement per step for them all, so thirty cost the queries
of three; and each ticket is back in work, its assignee told, exactly when the one-by-one path
brought it back (the time travels cross a shortened pre-holiday day, National Unity Day and a
weekend of the Russian production calendar)."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from admin24 import timers, worktime
from admin24.models import Activity, ScheduledAction
from notifications.models import Notification
from servicedesk import services
from servicedesk.models import Ticket, TicketStatus
from servicedesk.pipeline import DEFERRED_RETURN
from tests.told import titles as told_titles

from .conftest import msk

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_readers")]
Status = ScheduledAction.Status


def deferred(service, engineer, count, *, at, **defer):
    with time_machine.travel(at, tick=False):
        tickets = [
            services.create_ticket(service=service, source="form", subject=f"Не печатает {n}",
                                   email=f"c{n}@client.ru", name="Клиент")
            for n in range(count)
        ]  # fmt: skip
        for ticket in tickets:
            services.ticket_defer(ticket=ticket, by=engineer, **defer)
    return tickets


def statuses(tickets):
    return [Ticket.objects.get(pk=ticket.pk).status for ticket in tickets]


def told(engineer):
    return sum("Back in work" in t for t in told_titles(Notification.objects.filter(recipient=engineer)))


@pytest.mark.postgres  # SQLite splits a bulk INSERT past 999 parameters
def test_a_tick_brings_back_thirty_deferred_tickets_with_the_queries_it_takes_for_three(desk, service, engineer):
    moment = msk(2026, 11, 25, 15)  # a Wednesday

    def queries_for(count):
        tickets = deferred(service, engineer, count, at=msk(2026, 11, 25, 10), return_at=moment)
        # One was resumed by hand meanwhile: its return is cancelled and it is not told again.
        with time_machine.travel(msk(2026, 11, 25, 11), tick=False):
            services.ticket_resume(ticket=tickets[-1], by=engineer)
        before = told(engineer)
        worktime.current_calendar()
        with CaptureQueriesContext(connection) as queries:
            timers.run_due(moment, batch=1000)
        assert statuses(tickets) == [TicketStatus.IN_PROGRESS] * count
        assert told(engineer) - before == count - 1
        assert not Ticket.objects.filter(pk__in=[t.pk for t in tickets], deferred_until__isnull=False).exists()
        moves = Activity.objects.filter(
            verb=Activity.Verb.MOVED, target_id__in=[t.pk for t in tickets], key="servicedesk.deferral_over"
        )
        assert moves.count() == count - 1
        captured[count] = [q["sql"][:200] for q in queries]
        # What the moves scheduled (the SLA deadlines) stays out of the next run.
        ScheduledAction.objects.filter(status=Status.PENDING).update(status=Status.CANCELLED)
        return len(queries)

    captured = {}
    queries_for(3)  # content types and settings are looked up once per process
    assert queries_for(30) == queries_for(3), "\n".join(captured[30] + ["----"] + captured[3])


def test_tickets_deferred_before_unity_day_and_a_weekend_come_back_together_on_time(desk, service, engineer):
    desk.deferred_return_time = datetime.timedelta(hours=4)
    desk.save()
    # Tuesday 3 November 2026 is shortened (to 17:00) and Wednesday 4 November is a holiday:
    # deferred at 15:00 for four working hours, they are back on Thursday 5 November at 11:00.
    before_holiday = deferred(service, engineer, 3, at=msk(2026, 11, 3, 15))
    # Friday 6 November at 17:00: one hour on Friday, three on Monday 9 November: back at 12:00.
    before_weekend = deferred(service, engineer, 3, at=msk(2026, 11, 6, 17))
    returns = ScheduledAction.objects.filter(action=DEFERRED_RETURN, status=Status.PENDING).order_by("pk")
    assert [timezone.localtime(r.due_at) for r in returns] == [msk(2026, 11, 5, 11)] * 3 + [msk(2026, 11, 9, 12)] * 3

    with time_machine.travel(msk(2026, 11, 5, 10, 59, 59), tick=False):
        timers.run_due_until_idle()
    assert statuses(before_holiday + before_weekend) == [TicketStatus.DEFERRED] * 6
    with time_machine.travel(msk(2026, 11, 5, 11), tick=False):
        timers.run_due_until_idle()
    assert statuses(before_holiday) == [TicketStatus.IN_PROGRESS] * 3
    assert statuses(before_weekend) == [TicketStatus.DEFERRED] * 3
    assert told(engineer) == 3

    with time_machine.travel(msk(2026, 11, 9, 11, 59, 59), tick=False):
        timers.run_due_until_idle()
    assert statuses(before_weekend) == [TicketStatus.DEFERRED] * 3
    with time_machine.travel(msk(2026, 11, 9, 12), tick=False):
        timers.run_due_until_idle()
    assert statuses(before_weekend) == [TicketStatus.IN_PROGRESS] * 3
    assert told(engineer) == 6
    # Back in work, the SLA clock runs again for the deadlines still ahead.
    for ticket in before_weekend:
        ticket.refresh_from_db()
        assert ticket.deferred_until is None
        assert ScheduledAction.objects.filter(
            target_id=ticket.pk, action=services.RESOLUTION_BREACH, status=Status.PENDING
        ).exists() == (not ticket.resolution_breached)
