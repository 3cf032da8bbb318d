"""Every month billed exactly once across a renewal (issue 11 §1), by time travel through whole lives.

The first contract runs three months (1 March – 31 May 2027, so its renewal deal comes 14 days
before the end); the renewal is signed before the end, on the end date, after it (the client
paying month by month meanwhile), or lost; in each case every day from the first contract's
date until a year after the renewal's is in exactly one billed period.
"""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from admin24.models import GlobalConstant
from admin24.roles import Role
from admin24.workflow import move
from crm.models import Contract, ContractStage, Deal, DealPipeline, LostReason, RegularStage, Task
from crm.services.billing import invoice_attach
from crm.services.deals import deal_attach_file, deal_update
from crm.services.tasks import task_complete
from notifications.models import Notification, OutboxMessage
from tests.crm.conftest import msk
from tests.crm.lifecycle import Life, assert_every_month_billed_once, first_contract, invoice_rows, pdf, working
from tests.crm.test_billing_box_languages import billing_box_emails
from tests.factories import UserFactory
from tests.test_history_languages import reader
from tests.told import told as told_of

SIGNED = datetime.date(2027, 3, 1)
ENDS = datetime.date(2027, 5, 31)


@pytest.fixture
def people(db):
    manager = UserFactory(username="walker", roles=[Role.SALES_MANAGER])
    clerk = UserFactory(username="clerk", roles=[Role.CLERK])
    GlobalConstant.objects.filter(identifier="Clerk").update(user=clerk)
    return {"manager": manager, "clerk": clerk}


def renewal_of(life: Life) -> Deal:
    return Deal.objects.get(renews__isnull=False, company=life.company, renews__contract__signed_on=SIGNED)


def at(life: Life, moment: datetime.datetime, action):
    life.run_until(moment)
    with time_machine.travel(moment, tick=False):
        return action()


def talks(renewal, manager):
    """The client agrees to renew: the renewal goes on to «Заключение договора» (the Clerk's task)."""
    move(renewal, ContractStage.FEEDBACK, by=manager)
    move(renewal, ContractStage.CONTRACT, by=manager)


def clerk_signs(renewal, clerk, *, starts, ends):
    deal_attach_file(deal=renewal, by=clerk, kind="contract", upload=pdf("dogovor.pdf"))
    deal_update(deal=renewal, by=clerk, contract_date=starts, contract_end_date=ends)
    task_complete(task=Task.objects.get(deal=renewal, kind=Task.Kind.CONTRACT, status=Task.Status.OPEN), by=clerk)
    return Deal.objects.get(pk=renewal.pk)


def client_pays_the_first_month(renewal, manager):
    renewal = deal_update(deal=Deal.objects.get(pk=renewal.pk), by=manager, payment_received=True)
    assert renewal.stage == ContractStage.PAID
    move(renewal, ContractStage.CLOSING_DOCS, by=manager)


def old_chain(life: Life):
    return Deal.objects.filter(
        pipeline=DealPipeline.REGULAR, company=life.company, contract__signed_on=SIGNED
    ).order_by("period_start")


def a_year_of_the_renewal(life, people, *, starts):
    """Run until a year after the renewal's contract date and check every month was billed once."""
    until = datetime.date(starts.year + 1, starts.month, starts.day) - datetime.timedelta(days=1)
    life.run_until(working(until + datetime.timedelta(days=1), 9))
    renewed = Contract.objects.get(company=life.company, signed_on=starts)
    assert renewed.deals.filter(won_at__isnull=False).get() == renewal_of(life)
    assert not old_chain(life).filter(period_start__gte=starts).exclude(stage=RegularStage.FAILED).exists()
    assert_every_month_billed_once(life.company, first=SIGNED, until=until)
    return renewed


def test_a_renewal_signed_before_the_end_bills_from_the_day_after_it(people):
    manager, clerk = people["manager"], people["clerk"]
    life = first_contract(manager, signed=SIGNED, ends=ENDS)
    renewal = at(life, msk(2027, 5, 17, 10), lambda: renewal_of(life))  # 14 days before the end

    at(life, msk(2027, 5, 18, 10), lambda: talks(renewal, manager))
    renewal = at(
        life,
        msk(2027, 5, 20, 10),
        lambda: clerk_signs(renewal, clerk, starts=datetime.date(2027, 6, 1), ends=datetime.date(2028, 5, 31)),
    )
    assert renewal.stage == ContractStage.AWAITING_PAYMENT
    at(life, msk(2027, 5, 25, 10), lambda: client_pays_the_first_month(renewal, manager))

    # June is the renewal's first month, paid in «Заключение договора»: the old contract does not
    # invoice it, nor July, which the renewal's own «Регулярные платежи» bills.
    life.run_until(msk(2027, 7, 15, 12))
    assert [d.period_start for d in old_chain(life)] == [datetime.date(2027, 4, 1), datetime.date(2027, 5, 1)]
    a_year_of_the_renewal(life, people, starts=datetime.date(2027, 6, 1))


def test_a_renewal_signed_on_the_end_date(people):
    manager, clerk = people["manager"], people["clerk"]
    life = first_contract(manager, signed=SIGNED, ends=ENDS)
    renewal = at(life, msk(2027, 5, 17, 10), lambda: renewal_of(life))
    at(life, msk(2027, 5, 26, 10), lambda: talks(renewal, manager))
    renewal = at(
        life,
        msk(2027, 5, 31, 16),
        lambda: clerk_signs(renewal, clerk, starts=datetime.date(2027, 6, 1), ends=datetime.date(2028, 5, 31)),
    )
    at(life, msk(2027, 6, 3, 10), lambda: client_pays_the_first_month(renewal, manager))
    a_year_of_the_renewal(life, people, starts=datetime.date(2027, 6, 1))


def test_a_renewal_signed_after_the_end_while_the_client_paid_month_by_month(people):
    manager, clerk = people["manager"], people["clerk"]
    life = first_contract(manager, signed=SIGNED, ends=ENDS)
    renewal = at(life, msk(2027, 5, 17, 10), lambda: renewal_of(life))
    at(life, msk(2027, 6, 15, 10), lambda: talks(renewal, manager))

    # June, July and August were invoiced under the old contract, each on its first working day.
    life.run_until(msk(2027, 8, 10, 10))
    assert [d.period_start.month for d in old_chain(life)] == [4, 5, 6, 7, 8]
    assert invoice_rows().filter(target_id=old_chain(life).last().pk, status=OutboxMessage.Status.SENT).exists()
    with time_machine.travel(msk(2027, 8, 10, 10), tick=False):
        for taken in (datetime.date(2027, 8, 1), datetime.date(2027, 9, 15)):
            with pytest.raises(ValidationError) as refused:
                deal_update(deal=renewal, by=clerk, contract_date=taken)
            assert "01.09.2027" in str(refused.value.message_dict["contract_date"])
    renewal = at(
        life,
        msk(2027, 8, 10, 11),
        lambda: clerk_signs(renewal, clerk, starts=datetime.date(2027, 9, 1), ends=datetime.date(2028, 8, 31)),
    )
    at(life, msk(2027, 8, 16, 10), lambda: client_pays_the_first_month(renewal, manager))
    a_year_of_the_renewal(life, people, starts=datetime.date(2027, 9, 1))


def test_a_renewal_signed_as_the_month_begins_closes_the_old_contracts_deal_and_withdraws_its_invoice(people):
    manager, clerk = people["manager"], people["clerk"]
    life = first_contract(manager, signed=SIGNED, ends=ENDS)
    renewal = at(life, msk(2027, 5, 17, 10), lambda: renewal_of(life))
    at(life, msk(2027, 6, 15, 10), lambda: talks(renewal, manager))
    life.run_until(msk(2027, 8, 2, 9))  # Monday: the old contract's August deal is made
    august = old_chain(life).last()
    assert august.period_start == datetime.date(2027, 8, 1)
    with time_machine.travel(msk(2027, 8, 2, 9, 30), tick=False):
        # Attached, but the mail server is down: the email waits in the outbox.
        invoice_attach(deal=august, by=manager, upload=pdf("schet-avgust.pdf"))
    [waiting] = invoice_rows().filter(target_id=august.pk)
    assert waiting.status == OutboxMessage.Status.PENDING

    renewal = at(
        life,
        msk(2027, 8, 2, 10),
        lambda: clerk_signs(renewal, clerk, starts=datetime.date(2027, 8, 1), ends=datetime.date(2028, 7, 31)),
    )
    august.refresh_from_db()
    waiting.refresh_from_db()
    assert (august.stage, august.superseded_by) == (RegularStage.FAILED, renewal)
    assert renewal.title in august.closing_reason and "01.08.2027" in august.closing_reason
    # The robot's reason is kept as its message: an English reader reads it in English.
    with translation.override("en"):
        assert august.shown_closing_reason == (
            f"The period from 1 Aug 2027 is billed under the renewal “{renewal.title}” (contract of 1 Aug 2027)."
        )
    [told] = [n for n in Notification.objects.filter(target_id=august.pk) if told_of(n)[0].startswith("Сделка закрыта")]
    assert told_of(told)[1] == (
        f"Период с 01.08.2027 оплачивается по продлению «{renewal.title}» (договор от 01.08.2027). "
        "Письмо со счётом не отправлено."
    )
    assert waiting.status == OutboxMessage.Status.CANCELLED
    assert not Task.objects.filter(deal=august, status=Task.Status.OPEN).exists()
    told = Notification.objects.get(recipient=manager, key=f"superseded:{august.pk}:{renewal.pk}")
    assert renewal.title in told_of(told)[1]
    browser = Client()
    browser.force_login(manager)
    page = browser.get(reverse("crm:deal-detail", args=[august.pk])).content.decode()
    assert reverse("crm:deal-detail", args=[renewal.pk]) in page and "invoice-email-cancelled" in page
    # The billing box says why the invoice was withdrawn in each reader's language.
    english = UserFactory(username="reader-en", roles=[Role.ADMINISTRATOR], language="en")
    [withdrawn] = billing_box_emails(reader(english), august)
    assert withdrawn.endswith(
        f"The period from 1 Aug 2027 is billed under the renewal “{renewal.title}” (contract of 1 Aug 2027)."
    ), withdrawn
    [withdrawn] = billing_box_emails(reader(manager), august)
    assert withdrawn.endswith(
        f"Период с 01.08.2027 оплачивается по продлению «{renewal.title}» (договор от 01.08.2027)."
    ), withdrawn

    at(life, msk(2027, 8, 4, 10), lambda: client_pays_the_first_month(renewal, manager))
    a_year_of_the_renewal(life, people, starts=datetime.date(2027, 8, 1))


def lose(renewal, manager):
    reason = LostReason.objects.filter(active=True).order_by("position").first()
    move(Deal.objects.get(pk=renewal.pk), ContractStage.LOST, by=manager, reason=f"{reason.name}: не продлили")


def test_a_lost_renewal_leaves_the_old_contract_billing_month_by_month(people):
    manager = people["manager"]
    life = first_contract(manager, signed=SIGNED, ends=ENDS)
    renewal = at(life, msk(2027, 5, 17, 10), lambda: renewal_of(life))
    at(life, msk(2027, 5, 18, 10), lambda: talks(renewal, manager))
    at(life, msk(2027, 6, 15, 10), lambda: lose(renewal, manager))

    life.run_until(msk(2028, 6, 1, 12))
    assert Contract.objects.filter(company=life.company).count() == 1
    assert old_chain(life).filter(period_start__gte=datetime.date(2027, 6, 1)).count() == 13
    assert_every_month_billed_once(life.company, first=SIGNED, until=datetime.date(2028, 5, 31))


def test_a_renewal_lost_after_it_was_signed_gives_the_months_back_to_the_old_contract(people):
    manager, clerk = people["manager"], people["clerk"]
    life = first_contract(manager, signed=SIGNED, ends=ENDS)
    renewal = at(life, msk(2027, 5, 17, 10), lambda: renewal_of(life))
    at(life, msk(2027, 5, 18, 10), lambda: talks(renewal, manager))
    renewal = at(
        life,
        msk(2027, 5, 20, 10),
        lambda: clerk_signs(renewal, clerk, starts=datetime.date(2027, 6, 1), ends=datetime.date(2028, 5, 31)),
    )
    life.run_until(msk(2027, 6, 10, 10))
    assert not old_chain(life).filter(period_start=datetime.date(2027, 6, 1)).exists()  # the renewal's month

    # The client never pays the renewal: June is the old contract's again, invoiced at once.
    at(life, msk(2027, 6, 10, 10), lambda: lose(renewal, manager))
    june = old_chain(life).get(period_start=datetime.date(2027, 6, 1))
    assert june.stage == RegularStage.INVOICE_FORMING
    life.run_until(msk(2028, 6, 1, 12))
    assert_every_month_billed_once(life.company, first=SIGNED, until=datetime.date(2028, 5, 31))
