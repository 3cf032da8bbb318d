"""The renewals a tick finds due are created in one batch (``timers.batch_handler``): thirty
contracts reaching their renewal moment cost the queries of three, and each gets its renewal
deal, proposal task and notice when the one-by-one path gave them (the moment below falls on a
Sunday before the day off moved from 9 May 2027)."""

import datetime
import itertools
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from admin24 import timers, worktime
from admin24.models import ScheduledAction
from admin24.roles import Role
from crm.models import Contract, ContractStage, Deal, DealPipeline, Task
from crm.services.contracts import deal_win
from crm.services.renewal import RENEWAL_DUE, renewal_due_at
from notifications.models import Notification
from tests.crm.conftest import msk
from tests.factories import CompanyFactory, ContactFactory, DealFactory, UserFactory
from tests.told import told as told_of

Status = ScheduledAction.Status
_numbers = itertools.count(1)

SIGNED, ENDS = datetime.date(2026, 6, 9), datetime.date(2027, 6, 8)


def won_contracts(count):
    """``count`` contracts signed on SIGNED and ending on ENDS, each won by a manager of its own."""
    contracts = []
    with time_machine.travel(msk(2026, 6, 10, 10), tick=False):
        for _ in range(count):
            n = next(_numbers)
            deal = DealFactory(
                pipeline=DealPipeline.CONTRACT, stage=ContractStage.CLOSING_DOCS,
                company=CompanyFactory(name=f"ООО «Ромашка {n}»"),
                contact=ContactFactory(full_name=f"Ольга {n}", emails=[f"olga{n}@romashka.example"]),
                responsible=UserFactory(username=f"renewer{n}", roles=[Role.SALES_MANAGER]),
                amount=Decimal("15000"), service_kind="Абонентское обслуживание",
                contract_date=SIGNED, contract_end_date=ENDS,
            )  # fmt: skip
            contracts.append(deal_win(deal=deal, by=None))
    return contracts


def renewal_of(contract):
    return Deal.objects.filter(renews__contract=contract).first()


@pytest.mark.postgres  # SQLite splits a bulk INSERT past 999 parameters
def test_a_tick_renews_thirty_contracts_with_the_queries_it_takes_for_three(db):
    moment = msk(2027, 5, 11, 9)

    def queries_for(count):
        contracts = won_contracts(count)
        # A third were extended meanwhile: their waits are re-planned, not renewed.
        extended = contracts[-(count // 3) :]
        Contract.objects.filter(pk__in=[c.pk for c in extended]).update(ends_on=datetime.date(2027, 12, 31))
        # The winning's own waits (its tasks' notices, the first period's robots) are not measured here.
        ScheduledAction.objects.filter(status=Status.PENDING).exclude(action=RENEWAL_DUE).update(
            status=Status.CANCELLED
        )
        worktime.current_calendar()
        with CaptureQueriesContext(connection) as queries:
            timers.run_due(moment, batch=1000)
        renewed = count - len(extended)
        assert [renewal_of(c) is not None for c in contracts] == [True] * renewed + [False] * len(extended)
        assert Task.objects.filter(deal__renews__contract__in=contracts, kind=Task.Kind.PROPOSAL).count() == renewed
        replanned = ScheduledAction.objects.filter(
            action=RENEWAL_DUE, status=Status.PENDING, target_id__in=[c.pk for c in extended]
        )
        assert sorted(replanned.values_list("payload__ends_on", flat=True)) == ["2027-12-31"] * len(extended)
        captured[count] = [q["sql"][:200] for q in queries]
        ScheduledAction.objects.filter(status=Status.PENDING).update(status=Status.CANCELLED)
        return len(queries)

    captured = {}
    queries_for(3)  # content types and constants are looked up once per process
    # The claim, the contracts, their renewals, the re-plans' one INSERT, the deals' INSERT and
    # their robots, timelines and notices: one statement per step.
    assert queries_for(30) == queries_for(3) == 24, "\n".join(captured[30] + ["----"] + captured[3])


def test_contracts_due_on_a_sunday_before_a_day_off_are_renewed_together_on_the_next_working_day(db):
    contracts = won_contracts(3)
    # 8 June − 30 days = Sunday 9 May 2027, Victory Day; Monday 10 May is its day off: Tuesday 11 May.
    assert [renewal_due_at(c) for c in contracts] == [msk(2027, 5, 11, 9)] * 3

    with time_machine.travel(msk(2027, 5, 11, 8, 59, 59), tick=False):
        timers.run_due_until_idle()
    assert [renewal_of(c) for c in contracts] == [None] * 3
    with time_machine.travel(msk(2027, 5, 11, 9), tick=False):
        timers.run_due_until_idle()
    for contract in contracts:
        renewal = renewal_of(contract)
        old = contract.deals.get(won_at__isnull=False)
        assert (renewal.stage, renewal.renews, renewal.company, renewal.contact, renewal.responsible) == (
            ContractStage.PROPOSAL, old, contract.company, contract.contact, contract.responsible,
        )  # fmt: skip
        assert (renewal.amount, renewal.service_kind, renewal.stage_entry_count) == (
            Decimal("15000"), "Абонентское обслуживание", 1,
        )  # fmt: skip
        assert Task.objects.get(deal=renewal, kind=Task.Kind.PROPOSAL).responsible == contract.responsible
        told = Notification.objects.get(recipient=contract.responsible, target_id=renewal.pk, template="reminder")
        assert contract.number in told_of(told)[1] and "08.06.2027" in told_of(told)[1]
        assert renewal.search_text  # what save() fills in, written by the batch too
    # Once: a later tick renews nobody again.
    with time_machine.travel(msk(2027, 5, 12, 9), tick=False):
        timers.run_due_until_idle()
    assert Deal.objects.filter(renews__contract__in=contracts).count() == 3
    assert not ScheduledAction.objects.filter(action=RENEWAL_DUE, status=Status.PENDING).exists()
