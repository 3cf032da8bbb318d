"""The months past their contracts' ends that begin together get their deals in one batch
(``billing.next_period_deals``): thirty contracts cost the queries of three, and each deal comes
on the first working day of its month — not on the 1st when that is a holiday (1 May, 1 January)
— with the invoice task and the reminder the one-by-one path gave it. A contract whose renewal
took the month over, or whose last month is no longer paid, gets none."""

import datetime
import itertools
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from admin24 import timers, worktime
from admin24.models import Activity, ScheduledAction
from admin24.roles import Role
from admin24.workflow import move
from crm.models import ContractStage, Deal, DealPipeline, RegularStage, Task
from crm.services.billing import NEXT_PERIOD_DUE, invoice_attach, invoice_mark_paid
from crm.services.contracts import deal_win
from notifications.models import Notification
from tests.crm.conftest import msk
from tests.crm.lifecycle import pdf
from tests.factories import CompanyFactory, ContactFactory, DealFactory, UserFactory

Status = ScheduledAction.Status
_numbers = itertools.count(1)


def paid_last_months(count, *, signed, ends, paid_at):
    """``count`` contracts from ``signed`` to ``ends`` (two months), each with its one regular
    month (the second) invoiced and paid at ``paid_at``: their next month waits for its first day."""
    months = []
    for _ in range(count):
        n = next(_numbers)
        manager = UserFactory(username=f"biller{n}", roles=[Role.SALES_MANAGER])
        with time_machine.travel(msk(signed.year, signed.month, signed.day, 15), tick=False):
            deal = DealFactory(
                pipeline=DealPipeline.CONTRACT, stage=ContractStage.CLOSING_DOCS,
                company=CompanyFactory(name=f"ООО «Лютик {n}»"),
                contact=ContactFactory(full_name=f"Анна {n}", emails=[f"anna{n}@lutik.example"]),
                responsible=manager, amount=Decimal("20000"), service_kind="Абонентское обслуживание",
                contract_date=signed, contract_end_date=ends,
            )  # fmt: skip
            contract = deal_win(deal=deal, by=None)
        month = Deal.objects.get(contract=contract, pipeline=DealPipeline.REGULAR)
        with time_machine.travel(paid_at, tick=False):
            invoice_attach(deal=month, by=manager, upload=pdf(f"schet-{n}.pdf"))
            invoice_mark_paid(deal=month, by=manager)
        months.append(Deal.objects.get(pk=month.pk))
    return months


def following(month):
    return Deal.objects.filter(
        contract=month.contract, pipeline=DealPipeline.REGULAR, period_start__gt=month.period_start
    ).first()


def take_over(month, *, on):
    """A signed renewal of the month's contract that bills from ``on``."""
    DealFactory(
        pipeline=DealPipeline.CONTRACT, stage=ContractStage.AWAITING_PAYMENT, company=month.company,
        responsible=month.responsible, renews=month, contract_date=on,
    )  # fmt: skip


@pytest.mark.postgres  # SQLite splits a bulk INSERT past 999 parameters
def test_thirty_months_past_the_end_begin_with_the_queries_of_three(db):
    signed, ends = datetime.date(2027, 3, 1), datetime.date(2027, 4, 30)
    due = worktime.start_of_working_day(datetime.date(2027, 5, 1))

    def queries_for(count):
        months = paid_last_months(count, signed=signed, ends=ends, paid_at=msk(2027, 4, 9, 12))
        take_over(months[0], on=datetime.date(2027, 5, 1))
        with time_machine.travel(msk(2027, 4, 12, 12), tick=False):
            move(months[1], RegularStage.INVOICE_SENT, by=months[1].responsible)  # not paid after all
        # Only the months' own wait is measured (not the reminders and pauses of the months paid).
        ScheduledAction.objects.filter(status=Status.PENDING).exclude(action=NEXT_PERIOD_DUE).update(
            status=Status.CANCELLED
        )
        worktime.current_calendar()
        with CaptureQueriesContext(connection) as queries:
            timers.run_due(due, batch=1000)
        assert [following(month) is not None for month in months] == [False, False] + [True] * (count - 2)
        assert Task.objects.filter(deal__in=[following(m) for m in months[2:]]).count() == count - 2
        captured[count] = [q["sql"][:200] for q in queries]
        ScheduledAction.objects.filter(status=Status.PENDING).update(status=Status.CANCELLED)
        return len(queries)

    captured = {}
    queries_for(3)  # content types and constants are looked up once per process
    # One statement per step (the claim, the deals and contracts locked, the periods taken, the
    # takeovers, the deals' INSERT and their robots, timelines and notices).
    assert queries_for(30) == queries_for(3) == 21, "\n".join(captured[30] + ["----"] + captured[3])


@pytest.mark.parametrize(
    "signed, ends, paid_at, first",
    [
        # 1 May 2027 is a Saturday and a holiday: the May deals come on the first working day.
        (datetime.date(2027, 3, 1), datetime.date(2027, 4, 30), msk(2027, 4, 9, 12), datetime.date(2027, 5, 1)),
        # 1 January 2028 opens the New Year holidays.
        (datetime.date(2027, 11, 1), datetime.date(2027, 12, 31), msk(2027, 12, 9, 12), datetime.date(2028, 1, 1)),
    ],
    ids=["1 May", "1 January"],
)
def test_the_month_past_the_end_gets_its_deals_on_its_first_working_day(db, signed, ends, paid_at, first):
    months = paid_last_months(3, signed=signed, ends=ends, paid_at=paid_at)
    due = worktime.start_of_working_day(first)
    assert due.date() > first  # the 1st is a day off
    for moment in (msk(first.year, first.month, first.day) - datetime.timedelta(seconds=1),
                   msk(first.year, first.month, first.day, 12),
                   due - datetime.timedelta(seconds=1)):  # fmt: skip
        with time_machine.travel(moment, tick=False):
            timers.run_due_until_idle()
        assert [following(month) for month in months] == [None] * 3, moment

    with time_machine.travel(due, tick=False):
        timers.run_due_until_idle()
    for month in months:
        deal = following(month)
        assert (deal.stage, deal.period_start, deal.period_end) == (
            RegularStage.INVOICE_FORMING, first, worktime.add_months(first, 1) - datetime.timedelta(days=1),
        )  # fmt: skip
        assert (deal.company, deal.contact, deal.responsible, deal.amount, deal.stage_entry_count) == (
            month.company, month.contact, month.responsible, Decimal("20000"), 1,
        )  # fmt: skip
        assert deal.company.name in deal.title and deal.search_text
        task = Task.objects.get(deal=deal, status=Task.Status.OPEN)
        assert task.responsible == month.responsible and task.deadline > due
        # Told twice, as one by one: the new task, and the reminder to attach the invoice.
        told = [str(n) for n in Notification.objects.filter(recipient=month.responsible, target_id=deal.pk)]
        assert sorted(told) == sorted([f"Новая задача: {task.title}", task.title]), told
        assert Activity.objects.filter(target_id=deal.pk, verb=Activity.Verb.CREATED, data__previous=month.pk).exists()
    # Once: a later tick makes no second deal for the month.
    with time_machine.travel(due + datetime.timedelta(days=1), tick=False):
        timers.run_due_until_idle()
    assert Deal.objects.filter(contract__in=[m.contract for m in months], period_start=first).count() == 3
