"""Two years of one client by time travel (issue 11, "Done when"): a twelve-month contract, its
renewal in the middle — the client pays the new contract's first month before the Clerk is even
done, the Clerk works through the API — and another twelve months. Every month is invoiced
exactly once and nobody is reminded about a paid deal.
"""

import datetime

import time_machine
from rest_framework.test import APIClient

from admin24.models import GlobalConstant
from admin24.roles import Role
from admin24.workflow import move
from crm.models import Contract, ContractStage, Deal, DealPipeline, RegularStage, Task
from crm.pipelines.contract import PAYMENT_REMINDER
from crm.pipelines.regular import CLOSING_DOCS_REMINDER, UNPAID_REMINDER
from crm.services.deals import deal_update
from tests.crm.conftest import msk
from tests.crm.lifecycle import (
    assert_every_month_billed_once,
    first_contract,
    invoice_rows,
    pdf,
    reminders_about,
    working,
)
from tests.factories import UserFactory


def test_two_years_with_a_renewal_in_the_middle(db):
    manager = UserFactory(username="walker", roles=[Role.SALES_MANAGER])
    clerk = UserFactory(username="clerk", roles=[Role.CLERK])
    GlobalConstant.objects.filter(identifier="Clerk").update(user=clerk)
    life = first_contract(manager, signed=datetime.date(2027, 1, 11), ends=datetime.date(2028, 1, 10))
    company, first = life.company, life.first_deal

    # 11 December 2027 is a Saturday: the renewal deal comes on Monday, thirty days before the end.
    life.run_until(msk(2027, 12, 13, 10))
    renewal = Deal.objects.get(renews=first)
    with time_machine.travel(msk(2027, 12, 14, 10), tick=False):
        move(renewal, ContractStage.FEEDBACK, by=manager)
        move(renewal, ContractStage.CONTRACT, by=manager)
    life.run_until(msk(2027, 12, 16, 12))
    with time_machine.travel(msk(2027, 12, 16, 12), tick=False):
        # The client pays the new contract's first month up front; the manager records it at once.
        renewal = deal_update(deal=renewal, by=manager, payment_received=True)
    assert renewal.stage == ContractStage.CONTRACT

    life.run_until(msk(2027, 12, 20, 10))
    api = APIClient()
    api.force_authenticate(clerk)
    with time_machine.travel(msk(2027, 12, 20, 10), tick=False):
        url = f"/api/v1/deals/{renewal.pk}/"
        assert api.post(f"{url}contract-file/", {"file": pdf("dogovor.pdf")}, format="multipart").status_code == 200
        dates = {"contract_date": "2028-01-11", "contract_end_date": "2029-01-10"}
        assert api.patch(url, dates, format="json").status_code == 200
        task = Task.objects.get(deal=renewal, kind=Task.Kind.CONTRACT, status=Task.Status.OPEN)
        done = api.post(f"/api/v1/tasks/{task.pk}/complete/", {"comment": "Подписан"}, format="json")
        assert done.status_code == 200, done.content
    renewal.refresh_from_db()
    # The payment recorded before «Ожидание оплаты» counts: the renewal went straight on.
    assert renewal.stage == ContractStage.PAID
    with time_machine.travel(msk(2027, 12, 20, 11), tick=False):
        move(renewal, ContractStage.CLOSING_DOCS, by=manager)

    life.run_until(working(datetime.date(2029, 1, 11), 9))

    assert_every_month_billed_once(company, first=datetime.date(2027, 1, 11), until=datetime.date(2029, 1, 10))
    old, new = Contract.objects.filter(company=company).order_by("signed_on")
    assert new.signed_on == datetime.date(2028, 1, 11)
    assert [d.period_start for d in old.deals.filter(pipeline=DealPipeline.REGULAR).order_by("period_start")] == [
        datetime.date(2027, month, 11) for month in range(2, 13)
    ]
    renewed = new.deals.filter(pipeline=DealPipeline.REGULAR).order_by("period_start")
    assert renewed[0].pk == renewal.pk  # the renewal deal itself, won into «Регулярные платежи»
    assert [d.period_start for d in renewed][:11] == [
        datetime.date(2028 + (m > 12), (m - 1) % 12 + 1, 11) for m in range(2, 13)
    ]
    assert set(invoice_rows().values_list("address", flat=True)) == {"buh@romashka.example"}
    assert renewed.exclude(stage=RegularStage.FAILED).count() == renewed.count()

    # Nobody was asked whether a paid client has paid, nor reminded about a paid invoice or
    # about documents received.
    for deal in Deal.objects.filter(company=company):
        assert reminders_about(deal, PAYMENT_REMINDER) == []
        assert reminders_about(deal, UNPAID_REMINDER) == []
        assert reminders_about(deal, CLOSING_DOCS_REMINDER) == []
