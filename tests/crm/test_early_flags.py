"""A flag recorded before its stage still counts (issue 11 §2), by time travel.

«Оплата получена» set while the deal is still at «Заключение договора» moves it on to «Оплата
получена» when it reaches «Ожидание оплаты»; the every-2-days reminder never asks about a paid
deal; closing documents received before «Закрывающие документы» is entered again set no task and
no reminders; a deal moved back to the waiting stage is unpaid again, and reminded about as such.
"""

import datetime
from decimal import Decimal

import pytest
import time_machine

from admin24 import workflow
from admin24.models import GlobalConstant
from admin24.roles import Role
from admin24.workflow import move
from crm.models import Contract, ContractStage, Deal, DealPipeline, RegularStage, Task
from crm.pipelines.contract import PAYMENT_REMINDER
from crm.pipelines.regular import CLOSING_DOCS_REMINDER, UNPAID_REMINDER
from crm.services.billing import closing_docs_mark_received, invoice_attach, invoice_mark_paid
from crm.services.deals import deal_attach_file, deal_update
from crm.services.tasks import task_complete
from tests.crm.conftest import msk
from tests.crm.lifecycle import pdf, reminders_about, tick
from tests.factories import CompanyFactory, ContactFactory, DepartmentFactory, UserFactory


@pytest.fixture
def team(db):
    head = UserFactory(username="head", roles=[Role.SUPERVISOR])
    sales = DepartmentFactory(head=head)
    head.department = sales
    head.save(update_fields=["department"])
    manager = UserFactory(username="walker", roles=[Role.SALES_MANAGER], department=sales)
    clerk = UserFactory(username="clerk", roles=[Role.CLERK])
    GlobalConstant.objects.filter(identifier="Clerk").update(user=clerk)
    return {"head": head, "manager": manager, "clerk": clerk}


def contract_deal(manager, **fields):
    deal = Deal.objects.create(
        pipeline=DealPipeline.CONTRACT,
        stage=ContractStage.FEEDBACK,
        title="Абонентка «Ромашки»",
        company=CompanyFactory(name="ООО «Ромашка»"),
        contact=ContactFactory(emails=["buh@romashka.example"]),
        responsible=manager,
        amount=Decimal("15000"),
        **fields,
    )
    workflow.start(deal, by=None)
    return deal


def test_a_payment_recorded_before_awaiting_payment_moves_the_deal_on_when_it_gets_there(team):
    manager, clerk = team["manager"], team["clerk"]
    with time_machine.travel(msk(2027, 3, 1, 10), tick=False):
        deal = contract_deal(manager)
        move(deal, ContractStage.CONTRACT, by=manager)
    with time_machine.travel(msk(2027, 3, 2, 10), tick=False):
        deal = deal_update(deal=deal, by=manager, payment_received=True)  # paid up front
    assert deal.stage == ContractStage.CONTRACT
    with time_machine.travel(msk(2027, 3, 3, 10), tick=False):
        deal_attach_file(deal=deal, by=clerk, kind="contract", upload=pdf("dogovor.pdf"))
        deal_update(deal=deal, by=clerk, contract_date=datetime.date(2027, 3, 3))
        task_complete(task=Task.objects.get(deal=deal, kind=Task.Kind.CONTRACT), by=clerk)

    deal.refresh_from_db()
    assert (deal.stage, deal.payment_received) == (ContractStage.PAID, True)
    tick(msk(2027, 3, 31, 12))
    assert reminders_about(deal, PAYMENT_REMINDER) == []


def test_a_deal_resumed_at_awaiting_payment_with_the_payment_recorded_meanwhile_is_paid(team):
    manager = team["manager"]
    with time_machine.travel(msk(2027, 3, 1, 10), tick=False):
        deal = contract_deal(manager, contract_date=datetime.date(2027, 3, 1))
        move(deal, ContractStage.CONTRACT, by=manager)
        move(deal, ContractStage.AWAITING_PAYMENT, by=manager)
        move(deal, ContractStage.SUSPENDED, by=manager, reason="Клиент в отпуске")
    with time_machine.travel(msk(2027, 3, 10, 10), tick=False):
        deal = deal_update(deal=deal, by=manager, payment_received=True)
        assert deal.stage == ContractStage.SUSPENDED
        move(deal, ContractStage.AWAITING_PAYMENT, by=manager)
    deal.refresh_from_db()
    assert deal.stage == ContractStage.PAID
    tick(msk(2027, 3, 31, 12))
    assert reminders_about(deal, PAYMENT_REMINDER) == []


def test_the_payment_reminder_never_asks_about_a_paid_deal(team):
    manager = team["manager"]
    with time_machine.travel(msk(2027, 3, 1, 10), tick=False):
        deal = contract_deal(manager, contract_date=datetime.date(2027, 3, 1))
        move(deal, ContractStage.CONTRACT, by=manager)
        move(deal, ContractStage.AWAITING_PAYMENT, by=manager)
    tick(msk(2027, 3, 3, 10))
    assert len(reminders_about(deal, PAYMENT_REMINDER)) == 1
    # Recorded behind the robots' back (an import, a shell): the flag alone stops the reminders.
    Deal.objects.filter(pk=deal.pk).update(payment_received=True)
    tick(msk(2027, 3, 31, 12))
    assert len(reminders_about(deal, PAYMENT_REMINDER)) == 1


def test_a_deal_moved_back_to_awaiting_payment_is_unpaid_again_and_reminded_about(team):
    manager, head = team["manager"], team["head"]
    with time_machine.travel(msk(2027, 3, 1, 10), tick=False):
        deal = contract_deal(manager, contract_date=datetime.date(2027, 3, 1))
        move(deal, ContractStage.CONTRACT, by=manager)
        move(deal, ContractStage.AWAITING_PAYMENT, by=manager)
        deal = deal_update(deal=deal, by=manager, payment_received=True)
    assert deal.stage == ContractStage.PAID
    with time_machine.travel(msk(2027, 3, 2, 10), tick=False):
        move(deal, ContractStage.AWAITING_PAYMENT, by=head, reason="Платёж вернулся")  # the bank returned it
    deal.refresh_from_db()
    assert (deal.stage, deal.payment_received) == (ContractStage.AWAITING_PAYMENT, False)
    tick(msk(2027, 3, 4, 10))
    assert len(reminders_about(deal, PAYMENT_REMINDER)) == 1


def regular_deal(manager):
    company = CompanyFactory(name="ООО «Ромашка»")
    contact = ContactFactory(emails=["buh@romashka.example"])
    contract = Contract.objects.create(
        number="2027-00001",
        company=company,
        contact=contact,
        responsible=manager,
        signed_on=datetime.date(2027, 1, 1),
        ends_on=datetime.date(2027, 12, 31),
    )
    deal = Deal.objects.create(
        pipeline=DealPipeline.REGULAR,
        stage=RegularStage.INVOICE_FORMING,
        title="ООО «Ромашка»: март 2027",
        company=company,
        contact=contact,
        responsible=manager,
        contract=contract,
        amount=Decimal("15000"),
        period_start=datetime.date(2027, 3, 1),
        period_end=datetime.date(2027, 3, 31),
    )
    workflow.start(deal, by=None)
    invoice_attach(deal=deal, by=manager, upload=pdf("schet.pdf"))
    deal.refresh_from_db()
    return deal


def test_an_invoice_moved_back_from_paid_is_unpaid_again_and_reminded_about(team):
    manager = team["manager"]
    with time_machine.travel(msk(2027, 3, 1, 10), tick=False):
        deal = regular_deal(manager)
        invoice_mark_paid(deal=deal, by=manager)  # by mistake: the money has not come
    with time_machine.travel(msk(2027, 3, 2, 10), tick=False):
        move(Deal.objects.get(pk=deal.pk), RegularStage.INVOICE_SENT, by=manager)
    deal.refresh_from_db()
    assert (deal.stage, deal.invoice_paid) == (RegularStage.INVOICE_SENT, False)
    tick(msk(2027, 3, 12, 12))  # day 10 in «Счёт отправлен»
    assert len(reminders_about(deal, UNPAID_REMINDER)) == 1


def test_closing_documents_received_before_the_stage_is_entered_again_set_no_task_and_no_reminders(team):
    manager = team["manager"]
    with time_machine.travel(msk(2027, 3, 1, 10), tick=False):
        deal = regular_deal(manager)
        invoice_mark_paid(deal=deal, by=manager)
    tick(msk(2027, 3, 29, 9))  # ActFormingDate days before the period's end
    with time_machine.travel(msk(2027, 3, 29, 12), tick=False):
        closing_docs_mark_received(deal=Deal.objects.get(pk=deal.pk), by=manager)
        # Moved back to fix the payment's date; the pause brings it to the documents again.
        move(Deal.objects.get(pk=deal.pk), RegularStage.INVOICE_PAID, by=manager)
    deal.refresh_from_db()
    assert deal.stage == RegularStage.CLOSING_DOCS  # within ActFormingDate days: at once
    assert not Task.objects.filter(deal=deal, status=Task.Status.OPEN).exists()
    tick(msk(2027, 5, 31, 12))
    assert reminders_about(deal, CLOSING_DOCS_REMINDER) == []
    assert Task.objects.filter(deal=deal, kind=Task.Kind.CLOSING_DOCS).count() == 1
