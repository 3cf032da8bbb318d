"""Two workers paying the same invoice at once still create one next-period deal (real PostgreSQL)."""

import datetime
import threading
from decimal import Decimal

import pytest
import time_machine
from django.db import connection, transaction

from admin24 import workflow
from admin24.roles import Role
from admin24.workflow import MoveRefused
from crm.models import Contract, Deal, DealPipeline, RegularStage
from crm.services import billing
from tests.crm.conftest import msk
from tests.factories import CompanyFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

WORKERS = 4


@pytest.fixture
def sent(db):
    manager = UserFactory(roles=[Role.SALES_MANAGER])
    company = CompanyFactory()
    contract = Contract.objects.create(
        number="2027-00002", company=company, responsible=manager, signed_on=datetime.date(2027, 1, 1)
    )
    deal = Deal.objects.create(
        pipeline=DealPipeline.REGULAR,
        stage=RegularStage.INVOICE_SENT,
        title="Март",
        company=company,
        responsible=manager,
        contract=contract,
        amount=Decimal("1000"),
        period_start=datetime.date(2027, 3, 1),
        period_end=datetime.date(2027, 3, 31),
        invoice_file="crm/deals/invoices/schet.pdf",
    )
    return deal


def race(work):
    start = threading.Barrier(WORKERS)
    errors, outcomes = [], []

    def run():
        try:
            start.wait()
            outcomes.append(work())
        except Exception as exc:  # reported below: a thread's exception would be lost otherwise
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes, errors


def test_racing_creations_of_the_next_period_find_one_deal(sent):
    def create():
        with transaction.atomic():
            return billing.next_period_deal(Deal.objects.get(pk=sent.pk)).pk

    with time_machine.travel(msk(2027, 3, 12, 11), tick=False):
        outcomes, errors = race(create)

    assert errors == []
    assert len(set(outcomes)) == 1
    assert Deal.objects.filter(period_start=datetime.date(2027, 4, 1)).count() == 1


def test_racing_moves_to_invoice_paid_create_one_next_deal(sent):
    def pay():
        return workflow.move(Deal.objects.get(pk=sent.pk), RegularStage.INVOICE_PAID, by=None).stage

    with time_machine.travel(msk(2027, 3, 12, 11), tick=False):
        outcomes, errors = race(pay)

    assert all(isinstance(error, MoveRefused) for error in errors)
    assert outcomes and len(outcomes) + len(errors) == WORKERS
    assert Deal.objects.get(pk=sent.pk).stage == RegularStage.INVOICE_PAID
    assert Deal.objects.filter(period_start=datetime.date(2027, 4, 1)).count() == 1
