"""A renewal signed at the very moment the old contract bills the same month (real PostgreSQL).

Whatever the order, the month ends up billed by one contract: the old contract's deal for it is
either never made or closed with its invoice email withdrawn, and no worker dies of a deadlock.
"""

import datetime
import threading
from decimal import Decimal

import pytest
import time_machine
from django.db import connection

from admin24 import workflow
from admin24.roles import Role
from admin24.workflow import DomainError
from crm.models import Contract, ContractStage, Deal, DealPipeline, RegularStage
from crm.services import billing
from notifications.models import OutboxMessage
from tests.crm.conftest import msk
from tests.crm.lifecycle import invoice_rows, pdf
from tests.factories import CompanyFactory, ContactFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

APRIL = datetime.date(2027, 4, 1)
NOW = msk(2027, 3, 25, 11)


@pytest.fixture
def chain(db):
    manager = UserFactory(roles=[Role.SALES_MANAGER])
    company = CompanyFactory()
    contact = ContactFactory(emails=["buh@romashka.example"])
    contract = Contract.objects.create(
        number="2027-00003",
        company=company,
        contact=contact,
        responsible=manager,
        signed_on=datetime.date(2027, 1, 1),
        ends_on=datetime.date(2027, 12, 31),
    )

    def period(start, end, stage, **fields):
        return Deal.objects.create(
            pipeline=DealPipeline.REGULAR,
            stage=stage,
            title=f"Период {start:%m}",
            company=company,
            contact=contact,
            responsible=manager,
            contract=contract,
            amount=Decimal("1000"),
            period_start=start,
            period_end=end,
            **fields,
        )

    won = period(datetime.date(2027, 2, 1), datetime.date(2027, 2, 28), RegularStage.CLOSING_DOCS, won_at=NOW)
    march = period(
        datetime.date(2027, 3, 1),
        datetime.date(2027, 3, 31),
        RegularStage.INVOICE_SENT,
        invoice_file="crm/deals/invoices/schet.pdf",
    )
    # The client replaces the contract early: the renewal, ready to be signed, starts in April.
    renewal = Deal.objects.create(
        pipeline=DealPipeline.CONTRACT,
        stage=ContractStage.CONTRACT,
        title="Продление",
        company=company,
        contact=contact,
        responsible=manager,
        renews=won,
        contract_date=APRIL,
    )
    return {"manager": manager, "contract": contract, "march": march, "renewal": renewal, "period": period}


def race(*works):
    start = threading.Barrier(len(works))
    errors, outcomes = [], []

    def run(work):
        try:
            start.wait()
            with time_machine.travel(NOW, tick=False):
                outcomes.append(work())
        except Exception as exc:  # reported below: a thread's exception would be lost otherwise
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(work,)) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes, errors


def sign(renewal):
    return lambda: workflow.move(Deal.objects.get(pk=renewal.pk), ContractStage.AWAITING_PAYMENT, by=None).stage


def live_from_april(contract):
    return Deal.objects.filter(contract=contract, period_start__gte=APRIL, superseded_by__isnull=True).exclude(
        stage=RegularStage.FAILED
    )


def test_paying_the_old_contracts_month_while_the_renewal_is_signed_leaves_april_to_the_renewal(chain):
    march, renewal = chain["march"], chain["renewal"]

    def pay():
        return workflow.move(Deal.objects.get(pk=march.pk), RegularStage.INVOICE_PAID, by=None).stage

    outcomes, errors = race(pay, sign(renewal), pay, sign(renewal))

    assert all(isinstance(error, DomainError) for error in errors), errors
    assert sorted(outcomes) == ["awaiting_payment", "invoice_paid"]
    assert Deal.objects.get(pk=march.pk).stage == RegularStage.INVOICE_PAID
    assert Deal.objects.get(pk=renewal.pk).stage == ContractStage.AWAITING_PAYMENT
    assert not live_from_april(chain["contract"]).exists()


def test_invoicing_april_while_the_renewal_is_signed_sends_no_invoice_for_it(chain):
    renewal = chain["renewal"]
    april = chain["period"](APRIL, datetime.date(2027, 4, 30), RegularStage.INVOICE_FORMING)

    def invoice():
        return billing.invoice_attach(deal=Deal.objects.get(pk=april.pk), by=None, upload=pdf("schet-04.pdf")).sent

    _outcomes, errors = race(invoice, sign(renewal), invoice, sign(renewal))

    assert all(isinstance(error, DomainError) for error in errors), errors
    assert Deal.objects.get(pk=renewal.pk).stage == ContractStage.AWAITING_PAYMENT
    april.refresh_from_db()
    assert (april.stage, april.superseded_by_id) == (RegularStage.FAILED, renewal.pk)
    assert not invoice_rows().filter(target_id=april.pk).exclude(status=OutboxMessage.Status.CANCELLED).exists()
    assert not live_from_april(chain["contract"]).exists()
