"""«Регулярные платежи» stage by stage, by time travel (issue 7 §1, §4)."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from admin24 import timers, workflow
from admin24.models import GlobalConstant, ScheduledAction
from admin24.workflow import MoveRefused, move
from crm.models import Contract, Deal, DealPipeline, RegularStage, Task
from crm.services import billing
from crm.services.billing import BillingError, closing_docs_mark_received, invoice_attach, invoice_mark_paid
from notifications.models import Notification, OutboxMessage
from notifications.services import outbox_deliver
from tests.crm.conftest import msk
from tests.factories import CompanyFactory, ContactFactory
from tests.told import titles as told_titles
from tests.told import told
from tests.told import told as told_of

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def pdf(name="schet-17.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def tick(moment):
    with time_machine.travel(moment, tick=False):
        timers.run_due_until_idle()


def titles(user, template="reminder"):
    return told_titles(Notification.objects.filter(recipient=user, template=template).order_by("pk"))


def set_constant(identifier, value):
    row = GlobalConstant.objects.get(identifier=identifier)
    row.value = value
    row.save()  # drops the cached value, as the admin does


def regular_deal(
    manager,
    *,
    start=datetime.date(2027, 3, 1),
    end=datetime.date(2027, 3, 31),
    emails=("buh@romashka.example",),
    contact=True,
    company=True,
):
    """A deal at «Формирование счёта» for one period of a contract signed on the 1st of a month."""
    firm = CompanyFactory(name="ООО «Ромашка»") if company else None
    person = ContactFactory(full_name="Ольга Бухгалтер", emails=list(emails)) if contact else None
    contract = Contract.objects.create(
        number="2027-00001",
        company=firm,
        contact=person,
        responsible=manager,
        signed_on=datetime.date(2027, 1, 1),
        ends_on=datetime.date(2027, 12, 31),
        monthly_amount=Decimal("15000"),
    )
    deal = Deal.objects.create(
        pipeline=DealPipeline.REGULAR,
        stage=RegularStage.INVOICE_FORMING,
        title="ООО «Ромашка»: март 2027",
        company=firm,
        contact=person,
        responsible=manager,
        contract=contract,
        amount=Decimal("15000"),
        period_start=start,
        period_end=end,
    )
    workflow.start(deal, by=None)
    return deal


def invoice_emails():
    return OutboxMessage.objects.filter(template="invoice")


# --- «Формирование счёта» -------------------------------------------------------------------


def test_entering_invoice_forming_asks_the_responsible_for_the_invoice(team):
    manager = team["manager"]
    with time_machine.travel(msk(2027, 3, 1, 10), tick=False):
        deal = regular_deal(manager)

    task = Task.objects.get(deal=deal, status=Task.Status.OPEN)
    assert task.responsible == manager
    assert task.deadline == msk(2027, 3, 2, 18)
    assert len(titles(manager)) == 1
    assert "ООО «Ромашка»: март 2027" in titles(manager)[0]


def test_attaching_the_invoice_emails_it_to_the_contacts_first_address(team):
    manager = team["manager"]
    set_constant("BillTheme", "Счёт № {invoice_number} за {period}")
    set_constant("BillText", "Уважаемые коллеги из {company}!\nК оплате {amount} за {period}. {unknown} остаётся.")
    with time_machine.travel(msk(2027, 3, 1, 10), tick=False):
        deal = regular_deal(manager, emails=("buh@romashka.example", "director@romashka.example"))
        outcome = invoice_attach(deal=deal, by=manager, upload=pdf(), number="17")
        [message] = invoice_emails()
        outbox_deliver(message_id=message.pk)

    assert outcome.sent
    deal.refresh_from_db()
    assert deal.stage == RegularStage.INVOICE_SENT
    assert deal.invoice_number == "17"
    assert message.address == "buh@romashka.example"
    assert message.target_id == deal.pk

    [email] = mail.outbox
    assert email.to == ["buh@romashka.example"]
    assert email.subject == "Счёт № 17 за 01.03.2027 – 31.03.2027"
    assert "Уважаемые коллеги из ООО «Ромашка»!" in email.body
    assert "К оплате 15\u00a0000,00\u00a0₽ за 01.03.2027 – 31.03.2027. {unknown} остаётся." in email.body
    [(name, content, mimetype)] = email.attachments
    assert (name.startswith("schet-17"), content, mimetype) == (True, PDF, "application/pdf")
    [status] = billing.invoice_emails(deal)
    assert status.status == OutboxMessage.Status.SENT
    # The attach task is closed by the move; the call task is what is open now.
    assert list(Task.objects.filter(deal=deal, status=Task.Status.OPEN).values_list("kind", flat=True)) == ["call"]


def test_a_contact_without_email_gets_nothing_and_the_responsible_is_told_why(team):
    manager = team["manager"]
    with time_machine.travel(msk(2027, 3, 1, 10), tick=False):
        deal = regular_deal(manager, emails=())
        outcome = invoice_attach(deal=deal, by=manager, upload=pdf())

    assert not outcome.sent
    assert "Ольга Бухгалтер" in outcome.problem
    deal.refresh_from_db()
    assert deal.stage == RegularStage.INVOICE_FORMING
    assert deal.invoice_file  # kept, so the invoice goes once an address is added
    assert not invoice_emails().exists()
    told = Notification.objects.filter(recipient=manager, template="reminder").order_by("-pk").first()
    assert "Ольга Бухгалтер" in told_of(told)[1]


def test_a_deal_without_a_contact_gets_nothing_and_the_responsible_is_told_why(team):
    manager = team["manager"]
    with time_machine.travel(msk(2027, 3, 1, 10), tick=False):
        deal = regular_deal(manager, contact=False)
        outcome = invoice_attach(deal=deal, by=manager, upload=pdf())

    assert not outcome.sent
    assert outcome.problem in told(Notification.objects.filter(recipient=manager).order_by("-pk").first())[1]
    assert not invoice_emails().exists()


def test_a_failed_delivery_shows_with_its_reason(team, settings):
    manager = team["manager"]
    with time_machine.travel(msk(2027, 3, 1, 10), tick=False):
        deal = regular_deal(manager)
        invoice_attach(deal=deal, by=manager, upload=pdf())
    message = invoice_emails().get()
    # The file vanished from storage before delivery: a permanent failure.
    from django.core.files.storage import default_storage

    default_storage.delete(message.attachments[0])
    with time_machine.travel(msk(2027, 3, 1, 10, 1), tick=False):
        outbox_deliver(message_id=message.pk)

    [status] = billing.invoice_emails(deal)
    assert status.status == OutboxMessage.Status.FAILED
    assert "missing" in status.last_error


def test_the_company_is_required(team):
    manager = team["manager"]
    with time_machine.travel(msk(2027, 3, 1, 10), tick=False):
        deal = regular_deal(manager, company=False)
        deal.invoice_file.save("schet.pdf", pdf(), save=True)
        with pytest.raises(MoveRefused, match=r"company|компани"):
            move(deal, RegularStage.INVOICE_SENT, by=manager)


def test_invoice_sent_needs_the_invoice_file(team):
    manager = team["manager"]
    with time_machine.travel(msk(2027, 3, 1, 10), tick=False):
        deal = regular_deal(manager)
        with pytest.raises(MoveRefused, match=r"invoice|счёт"):
            move(deal, RegularStage.INVOICE_SENT, by=manager)


# --- «Счёт отправлен» -----------------------------------------------------------------------


def sent_deal(manager):
    with time_machine.travel(msk(2027, 3, 1, 10), tick=False):
        deal = regular_deal(manager)
        invoice_attach(deal=deal, by=manager, upload=pdf())
    deal.refresh_from_db()
    return deal


def unpaid_reminders(user):
    return [title for title in titles(user) if "unpaid" in title or "не оплачен" in title]


def test_invoice_sent_sets_a_call_for_day_3_and_reminds_on_days_10_15_20_25(team):
    manager = team["manager"]
    deal = sent_deal(manager)
    call = Task.objects.get(deal=deal, kind=Task.Kind.CALL)
    assert call.deadline == msk(2027, 3, 4, 10)

    tick(msk(2027, 3, 11, 9, 59))
    assert unpaid_reminders(manager) == []
    tick(msk(2027, 3, 11, 10))  # day 10, a Thursday
    tick(msk(2027, 3, 16, 10))  # day 15
    tick(msk(2027, 3, 22, 9))  # day 20 is a Sunday: Monday at the start of work
    tick(msk(2027, 3, 26, 10))  # day 25
    tick(msk(2027, 4, 30, 10))
    assert len(unpaid_reminders(manager)) == 4
    assert ["10" in t for t in unpaid_reminders(manager)] == [True, False, False, False]


def test_no_unpaid_reminders_after_payment(team):
    manager = team["manager"]
    deal = sent_deal(manager)
    tick(msk(2027, 3, 11, 10))
    with time_machine.travel(msk(2027, 3, 12, 11), tick=False):
        invoice_mark_paid(deal=deal, by=manager)
    tick(msk(2027, 4, 30, 10))
    assert len(unpaid_reminders(manager)) == 1


# --- «Счёт оплачен» -------------------------------------------------------------------------


PAID_ON = msk(2027, 3, 12, 11)


def paid_deal(manager, when=PAID_ON):
    deal = sent_deal(manager)
    with time_machine.travel(when, tick=False):
        invoice_mark_paid(deal=deal, by=manager)
    deal.refresh_from_db()
    return deal


def test_payment_creates_the_next_periods_deal_once(team):
    manager, head = team["manager"], team["head"]
    deal = paid_deal(manager)
    assert deal.stage == RegularStage.INVOICE_PAID and deal.invoice_paid

    following = Deal.objects.get(period_start=datetime.date(2027, 4, 1))
    assert (following.pipeline, following.stage) == (DealPipeline.REGULAR, RegularStage.INVOICE_FORMING)
    assert following.period_end == datetime.date(2027, 4, 30)
    assert (following.company, following.contact, following.contract, following.amount, following.responsible) == (
        deal.company,
        deal.contact,
        deal.contract,
        deal.amount,
        manager,
    )
    assert Task.objects.filter(deal=following, status=Task.Status.OPEN).count() == 1

    # Paid by mistake, moved back, and paid again: still one deal for April.
    with time_machine.travel(msk(2027, 3, 15, 11), tick=False):
        move(deal, RegularStage.INVOICE_SENT, by=head, reason="")
        invoice_mark_paid(deal=deal, by=manager)
        assert billing.next_period_deal(deal) == following
    assert Deal.objects.filter(contract=deal.contract, period_start=datetime.date(2027, 4, 1)).count() == 1


def test_the_pause_ends_act_forming_date_days_before_the_period_end_aligned_to_work(team):
    manager = team["manager"]
    deal = paid_deal(manager)
    # 31 March − 3 days = Sunday 28 March 2027: Monday 29 March at the start of work.
    assert ScheduledAction.objects.get(action="crm.deal.act_forming_pause", status="pending").due_at == msk(
        2027, 3, 29, 9
    )

    tick(msk(2027, 3, 29, 8, 59))
    deal.refresh_from_db()
    assert deal.stage == RegularStage.INVOICE_PAID
    tick(msk(2027, 3, 29, 9))
    deal.refresh_from_db()
    assert deal.stage == RegularStage.CLOSING_DOCS


def test_the_pause_ends_on_a_working_day_at_the_start_of_work(team):
    manager = team["manager"]
    with time_machine.travel(msk(2028, 3, 1, 10), tick=False):
        deal = regular_deal(manager, start=datetime.date(2028, 3, 1), end=datetime.date(2028, 3, 31))
        invoice_attach(deal=deal, by=manager, upload=pdf())
        invoice_mark_paid(deal=deal, by=manager)
    assert ScheduledAction.objects.get(action="crm.deal.act_forming_pause", status="pending").due_at == msk(
        2028, 3, 28, 9
    )


def test_paid_closer_to_the_period_end_than_act_forming_date_moves_at_once(team):
    manager = team["manager"]
    deal = paid_deal(manager, when=msk(2027, 3, 30, 15))
    assert deal.stage == RegularStage.CLOSING_DOCS
    assert Deal.objects.filter(period_start=datetime.date(2027, 4, 1)).count() == 1


def test_act_forming_date_is_read_when_the_invoice_is_paid(team):
    manager = team["manager"]
    set_constant("ActFormingDate", "10")
    paid_deal(manager)
    assert ScheduledAction.objects.get(action="crm.deal.act_forming_pause", status="pending").due_at == msk(
        2027, 3, 22, 9
    )


# --- «Закрывающие документы» ----------------------------------------------------------------


def closing_reminders(user):
    return [title for title in titles(user) if "closing documents" in title or "закрывающ" in title.lower()]


def test_closing_documents_task_and_reminders_after_the_period_end(team):
    manager, head = team["manager"], team["head"]
    deal = paid_deal(manager)
    tick(msk(2027, 3, 29, 9))
    task = Task.objects.get(deal=deal, kind=Task.Kind.CLOSING_DOCS)
    assert (task.responsible, task.status) == (manager, Task.Status.OPEN)

    tick(msk(2027, 4, 5, 8, 59))
    assert closing_reminders(manager) == []
    tick(msk(2027, 4, 5, 9))  # days 3 (a Saturday) and 5 fall at the same moment
    # One ladder: of two steps due at once only the later one speaks (admin24.timers, series).
    assert len(closing_reminders(manager)) == 1
    assert " 5 " in closing_reminders(manager)[0]
    tick(msk(2027, 4, 12, 9))  # day 10 is a Saturday
    tick(msk(2027, 4, 15, 9))  # day 15
    assert len(closing_reminders(manager)) == 3
    assert closing_reminders(head) == []
    tick(msk(2027, 4, 20, 9))  # day 20: the supervisor
    assert len(closing_reminders(head)) == 1
    tick(msk(2027, 5, 31, 9))
    assert (len(closing_reminders(manager)), len(closing_reminders(head))) == (3, 1)


def test_no_closing_reminders_once_received(team):
    manager, head = team["manager"], team["head"]
    deal = paid_deal(manager)
    tick(msk(2027, 3, 29, 9))
    tick(msk(2027, 4, 5, 9))
    with time_machine.travel(msk(2027, 4, 6, 12), tick=False):
        closing_docs_mark_received(deal=deal, by=manager)
    tick(msk(2027, 5, 31, 9))

    assert len(closing_reminders(manager)) == 1  # days 3 and 5, both on Monday 5 April: one reminder
    assert closing_reminders(head) == []
    deal.refresh_from_db()
    assert deal.closing_docs_received
    assert billing.billing_status(deal) == billing.BillingStatus.DOCUMENTS_RECEIVED
    assert not Task.objects.filter(deal=deal, status=Task.Status.OPEN).exists()


def test_documents_can_only_be_received_at_their_stage(team):
    manager = team["manager"]
    deal = sent_deal(manager)
    with pytest.raises(BillingError):
        closing_docs_mark_received(deal=deal, by=manager)


# --- «Сделка провалена» ---------------------------------------------------------------------


@pytest.mark.parametrize("stage", ["invoice_forming", "invoice_sent", "invoice_paid", "closing_docs"])
def test_failed_from_every_active_stage_needs_a_reason_and_stops_the_robots(team, stage):
    manager = team["manager"]
    deal = {
        "invoice_forming": lambda: regular_deal(manager),
        "invoice_sent": lambda: sent_deal(manager),
        "invoice_paid": lambda: paid_deal(manager),
    }.get(stage, lambda: None)()
    if stage == "closing_docs":
        deal = paid_deal(manager)
        tick(msk(2027, 3, 29, 9))
        deal.refresh_from_db()
    assert deal.stage == stage

    with time_machine.travel(msk(2027, 4, 1, 12), tick=False):
        with pytest.raises(MoveRefused, match=r"why|почему"):
            move(deal, RegularStage.FAILED, by=manager)
        move(deal, RegularStage.FAILED, by=manager, reason="Клиент расторг договор")

    assert deal.closing_reason == "Клиент расторг договор"
    assert not ScheduledAction.objects.filter(
        target_id=deal.pk, status="pending", action__startswith="crm.deal"
    ).exists()
    assert not Task.objects.filter(deal=deal, status=Task.Status.OPEN).exists()
