"""`run_due_actions --now` is one clock (issue 11 §4): run at a moment ahead of the real one, the
command does exactly what time travel to that moment does — the renewal is created, the
payment reminders keep their rhythm, the won deal is stamped with that moment.

The command's half runs on the real clock, with no time machine: the setup happens now, the
clock runs at moments weeks and months ahead. The same story is then replayed by time travel
from the same moment (in a fresh database state) and the two outcomes must be equal.
"""

import datetime
import io
import re
from decimal import Decimal

import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from admin24 import timers, worktime
from admin24.models import ScheduledAction
from admin24.workflow import move
from crm.models import Contract, ContractStage, Deal, DealPipeline, RegularStage, Task
from crm.services import renewal
from notifications.models import Notification
from tests.factories import CompanyFactory, ContactFactory, DealFactory
from tests.told import titles as told_titles
from tests.told import told as told_of

CONTRACT_NUMBER = re.compile(r"\b\d{4}-\d{5}\b")
WAITING = "Ожидает оплаты: «Ландыш»"
CLOSING = "Абонентка «Ромашки»"


class _Replayed(Exception):
    """Raised to roll the command's half back before the replay."""


def _start_chains(manager, signed: datetime.date) -> datetime.datetime:
    """A deal starts waiting for payment (reminders every 2 days) and another starts the closing
    documents' pause (won a month after ``signed``; a three-month contract renewed 14 days
    before its end). Returns the moment the first entered «Ожидание оплаты»."""
    waiting = DealFactory(
        pipeline=DealPipeline.CONTRACT,
        stage=ContractStage.CONTRACT,
        title=WAITING,
        company=CompanyFactory(name="ООО «Ландыш»"),
        responsible=manager,
        amount=Decimal("9000"),
        contract_date=signed,
    )
    move(waiting, ContractStage.AWAITING_PAYMENT, by=manager)
    closing = DealFactory(
        pipeline=DealPipeline.CONTRACT,
        stage=ContractStage.AUDIT,
        title=CLOSING,
        company=CompanyFactory(name="ООО «Ромашка»"),
        contact=ContactFactory(full_name="Ольга", emails=["olga@romashka.example"]),
        responsible=manager,
        amount=Decimal("15000"),
        contract_date=signed,
        contract_end_date=_ends(signed),
        payment_received=True,
    )
    move(closing, ContractStage.CLOSING_DOCS, by=manager)
    waiting.refresh_from_db()
    return waiting.stage_changed_at


def _ends(signed: datetime.date) -> datetime.date:
    return worktime.add_months(signed, 3) - datetime.timedelta(days=1)


def _moments(entered: datetime.datetime, signed: datetime.date) -> list[datetime.datetime]:
    """When the clock runs: on time, after gaps (catch-ups), at the win and at the renewal."""
    first_reminder = worktime.add_days_then_align(entered, 2)
    gap = entered + datetime.timedelta(days=9)
    won = worktime.start_of_working_day(worktime.add_months(signed, 1))
    renewed = worktime.start_of_working_day(_ends(signed) - datetime.timedelta(days=14))
    return [
        first_reminder,
        gap,
        worktime.add_days_then_align(gap, 2),
        won,
        won + datetime.timedelta(days=3),
        renewed,
        renewed + datetime.timedelta(days=1),
    ]


def _plain(text: str) -> str:
    return CONTRACT_NUMBER.sub("<number>", text)


def _label(type_id: int, target_id: int) -> str:
    target = ContentType.objects.get_for_id(type_id).get_object_for_this_type(pk=target_id)
    if isinstance(target, Task):
        return _plain(f"task {target.title}")
    return _plain(target.title if isinstance(target, Deal) else f"contract {target.number}")


def _outcome() -> dict:
    """Everything a user (or the clock's admin) could notice, without database ids."""
    return {
        "deals": [
            (_plain(d.title), d.pipeline, d.stage, d.stage_changed_at, d.won_at, d.period_start, d.period_end)
            for d in Deal.objects.order_by("title")
        ],
        "contracts": list(Contract.objects.values_list("signed_on", "ends_on", "status")),
        "tasks": [
            (
                _plain(t.deal.title),
                t.kind,
                _plain(t.title),
                t.status,
                t.deadline,
                t.completed_at,
                t.responsible.username,
            )
            for t in Task.objects.select_related("deal", "responsible").order_by("deal__title", "title")
        ],
        "notifications": [
            (n.recipient.username, n.template, _plain(told_of(n)[0]))
            for n in Notification.objects.select_related("recipient").order_by("pk")
        ],
        "actions": sorted(
            (
                (a.due_at, a.action, _label(a.target_type_id, a.target_id), a.payload, a.status, a.finished_at)
                for a in ScheduledAction.objects.all()
            ),
            key=repr,
        ),
    }


def test_the_command_at_a_moment_ahead_does_what_time_travel_to_it_does(team):
    manager = team["manager"]
    signed = timezone.localdate()
    try:
        with transaction.atomic():
            # The real clock: no time machine anywhere in this block.
            entered = _start_chains(manager, signed)
            moments = _moments(entered, signed)
            assert moments[0] > timezone.now()
            for moment in moments:
                call_command("run_due_actions", "--now", moment.isoformat(), stdout=io.StringIO())
            by_the_command = _outcome()
            raise _Replayed
    except _Replayed:
        pass
    assert not Deal.objects.exists()

    with time_machine.travel(entered, tick=False):
        _start_chains(manager, signed)
    for moment in moments:
        with time_machine.travel(moment, tick=False):
            timers.run_due_until_idle()
    by_time_travel = _outcome()

    assert by_the_command == by_time_travel

    # And what both did is the story itself, not two equal nothings.
    won = moments[3]
    [old] = Deal.objects.filter(title=CLOSING)
    assert (old.pipeline, old.stage, old.won_at) == (DealPipeline.REGULAR, RegularStage.INVOICE_FORMING, won)
    assert Task.objects.get(deal=old, status=Task.Status.OPEN).deadline == worktime.end_of_working_day_after(won)
    [renewal_deal] = Deal.objects.filter(renews=old)
    assert (renewal_deal.pipeline, renewal_deal.stage) == (DealPipeline.CONTRACT, ContractStage.PROPOSAL)
    assert renewal_deal.stage_changed_at == moments[5]
    assert renewal.renewal_due_at(old.contract) is None
    walkers = told_titles(Notification.objects.filter(recipient__username="walker"))
    payment_reminders = [title for title in walkers if WAITING in title]
    # On time, after the 9-day gap (one, not every missed one), on time again, at the win, 3 days
    # later and at the renewal: six, the next one two days after the last.
    assert len(payment_reminders) == 6
    [next_reminder] = ScheduledAction.objects.filter(
        action="crm.deal.payment_reminder", status=ScheduledAction.Status.PENDING
    )
    assert next_reminder.due_at == worktime.add_days_then_align(moments[5], 2)
