"""The deal reminders run in batches (``timers.batch_handler``): every due reminder of a tick is
told with one statement per step for them all, so thirty cost the queries of three; and what
each manager and supervisor hears, and when, is what the one-by-one path told them (the time
travels below cross a weekend and the May holidays of the Russian production calendar)."""

import datetime
import itertools

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from admin24 import timers, worktime
from admin24.models import Activity, ScheduledAction
from admin24.roles import Role
from admin24.workflow import move
from crm.models import ContractStage, Deal, DealPipeline, RegularStage
from crm.pipelines import contract as contract_pipeline
from crm.pipelines import regular as regular_pipeline
from notifications.models import Notification, OutboxMessage
from tests.crm.conftest import msk
from tests.factories import CompanyFactory, DealFactory, DepartmentFactory, UserFactory

pytestmark = pytest.mark.usefixtures("english_readers")

Status = ScheduledAction.Status
_numbers = itertools.count(1)


def managers(count):
    """``count`` managers, each in a department of their own whose head supervises them."""
    found = []
    for _ in range(count):
        n = next(_numbers)
        head = UserFactory(username=f"head{n}", roles=[Role.SUPERVISOR])
        department = DepartmentFactory(head=head)
        head.department = department
        head.save(update_fields=["department"])
        found.append(UserFactory(username=f"manager{n}", roles=[Role.SALES_MANAGER], department=department))
    return found


def heads(people):
    return [person.department.head for person in people]


def told(user, containing=""):
    # Read as the recipient reads them: in their language (the stored title is the site's).
    with translation.override(user.language):
        titles = [
            notice.shown_title
            for notice in Notification.objects.filter(recipient=user, template="reminder").order_by("pk")
        ]
    return [title for title in titles if containing in title]


# --- thirty reminders cost what three do --------------------------------------------------------

MOMENT = msk(2027, 3, 10, 12)  # a Wednesday


def _feedback(deal):
    for to in ("manager", "supervisor"):
        timers.schedule(deal, contract_pipeline.FEEDBACK_REMINDER, MOMENT, payload={"to": to})


def _payment(deal):
    timers.schedule(deal, contract_pipeline.PAYMENT_REMINDER, MOMENT, payload={"number": 1})


def _unpaid(deal):
    for days in (10, 15):  # a catch-up: the day-10 step is superseded by the day-15 one
        timers.schedule(deal, regular_pipeline.UNPAID_REMINDER, MOMENT - datetime.timedelta(days=15 - days),
                        payload={"days": days})  # fmt: skip


def _closing(deal):
    for days, to in ((3, None), (5, None), (20, "supervisor")):
        payload = {"days": days, **({"to": to} if to else {})}
        timers.schedule(deal, regular_pipeline.CLOSING_DOCS_REMINDER, MOMENT - datetime.timedelta(days=20 - days),
                        payload=payload)  # fmt: skip


CASES = {
    # action: the deals' pipeline and stage, the due steps, reminders per deal, whether a done deal is skipped
    contract_pipeline.FEEDBACK_REMINDER: (DealPipeline.CONTRACT, ContractStage.FEEDBACK, _feedback, 2, False),
    contract_pipeline.PAYMENT_REMINDER: (DealPipeline.CONTRACT, ContractStage.AWAITING_PAYMENT, _payment, 1, True),
    regular_pipeline.UNPAID_REMINDER: (DealPipeline.REGULAR, RegularStage.INVOICE_SENT, _unpaid, 1, True),
    regular_pipeline.CLOSING_DOCS_REMINDER: (DealPipeline.REGULAR, RegularStage.CLOSING_DOCS, _closing, 2, True),
}


@pytest.mark.postgres  # SQLite splits a bulk INSERT past 999 parameters
@pytest.mark.parametrize("action", list(CASES))
def test_a_tick_tells_thirty_deals_with_the_queries_it_takes_for_three(db, action):
    pipeline, stage, schedule, told_per_deal, skips_done = CASES[action]

    def queries_for(count):
        people = managers(count)
        deals = [
            DealFactory(pipeline=pipeline, stage=stage, responsible=person, company=CompanyFactory(),
                        period_start=datetime.date(2027, 2, 1), period_end=datetime.date(2027, 2, 28))
            for person in people
        ]  # fmt: skip
        # One of them needs no reminder any more: paid, or its documents received.
        Deal.objects.filter(pk=deals[0].pk).update(payment_received=True, invoice_paid=True, closing_docs_received=True)
        with time_machine.travel(MOMENT - datetime.timedelta(days=30), tick=False):
            for deal in deals:
                schedule(deal)
        worktime.current_calendar()  # loaded once per process, not per tick
        with CaptureQueriesContext(connection) as queries:
            timers.run_due(MOMENT, batch=1000)
        assert not ScheduledAction.objects.filter(
            action=action, target_id__in=[d.pk for d in deals], status=Status.PENDING, due_at__lte=MOMENT
        ).exists()
        recipients = people + heads(people)
        reminded = told_per_deal * (count - 1 if skips_done else count)
        assert Notification.objects.filter(recipient__in=recipients).count() == reminded
        timeline = Activity.objects.filter(verb=Activity.Verb.REMINDER_SENT, target_id__in=[d.pk for d in deals])
        assert timeline.count() == reminded
        captured[count] = [q["sql"][:300] for q in queries]
        return len(queries)

    captured = {}
    assert queries_for(30) == queries_for(3), "\n".join(captured[30])


# --- what they hear, and when: many deals at once across a weekend and a holiday ---------------


def awaiting_payment(people, moment):
    deals = [
        DealFactory(pipeline=DealPipeline.CONTRACT, stage=ContractStage.CONTRACT, title=f"Абонентка {n}",
                    company=CompanyFactory(), responsible=person, contract_date=moment.date())
        for n, person in enumerate(people)
    ]  # fmt: skip
    with time_machine.travel(moment, tick=False):
        for deal, person in zip(deals, people, strict=True):
            move(deal, ContractStage.AWAITING_PAYMENT, by=person)
    return deals


def tick(moment):
    with time_machine.travel(moment, tick=False):
        timers.run_due_until_idle()


def pending(action, deals):
    return list(
        ScheduledAction.objects.filter(action=action, target_id__in=[d.pk for d in deals], status=Status.PENDING)
        .order_by("target_id")
        .values_list("due_at", "payload")
    )


def test_payment_reminders_of_many_deals_wait_out_the_weekend_and_the_may_holidays_together(db):
    people = managers(4)
    # Thursday 29 April 2027: two days later is Saturday 1 May; Sunday, and Monday 3 May is the
    # day off moved from 1 May: the reminder is due on Tuesday 4 May at the start of work.
    deals = awaiting_payment(people, msk(2027, 4, 29, 10))
    paid = deals[-1]
    assert pending(contract_pipeline.PAYMENT_REMINDER, deals) == [(msk(2027, 5, 4, 9), {"number": 1})] * 4

    tick(msk(2027, 5, 4, 8, 59, 59))
    assert [told(person) for person in people] == [[]] * 4
    Deal.objects.filter(pk=paid.pk).update(payment_received=True)
    tick(msk(2027, 5, 4, 9))
    assert [len(told(person, "paid")) for person in people] == [1, 1, 1, 0]
    # The paid one's chain stops; the others' next step is two days on, Thursday 6 May at 09:00.
    assert pending(contract_pipeline.PAYMENT_REMINDER, deals) == [(msk(2027, 5, 6, 9), {"number": 2})] * 3

    tick(msk(2027, 5, 6, 8, 59, 59))
    assert [len(told(person, "paid")) for person in people] == [1, 1, 1, 0]
    tick(msk(2027, 5, 6, 9))
    assert [len(told(person, "paid")) for person in people] == [2, 2, 2, 0]
    # Saturday 8 May, Sunday, and Monday 10 May (moved from 9 May): Tuesday 11 May.
    assert pending(contract_pipeline.PAYMENT_REMINDER, deals) == [(msk(2027, 5, 11, 9), {"number": 3})] * 3
    tick(msk(2027, 5, 10, 17))
    assert [len(told(person, "paid")) for person in people] == [2, 2, 2, 0]
    tick(msk(2027, 5, 11, 9))
    assert [len(told(person, "paid")) for person in people] == [3, 3, 3, 0]
    assert OutboxMessage.objects.filter(recipient_user__in=people, template="reminder").count() == 9


def test_feedback_reminders_of_many_deals_reach_each_manager_then_each_supervisor(db):
    people = managers(3)
    deals = [
        DealFactory(pipeline=DealPipeline.CONTRACT, stage=ContractStage.PROPOSAL, title=f"Абонентка {n}",
                    responsible=person)
        for n, person in enumerate(people)
    ]  # fmt: skip
    # Friday 23 April 2027: day 10 is Monday 3 May, a day off (moved from 1 May): Tuesday 4 May.
    with time_machine.travel(msk(2027, 4, 23, 10), tick=False):
        for deal, person in zip(deals, people, strict=True):
            move(deal, ContractStage.FEEDBACK, by=person)
    tick(msk(2027, 5, 4, 8, 59, 59))
    assert [told(person) for person in people + heads(people)] == [[]] * 6
    tick(msk(2027, 5, 4, 9))
    assert [len(told(person, "No answer")) for person in people] == [1, 1, 1]
    assert [told(head) for head in heads(people)] == [[]] * 3
    # Day 20: Thursday 13 May at 10:00, the supervisors.
    tick(msk(2027, 5, 13, 9, 59, 59))
    assert [told(head) for head in heads(people)] == [[]] * 3
    tick(msk(2027, 5, 13, 10))
    assert [len(told(head, "No answer")) for head in heads(people)] == [1, 1, 1]
    assert [len(told(person, "No answer")) for person in people] == [1, 1, 1]
    assert pending(contract_pipeline.FEEDBACK_REMINDER, deals) == []
