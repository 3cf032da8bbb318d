"""A year of one client by time travel (issue 7 §4): signed in January, twelve monthly cycles,
renewal in December — twelve invoice emails, twelve closing-document tasks, one renewal deal."""

import datetime
from decimal import Decimal

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from admin24 import timers, worktime
from admin24.roles import Role
from admin24.workflow import move
from crm.models import ContractStage, Deal, DealPipeline, RegularStage, Task
from crm.pipelines.regular import act_forming_moment
from crm.services.billing import closing_docs_mark_received, invoice_attach, invoice_mark_paid
from notifications.models import Notification, OutboxMessage
from tests.crm.conftest import msk
from tests.factories import CompanyFactory, ContactFactory, DealFactory, UserFactory
from tests.told import titles

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def tick(moment):
    with time_machine.travel(moment, tick=False):
        timers.run_due_until_idle()


def working(day: datetime.date, hour: int = 11) -> datetime.datetime:
    return worktime.next_working_moment(msk(day.year, day.month, day.day, hour))


def test_a_year_of_one_client(db):
    manager = UserFactory(username="walker", roles=[Role.SALES_MANAGER])
    deal = DealFactory(
        pipeline=DealPipeline.CONTRACT,
        stage=ContractStage.PAID,
        title="Абонентка «Ромашки»",
        company=CompanyFactory(name="ООО «Ромашка»"),
        contact=ContactFactory(full_name="Ольга", emails=["buh@romashka.example"]),
        responsible=manager,
        amount=Decimal("15000"),
        contract_date=datetime.date(2027, 1, 11),
        contract_end_date=datetime.date(2028, 1, 10),
        payment_received=True,
    )
    # Signed and paid on Monday 11 January 2027; a month later the deal is won into regular payments.
    with time_machine.travel(msk(2027, 1, 11, 15), tick=False):
        move(deal, ContractStage.CLOSING_DOCS, by=manager)
    tick(msk(2027, 2, 11, 9))
    deal.refresh_from_db()
    assert (deal.pipeline, deal.stage, deal.period_start) == (
        DealPipeline.REGULAR,
        RegularStage.INVOICE_FORMING,
        datetime.date(2027, 2, 11),
    )
    contract = deal.contract
    won_at = deal.won_at

    current, start = deal, deal.period_start
    for cycle in range(12):
        if cycle:
            # A period starting after the contract's end gets its deal on its first day.
            tick(working(start))
            current = Deal.objects.get(contract=contract, period_start=start)
        attach_at = working(current.period_start)
        tick(attach_at)
        with time_machine.travel(attach_at, tick=False):
            assert invoice_attach(deal=current, by=manager, upload=SimpleUploadedFile("schet.pdf", PDF)).sent
        paid_at = working(current.period_start + datetime.timedelta(days=5))
        tick(paid_at)
        with time_machine.travel(paid_at, tick=False):
            invoice_mark_paid(deal=current, by=manager)
        tick(act_forming_moment(current))
        current.refresh_from_db()
        assert current.stage == RegularStage.CLOSING_DOCS
        received_at = act_forming_moment(current) + datetime.timedelta(hours=6)
        tick(received_at)
        with time_machine.travel(received_at, tick=False):
            closing_docs_mark_received(deal=current, by=manager)
        start = current.period_end + datetime.timedelta(days=1)
    tick(msk(2028, 3, 1, 12))

    regular = Deal.objects.filter(pipeline=DealPipeline.REGULAR, contract=contract).order_by("period_start")
    assert [d.period_start for d in regular] == [
        datetime.date(2027 + (m > 12), (m - 1) % 12 + 1, 11) for m in range(2, 15)
    ]
    # Twelve periods are complete; the thirteenth waits for its invoice.
    assert [d.closing_docs_received for d in regular] == [True] * 12 + [False]
    assert regular.last().stage == RegularStage.INVOICE_FORMING

    emails = OutboxMessage.objects.filter(template="invoice")
    assert emails.count() == 12
    assert set(emails.values_list("address", flat=True)) == {"buh@romashka.example"}
    assert sorted(emails.values_list("target_id", flat=True)) == [d.pk for d in regular[:12]]

    documents = Task.objects.filter(kind=Task.Kind.CLOSING_DOCS, deal__contract=contract, created_at__gte=won_at)
    assert documents.count() == 12
    assert sorted(documents.values_list("deal_id", flat=True)) == [d.pk for d in regular[:12]]

    [renewal] = Deal.objects.filter(renews__contract=contract)
    assert (renewal.pipeline, renewal.stage, renewal.renews) == (DealPipeline.CONTRACT, ContractStage.PROPOSAL, deal)
    assert (renewal.created_at.year, renewal.created_at.month) == (2027, 12)

    # Paid within five days and documents received before the period ended: nobody was reminded.
    reminders = titles(Notification.objects.filter(recipient=manager, template="reminder"))
    assert not [t for t in reminders if "unpaid" in t or "closing documents" in t.lower()]
