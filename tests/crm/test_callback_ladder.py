"""The call-back ladder of SPEC §2 and issue 4 §6, by travelling in time (Mon–Fri 09:00–18:00)."""

import time_machine
from django.utils import timezone

from admin24 import timers
from admin24.models import CalendarDay
from admin24.workflow import move
from crm.models import LeadSource, LeadStage, Task
from crm.services.leads import lead_create
from notifications.models import Notification
from tests.told import titles

from .conftest import msk

# Five failed calls in a row (the tests fail one at each moment): the fifth closes the lead as unreachable.
FIVE_CALLS = [
    msk(2026, 4, 6, 10, 0),
    msk(2026, 4, 6, 10, 30),
    msk(2026, 4, 6, 11, 0),
    msk(2026, 4, 7, 10, 0),
    msk(2026, 4, 9, 10, 0),
]


def create_lead(when, responsible, **fields):
    with time_machine.travel(when, tick=False):
        fields.setdefault("source", LeadSource.WEB_FORM)
        return lead_create(by=None, responsible=responsible, contact_name="Клиент", email="c@example.org", **fields)


def call_deadlines(lead):
    calls = Task.objects.filter(lead=lead, kind=Task.Kind.CALL).order_by("pk")
    return [timezone.localtime(t.deadline).replace(tzinfo=None) for t in calls]


def clock(when):
    with time_machine.travel(when, tick=False):
        timers.run_due()


def fail_call(lead, manager, when):
    """At ``when`` the clock ticks, then the manager's call fails and he drags the lead to «Недозвон»."""
    with time_machine.travel(when, tick=False):
        timers.run_due()
        lead.refresh_from_db()
        move(lead, LeadStage.NO_ANSWER, by=manager)
        lead.refresh_from_db()
    return lead


def naive(*args):
    return msk(*args).replace(tzinfo=None)


def test_monday_morning_lead_gets_its_five_calls_at_the_planned_slots(manager):
    lead = create_lead(msk(2026, 4, 6, 10, 0), manager)
    for when in [msk(2026, 4, 6, 10, 0), msk(2026, 4, 6, 10, 30), msk(2026, 4, 6, 11, 0), msk(2026, 4, 7, 10, 0)]:
        fail_call(lead, manager, when)

    assert call_deadlines(lead) == [
        naive(2026, 4, 6, 10, 0),
        naive(2026, 4, 6, 10, 30),
        naive(2026, 4, 6, 11, 0),
        naive(2026, 4, 7, 10, 0),
        naive(2026, 4, 9, 10, 0),
    ]
    assert lead.stage == LeadStage.NO_ANSWER
    assert lead.failed_calls == 4


def test_friday_evening_lead_follows_working_time_and_a_past_slot_is_due_at_once(manager):
    lead = create_lead(msk(2026, 4, 10, 17, 45), manager)
    fail_call(lead, manager, msk(2026, 4, 10, 17, 45))
    fail_call(lead, manager, msk(2026, 4, 13, 9, 15))
    fail_call(lead, manager, msk(2026, 4, 13, 9, 50))  # the +1 day slot (Mon 09:00) is already past

    assert call_deadlines(lead) == [
        naive(2026, 4, 10, 17, 45),
        naive(2026, 4, 13, 9, 15),
        naive(2026, 4, 13, 9, 45),
        naive(2026, 4, 13, 9, 50),
    ]
    clock(msk(2026, 4, 13, 9, 50))
    lead.refresh_from_db()
    assert lead.stage == LeadStage.IN_PROGRESS

    fail_call(lead, manager, msk(2026, 4, 13, 9, 50))
    assert call_deadlines(lead)[-1] == naive(2026, 4, 13, 17, 45)


def test_a_holiday_moves_the_next_day_call_to_the_next_working_morning(manager):
    CalendarDay.objects.create(date=msk(2026, 4, 14).date(), kind=CalendarDay.Kind.HOLIDAY)
    lead = create_lead(msk(2026, 4, 13, 10, 0), manager)
    for when in [msk(2026, 4, 13, 10, 0), msk(2026, 4, 13, 10, 30), msk(2026, 4, 13, 11, 0), msk(2026, 4, 15, 9, 0)]:
        fail_call(lead, manager, when)

    assert call_deadlines(lead) == [
        naive(2026, 4, 13, 10, 0),
        naive(2026, 4, 13, 10, 30),
        naive(2026, 4, 13, 11, 0),
        naive(2026, 4, 15, 9, 0),
        naive(2026, 4, 16, 10, 0),
    ]


def test_the_lead_comes_back_to_in_progress_exactly_at_the_slot(manager):
    lead = create_lead(msk(2026, 4, 6, 10, 0), manager)
    fail_call(lead, manager, msk(2026, 4, 6, 10, 5))

    clock(msk(2026, 4, 6, 10, 29, 59))
    lead.refresh_from_db()
    assert lead.stage == LeadStage.NO_ANSWER

    clock(msk(2026, 4, 6, 10, 30))
    lead.refresh_from_db()
    assert lead.stage == LeadStage.IN_PROGRESS


def test_each_failed_call_closes_the_call_task_and_opens_the_next(manager):
    lead = create_lead(msk(2026, 4, 6, 10, 0), manager)
    fail_call(lead, manager, msk(2026, 4, 6, 10, 5))

    calls = list(Task.objects.filter(lead=lead, kind=Task.Kind.CALL).order_by("pk"))
    assert [t.status for t in calls] == [Task.Status.DONE, Task.Status.OPEN]
    assert calls[1].responsible == manager
    assert calls[1].is_automatic


def test_the_fifth_failed_call_closes_the_lead_as_unreachable_and_tells_the_manager(manager):
    lead = create_lead(msk(2026, 4, 6, 10, 0), manager)
    for when in FIVE_CALLS:
        fail_call(lead, manager, when)

    assert lead.stage == LeadStage.UNREACHABLE
    assert lead.failed_calls == 5
    assert "5" in lead.closing_reason
    assert not Task.objects.filter(lead=lead, status=Task.Status.OPEN).exists()
    told = [t for t in titles(Notification.objects.filter(recipient=manager, target_id=lead.pk)) if lead.title in t]
    # Assigned, each of the five call tasks the robot set (with its time), then closed.
    assert len(told) == 7
    assert len([t for t in told if t.startswith("Новая задача: Позвонить")]) == 5
    clock(msk(2026, 4, 20, 12, 0))
    lead.refresh_from_db()
    assert lead.stage == LeadStage.UNREACHABLE


def test_a_lead_moved_back_from_unreachable_gets_a_fresh_ladder(manager):
    lead = create_lead(msk(2026, 4, 6, 10, 0), manager)
    for when in FIVE_CALLS:
        fail_call(lead, manager, when)
    assert lead.stage == LeadStage.UNREACHABLE

    with time_machine.travel(msk(2026, 4, 20, 12, 0), tick=False):
        move(lead, LeadStage.IN_PROGRESS, by=manager)
    fail_call(lead, manager, msk(2026, 4, 20, 12, 5))

    assert lead.stage == LeadStage.NO_ANSWER
    assert lead.failed_calls == 1
    assert call_deadlines(lead)[-2:] == [naive(2026, 4, 20, 12, 0), naive(2026, 4, 20, 12, 30)]
    clock(msk(2026, 4, 20, 12, 30))
    lead.refresh_from_db()
    assert lead.stage == LeadStage.IN_PROGRESS


def test_a_manual_return_before_the_slot_cancels_the_clock(manager):
    lead = create_lead(msk(2026, 4, 6, 10, 0), manager)
    fail_call(lead, manager, msk(2026, 4, 6, 10, 5))
    with time_machine.travel(msk(2026, 4, 6, 10, 10), tick=False):
        move(lead, LeadStage.IN_PROGRESS, by=manager)
    fail_call(lead, manager, msk(2026, 4, 6, 10, 15))  # second failure: next call at 11:00

    clock(msk(2026, 4, 6, 10, 30))  # the first return, cancelled, must not fire
    lead.refresh_from_db()
    assert lead.stage == LeadStage.NO_ANSWER


def test_phone_call_leads_skip_the_ladder(manager):
    lead = create_lead(msk(2026, 4, 6, 10, 0), manager, source=LeadSource.PHONE)
    fail_call(lead, manager, msk(2026, 4, 6, 10, 5))

    assert not Task.objects.filter(lead=lead).exists()
    assert lead.failed_calls == 1
    clock(msk(2026, 4, 10, 12, 0))
    lead.refresh_from_db()
    assert lead.stage == LeadStage.NO_ANSWER
