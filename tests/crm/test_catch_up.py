"""Catching up after an outage (issue 11 §5), by time travel: the worker and beat are down for two
weeks, then beat ticks again every 30 seconds. What the manager gets is what he would have got
had the clock only been late — one reminder per chain, the next one counted from now — never
every missed reminder back to back (admin24.timers' docstring has the rules)."""

import datetime

import pytest
import time_machine

from admin24 import worktime
from admin24.models import Activity, ScheduledAction
from admin24.workflow import move
from crm.models import ContractStage, Deal, DealPipeline, LeadSource, LeadStage, RegularStage, Task
from crm.pipelines import contract as contract_pipeline
from crm.pipelines import leads as lead_pipeline
from crm.pipelines import regular as regular_pipeline
from crm.services.billing import invoice_mark_paid
from crm.services.leads import lead_create
from notifications.models import Notification
from tests.crm.conftest import msk
from tests.crm.test_regular import sent_deal, tick
from tests.factories import CompanyFactory, DealFactory
from tests.told import titles

pytestmark = pytest.mark.usefixtures("english_readers")

BEAT = datetime.timedelta(seconds=30)


def back_up(moment, minutes=5):
    """The worker and beat come back at ``moment``: beat ticks every 30 seconds for a while."""
    for n in range(minutes * 60 // 30 + 1):
        tick(moment + n * BEAT)


def reminders(user, containing):
    found = titles(Notification.objects.filter(recipient=user, template="reminder").order_by("pk"))
    return [title for title in found if containing in title]


def pending(action):
    return list(ScheduledAction.objects.filter(action=action, status=ScheduledAction.Status.PENDING).order_by("due_at"))


# --- «Ожидание оплаты»: every 2 days ---------------------------------------------------------


def test_a_payment_reminder_chain_sends_one_reminder_on_catch_up_and_counts_the_next_from_now(team):
    manager = team["manager"]
    deal = DealFactory(
        pipeline=DealPipeline.CONTRACT,
        stage=ContractStage.CONTRACT,
        title="Абонентка «Ромашки»",
        company=CompanyFactory(name="ООО «Ромашка»"),
        responsible=manager,
        contract_date=datetime.date(2027, 3, 1),
    )
    with time_machine.travel(msk(2027, 3, 1, 10), tick=False):  # Monday
        move(deal, ContractStage.AWAITING_PAYMENT, by=manager)
    tick(msk(2027, 3, 3, 10))  # day 2, on time: the first reminder
    assert len(reminders(manager, "paid")) == 1

    back = msk(2027, 3, 17, 10)  # down from 3 March 11:00 until Wednesday 17 March: six reminders missed
    back_up(back)
    assert len(reminders(manager, "paid")) == 2
    [next_one] = pending(contract_pipeline.PAYMENT_REMINDER)
    assert next_one.due_at == worktime.add_days_then_align(back, 2) == msk(2027, 3, 19, 10)
    assert next_one.payload == {"number": 3}
    skipped = ScheduledAction.objects.filter(action=contract_pipeline.PAYMENT_REMINDER).exclude(pk=next_one.pk)
    assert set(skipped.values_list("status", flat=True)) == {ScheduledAction.Status.DONE}

    # From then on the rhythm is kept from that reminder: Friday, then (Sunday) Monday at 10:00.
    tick(msk(2027, 3, 19, 9, 59))
    assert len(reminders(manager, "paid")) == 2
    tick(msk(2027, 3, 19, 10))
    assert len(reminders(manager, "paid")) == 3
    [next_one] = pending(contract_pipeline.PAYMENT_REMINDER)
    assert next_one.due_at == msk(2027, 3, 22, 9)


# --- «Обратная связь»: 10 days the manager, 20 days the supervisor ---------------------------


def test_the_feedback_reminders_each_reach_their_recipient_once(team):
    manager, head = team["manager"], team["head"]
    deal = DealFactory(
        pipeline=DealPipeline.CONTRACT,
        stage=ContractStage.PROPOSAL,
        title="Абонентка «Ромашки»",
        responsible=manager,
    )
    with time_machine.travel(msk(2027, 3, 1, 10), tick=False):
        move(deal, ContractStage.FEEDBACK, by=manager)
    back_up(msk(2027, 3, 29, 10))  # both the 10th and the 20th day passed during the outage
    assert len(reminders(manager, "No answer")) == 1
    assert len(reminders(head, "No answer")) == 1
    assert pending(contract_pipeline.FEEDBACK_REMINDER) == []


# --- «Счёт отправлен»: days 10, 15, 20, 25 ---------------------------------------------------


def test_the_unpaid_invoice_ladder_sends_its_latest_due_step_once_and_keeps_the_rest(team):
    manager = team["manager"]
    deal = sent_deal(manager)
    assert deal.stage == RegularStage.INVOICE_SENT
    back_up(msk(2027, 3, 24, 10))  # down from day 9: days 10, 15 and 20 passed
    assert reminders(manager, "unpaid") == ["The invoice is unpaid for 20 days: ООО «Ромашка»: март 2027"]
    statuses = dict(
        ScheduledAction.objects.filter(action=regular_pipeline.UNPAID_REMINDER).values_list("payload__days", "status")
    )
    assert statuses == {10: "superseded", 15: "superseded", 20: "done", 25: "pending"}
    # The last step is still due on its own day (it says "25 days"): Friday 26 March.
    [last] = pending(regular_pipeline.UNPAID_REMINDER)
    assert last.due_at == msk(2027, 3, 26, 10)
    tick(msk(2027, 3, 26, 10))
    assert len(reminders(manager, "unpaid")) == 2
    assert Task.objects.filter(deal=deal, kind=Task.Kind.CALL).count() == 1


# --- «Закрывающие документы»: days 3, 5, 10, 15, the supervisor on day 20 ---------------------


def test_a_pause_that_ends_in_the_outage_moves_once_and_its_ladders_speak_once_per_recipient(team):
    manager, head = team["manager"], team["head"]
    deal = sent_deal(manager)
    with time_machine.travel(msk(2027, 3, 12, 11), tick=False):
        invoice_mark_paid(deal=deal, by=manager)
    assert len(pending(regular_pipeline.ACT_FORMING_PAUSE)) == 1  # until Monday 29 March

    back = msk(2027, 5, 4, 10)  # down from 20 March until 4 May: the pause and every step passed
    back_up(back)
    deal.refresh_from_db()
    assert deal.stage == RegularStage.CLOSING_DOCS
    moves = Activity.objects.filter(verb=Activity.Verb.MOVED, target_id=deal.pk, data__to=RegularStage.CLOSING_DOCS)
    assert moves.count() == 1
    task = Task.objects.get(deal=deal, kind=Task.Kind.CLOSING_DOCS)
    assert task.deadline == back  # its day is past: due from now
    assert reminders(manager, "closing documents") == [
        "No closing documents 15 days after the period: ООО «Ромашка»: март 2027"
    ]
    assert reminders(head, "closing documents") == [
        "No closing documents 20 days after the period: ООО «Ромашка»: март 2027"
    ]
    assert pending(regular_pipeline.CLOSING_DOCS_REMINDER) == []
    # The next period's deal was created once, at the payment.
    assert Deal.objects.filter(contract=deal.contract, period_start=datetime.date(2027, 4, 1)).count() == 1


# --- The lead's call-back ladder --------------------------------------------------------------


def test_a_lead_waiting_for_its_next_call_comes_back_once_and_the_ladder_goes_on_from_now(team):
    manager = team["manager"]
    with time_machine.travel(msk(2027, 3, 1, 10), tick=False):
        lead = lead_create(
            by=None, responsible=manager, contact_name="Клиент", email="c@example.org", source=LeadSource.WEB_FORM
        )
    with time_machine.travel(msk(2027, 3, 1, 10, 5), tick=False):
        move(lead, LeadStage.NO_ANSWER, by=manager)  # the return is due at 10:30
    back = msk(2027, 3, 15, 10)
    back_up(back)
    lead.refresh_from_db()
    assert lead.stage == LeadStage.IN_PROGRESS
    returns = Activity.objects.filter(
        verb=Activity.Verb.MOVED, target_id=lead.pk, data__to=LeadStage.IN_PROGRESS, actor__isnull=True
    )
    assert returns.count() == 1
    # The third call's slot (11:00 on 1 March) is long past: it is due at once, not at the stale moment.
    with time_machine.travel(back + datetime.timedelta(minutes=10), tick=False):
        move(lead, LeadStage.NO_ANSWER, by=manager)
    [next_return] = pending(lead_pipeline.CALLBACK_RETURN)
    assert next_return.due_at == back + datetime.timedelta(minutes=10)
    latest_call = Task.objects.filter(lead=lead, kind=Task.Kind.CALL).latest("pk")
    assert latest_call.deadline == back + datetime.timedelta(minutes=10)
