"""The clock's moves run in batches (``timers.batch_handler`` + ``workflow.move_many``): the leads
a tick brings back for their next call and the deals whose act-forming pause ends move together,
with one statement per step for all of them, so thirty cost the queries of three; and each card
lands where, and when, the one-by-one path put it (the time travels below cross a weekend and the
May and March holidays of the Russian production calendar)."""

import datetime
import itertools

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from admin24 import timers, worktime
from admin24.models import Activity, GlobalConstant, ScheduledAction
from admin24.roles import Role
from admin24.workflow import move
from crm.models import DealPipeline, Lead, LeadSource, LeadStage, RegularStage, Task
from crm.pipelines import leads as lead_pipeline
from crm.pipelines import regular as regular_pipeline
from crm.services.leads import lead_create
from tests.crm.conftest import msk
from tests.factories import CompanyFactory, DealFactory, UserFactory

pytestmark = pytest.mark.usefixtures("english_readers")

Status = ScheduledAction.Status
_numbers = itertools.count(1)

MOMENT = msk(2027, 3, 10, 12)  # a Wednesday


def managers(count):
    return [UserFactory(username=f"clockmanager{next(_numbers)}", roles=[Role.SALES_MANAGER]) for _ in range(count)]


def tick(moment):
    with time_machine.travel(moment, tick=False):
        timers.run_due_until_idle()


def stages(cards):
    return [type(card).objects.get(pk=card.pk).stage for card in cards]


# --- thirty cost what three do --------------------------------------------------------------


def _waiting_leads(people):
    leads = [
        Lead.objects.create(title=f"Заявка {n}", contact_name="Сидоров", email=f"l{n}@lead.example",
                            stage=LeadStage.NO_ANSWER, responsible=person, failed_calls=1)
        for n, person in enumerate(people)
    ]  # fmt: skip
    return leads, lead_pipeline.CALLBACK_RETURN, LeadStage.IN_PROGRESS


def _paused_deals(people):
    deals = [
        DealFactory(pipeline=DealPipeline.REGULAR, stage=RegularStage.INVOICE_PAID, invoice_paid=True,
                    responsible=person, company=CompanyFactory(),
                    period_start=datetime.date(2027, 3, 1), period_end=datetime.date(2027, 3, 31))
        for person in people
    ]  # fmt: skip
    return deals, regular_pipeline.ACT_FORMING_PAUSE, RegularStage.CLOSING_DOCS


CASES = {lead_pipeline.CALLBACK_RETURN: _waiting_leads, regular_pipeline.ACT_FORMING_PAUSE: _paused_deals}


@pytest.mark.postgres  # SQLite splits a bulk INSERT past 999 parameters
@pytest.mark.parametrize("action", list(CASES))
def test_a_tick_moves_thirty_cards_with_the_queries_it_takes_for_three(db, action):
    def queries_for(count):
        cards, name, to = CASES[action](managers(count))
        with time_machine.travel(MOMENT - datetime.timedelta(days=1), tick=False):
            for card in cards:
                timers.schedule(card, name, MOMENT)
        # One of them moved on meanwhile (by hand): its action is stale and it stays where it is.
        moved_on = cards[-1]
        type(moved_on).objects.filter(pk=moved_on.pk).update(stage_entry_count=7)
        worktime.current_calendar()  # loaded once per process, not per tick
        with CaptureQueriesContext(connection) as queries:
            timers.run_due(MOMENT, batch=1000)
        assert stages(cards[:-1]) == [to] * (count - 1)
        assert stages(cards[-1:]) != [to]
        moves = Activity.objects.filter(verb=Activity.Verb.MOVED, target_id__in=[c.pk for c in cards])
        assert moves.count() == count - 1
        captured[count] = [q["sql"][:200] for q in queries]
        # What the moves scheduled (the new stage's waits, the tasks' notices) stays out of the next run.
        ScheduledAction.objects.filter(status=Status.PENDING).update(status=Status.CANCELLED)
        return len(queries)

    captured = {}
    queries_for(3)  # the content types of what the robots write are looked up once per process
    assert queries_for(30) == queries_for(3), "\n".join(captured[30] + ["----"] + captured[3])


# --- where they land, and when: many cards at once across weekends and holidays -------------


def test_leads_failed_on_the_eve_of_the_may_holidays_come_back_together_after_them(db):
    people = managers(3)
    # Friday 30 April 2027 is a short day (to 17:00), then Saturday 1 May, Sunday, and Monday
    # 3 May, the day off moved from 1 May: the +30 working minutes end on Tuesday 4 May at 09:20.
    failed_at = msk(2027, 4, 30, 16, 50)
    with time_machine.travel(failed_at, tick=False):
        leads = [
            lead_create(by=None, responsible=person, source=LeadSource.WEB_FORM, contact_name="Клиент",
                        email=f"c{n}@example.org")
            for n, person in enumerate(people)
        ]  # fmt: skip
        for lead, person in zip(leads, people, strict=True):
            move(lead, LeadStage.NO_ANSWER, by=person)
    returns = ScheduledAction.objects.filter(action=lead_pipeline.CALLBACK_RETURN, status=Status.PENDING)
    assert [r.due_at for r in returns] == [msk(2027, 5, 4, 9, 20)] * 3

    tick(msk(2027, 5, 4, 9, 19, 59))
    assert stages(leads) == [LeadStage.NO_ANSWER] * 3
    tick(msk(2027, 5, 4, 9, 20))
    assert stages(leads) == [LeadStage.IN_PROGRESS] * 3
    # Each has its second call task, due at that moment, and the move on its timeline.
    for lead in leads:
        calls = Task.objects.filter(lead=lead, kind=Task.Kind.CALL).order_by("pk")
        assert [(c.status, timezone.localtime(c.deadline)) for c in calls][-1] == (
            Task.Status.OPEN,
            msk(2027, 5, 4, 9, 20),
        )
        last = Activity.objects.filter(target_id=lead.pk, verb=Activity.Verb.MOVED).order_by("pk").last()
        assert last.data == {"from": LeadStage.NO_ANSWER, "to": LeadStage.IN_PROGRESS}
        assert last.key == "crm.lead.next_call"


def test_deals_paused_over_a_weekend_and_womens_day_reach_closing_documents_together(team):
    GlobalConstant.objects.filter(identifier="ActFormingDate").update(value="24")
    GlobalConstant.objects.get(identifier="ActFormingDate").save()  # drops the cached value, as the admin does
    people = [team["manager"], *managers(2)]
    deals = [
        DealFactory(pipeline=DealPipeline.REGULAR, stage=RegularStage.INVOICE_SENT, responsible=person,
                    company=CompanyFactory(), invoice_file="invoices/1.pdf",
                    period_start=datetime.date(2027, 3, 1), period_end=datetime.date(2027, 3, 31))
        for person in people
    ]  # fmt: skip
    with time_machine.travel(msk(2027, 3, 2, 10), tick=False):
        for deal, person in zip(deals, people, strict=True):
            move(deal, RegularStage.INVOICE_PAID, by=person)
    # 31 March − 24 days = Sunday 7 March; Monday 8 March is a holiday: Tuesday 9 March at 09:00.
    pauses = ScheduledAction.objects.filter(action=regular_pipeline.ACT_FORMING_PAUSE, status=Status.PENDING)
    assert [p.due_at for p in pauses] == [msk(2027, 3, 9, 9)] * 3

    tick(msk(2027, 3, 9, 8, 59, 59))
    assert stages(deals) == [RegularStage.INVOICE_PAID] * 3
    tick(msk(2027, 3, 9, 9))
    assert stages(deals) == [RegularStage.CLOSING_DOCS] * 3
    for deal, person in zip(deals, people, strict=True):
        task = Task.objects.get(deal=deal, kind=Task.Kind.CLOSING_DOCS)
        # Due the working day after the period's end: Thursday 1 April at 09:00.
        assert (task.responsible, task.status, timezone.localtime(task.deadline)) == (
            person,
            Task.Status.OPEN,
            msk(2027, 4, 1, 9),
        )
        ladder = ScheduledAction.objects.filter(
            action=regular_pipeline.CLOSING_DOCS_REMINDER, target_id=deal.pk, status=Status.PENDING
        ).order_by("due_at", "pk")
        # Days 3 (Saturday 3 April) and 5 on Monday 5 April, 10 (a Saturday) on Monday 12, 15,
        # and 20 for the supervisor.
        assert [(timezone.localtime(r.due_at), r.payload) for r in ladder] == [
            (msk(2027, 4, 5, 9), {"days": 3}),
            (msk(2027, 4, 5, 9), {"days": 5}),
            (msk(2027, 4, 12, 9), {"days": 10}),
            (msk(2027, 4, 15, 9), {"days": 15}),
            (msk(2027, 4, 20, 9), {"days": 20, "to": "supervisor"}),
        ]
        last = Activity.objects.filter(target_id=deal.pk, verb=Activity.Verb.MOVED).order_by("pk").last()
        assert (last.data["to"], last.key) == (RegularStage.CLOSING_DOCS, "crm.period.ends_on")
    # The task of «Счёт оплачен»'s stage, if any robot set one, is closed: nothing open but the documents.
    assert not Task.objects.filter(deal__in=deals, status=Task.Status.OPEN).exclude(kind=Task.Kind.CLOSING_DOCS)
