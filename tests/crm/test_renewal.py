"""Contract-end tracking: the renewal deal at end − lead time, re-planned on changes (issue 7 §2, §4)."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from admin24 import timers
from admin24.models import GlobalConstant
from admin24.roles import Role
from admin24.workflow import move
from crm.models import Contract, ContractStage, Deal, DealPipeline, Task
from crm.services.contracts import deal_win
from crm.services.deals import deal_update
from crm.services.renewal import contract_set_end_date, renewal_due_at
from notifications.models import Notification
from tests.crm.conftest import msk
from tests.factories import CompanyFactory, ContactFactory, DealFactory, UserFactory
from tests.told import told as told_of

ADMIN_URL = "/admin/admin24/globalconstant/"


def tick(moment):
    with time_machine.travel(moment, tick=False):
        timers.run_due_until_idle()


def renewals():
    return Deal.objects.filter(renews__isnull=False)


@pytest.fixture
def manager(db):
    return UserFactory(username="walker", roles=[Role.SALES_MANAGER])


def won(manager, *, signed, ends, on):
    """A «Заключение договора» deal won on ``on``: its contract exists and tracking starts."""
    deal = DealFactory(
        pipeline=DealPipeline.CONTRACT,
        stage=ContractStage.CLOSING_DOCS,
        company=CompanyFactory(name="ООО «Ромашка»"),
        contact=ContactFactory(full_name="Ольга", emails=["olga@romashka.example"]),
        responsible=manager,
        amount=Decimal("15000"),
        service_kind="Абонентское обслуживание",
        contract_date=signed,
        contract_end_date=ends,
    )
    with time_machine.travel(on, tick=False):
        return deal_win(deal=deal, by=None)


def test_a_twelve_month_contract_is_renewed_thirty_days_before_its_end(manager):
    contract = won(manager, signed=datetime.date(2027, 1, 1), ends=datetime.date(2027, 12, 31), on=msk(2027, 2, 1, 10))
    assert renewal_due_at(contract) == msk(2027, 12, 1, 9)

    tick(msk(2027, 12, 1, 8, 59))
    assert not renewals().exists()
    tick(msk(2027, 12, 1, 9))

    [renewal] = renewals()
    old = contract.deals.get(won_at__isnull=False)
    assert (renewal.pipeline, renewal.stage, renewal.renews, renewal.company, renewal.contact) == (
        DealPipeline.CONTRACT,
        ContractStage.PROPOSAL,
        old,
        contract.company,
        contract.contact,
    )
    assert (renewal.responsible, renewal.amount, renewal.service_kind) == (
        manager,
        Decimal("15000"),
        "Абонентское обслуживание",
    )
    # Its own robots ran: the proposal task is the responsible's.
    assert Task.objects.get(deal=renewal, kind=Task.Kind.PROPOSAL).responsible == manager
    told = Notification.objects.get(recipient=manager, target_id=renewal.pk, template="reminder")
    assert contract.number in told_of(told)[1] and "31.12.2027" in told_of(told)[1]
    # and of the proposal task the renewal's robot gave them
    assert Notification.objects.filter(recipient=manager, target_id=renewal.pk, template="crm/task").count() == 1
    assert renewal_due_at(contract) is None

    tick(msk(2028, 1, 31, 9))
    assert renewals().count() == 1


def test_a_three_month_contract_is_renewed_fourteen_days_before_its_end(manager):
    contract = won(manager, signed=datetime.date(2027, 3, 1), ends=datetime.date(2027, 5, 31), on=msk(2027, 4, 1, 10))
    assert renewal_due_at(contract) == msk(2027, 5, 17, 9)
    tick(msk(2027, 5, 17, 8, 59))
    assert not renewals().exists()
    tick(msk(2027, 5, 17, 9))
    assert renewals().count() == 1


def test_a_contract_of_exactly_notification_step_months_gets_the_larger_lead_time(manager):
    contract = won(manager, signed=datetime.date(2027, 1, 1), ends=datetime.date(2027, 6, 30), on=msk(2027, 2, 1, 10))
    assert renewal_due_at(contract) == msk(2027, 5, 31, 9)


def test_an_extended_contract_is_not_renewed_at_the_old_moment_but_at_the_new(manager):
    contract = won(manager, signed=datetime.date(2027, 1, 1), ends=datetime.date(2027, 12, 31), on=msk(2027, 2, 1, 10))
    with time_machine.travel(msk(2027, 11, 15, 12), tick=False):
        contract_set_end_date(contract=contract, by=manager, ends_on=datetime.date(2028, 3, 31))
    assert renewal_due_at(contract) == msk(2028, 3, 1, 9)
    assert set(contract.deals.values_list("contract_end_date", flat=True)) == {datetime.date(2028, 3, 31)}

    tick(msk(2027, 12, 1, 9))
    assert not renewals().exists()
    tick(msk(2028, 3, 1, 9))
    assert renewals().count() == 1


def test_editing_the_won_deals_end_date_extends_its_contract(manager):
    from crm.services.deals import deal_update

    contract = won(manager, signed=datetime.date(2027, 1, 1), ends=datetime.date(2027, 12, 31), on=msk(2027, 2, 1, 10))
    with time_machine.travel(msk(2027, 11, 15, 12), tick=False):
        deal_update(deal=contract.deals.get(), by=manager, contract_end_date=datetime.date(2028, 3, 31))
    contract.refresh_from_db()
    assert contract.ends_on == datetime.date(2028, 3, 31)
    assert renewal_due_at(contract) == msk(2028, 3, 1, 9)


def test_an_end_date_changed_behind_the_trackers_back_is_read_again_when_due(manager):
    contract = won(manager, signed=datetime.date(2027, 1, 1), ends=datetime.date(2027, 12, 31), on=msk(2027, 2, 1, 10))
    Contract.objects.filter(pk=contract.pk).update(ends_on=datetime.date(2028, 3, 31))

    tick(msk(2027, 12, 1, 9))
    assert not renewals().exists()
    assert renewal_due_at(contract) == msk(2028, 3, 1, 9)
    tick(msk(2028, 3, 1, 9))
    assert renewals().count() == 1


def test_the_end_date_cannot_precede_the_signature(manager):
    from django.core.exceptions import ValidationError

    contract = won(manager, signed=datetime.date(2027, 1, 1), ends=datetime.date(2027, 12, 31), on=msk(2027, 2, 1, 10))
    with pytest.raises(ValidationError):
        contract_set_end_date(contract=contract, by=manager, ends_on=datetime.date(2026, 12, 1))


def test_someone_elses_contract_cannot_be_extended(manager):
    from django.core.exceptions import PermissionDenied

    contract = won(manager, signed=datetime.date(2027, 1, 1), ends=datetime.date(2027, 12, 31), on=msk(2027, 2, 1, 10))
    stranger = UserFactory(roles=[Role.SALES_MANAGER])
    with pytest.raises(PermissionDenied):
        contract_set_end_date(contract=contract, by=stranger, ends_on=datetime.date(2028, 3, 31))


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(roles=[Role.ADMINISTRATOR], is_staff=True))
    return client


def save_in_admin(client, identifier, value):
    row = GlobalConstant.objects.get(identifier=identifier)
    data = {"name": row.name, "description": row.description, "value": value, "_save": "Save"}
    response = client.post(f"{ADMIN_URL}{row.pk}/change/", data)
    assert response.status_code == 302 and response["Location"] == ADMIN_URL


@pytest.mark.parametrize(
    ("identifier", "value", "due"),
    [
        ("LargeReminderPeriod", "45", msk(2027, 11, 16, 9)),
        # The contract now runs less than NotificationStep months: the smaller lead time.
        ("NotificationStep", "13", msk(2027, 12, 17, 9)),
    ],
)
def test_saving_a_lead_time_constant_re_plans_the_pending_renewals(manager, admin_client, identifier, value, due):
    contract = won(manager, signed=datetime.date(2027, 1, 1), ends=datetime.date(2027, 12, 31), on=msk(2027, 2, 1, 10))
    save_in_admin(admin_client, identifier, value)
    assert renewal_due_at(contract) == due

    tick(due - datetime.timedelta(minutes=1))
    assert not renewals().exists()
    tick(due)
    assert renewals().count() == 1


def test_saving_the_smaller_lead_time_re_plans_short_contracts(manager, admin_client):
    contract = won(manager, signed=datetime.date(2027, 3, 1), ends=datetime.date(2027, 5, 31), on=msk(2027, 4, 1, 10))
    save_in_admin(admin_client, "LessReminderPeriod", "7")
    assert renewal_due_at(contract) == msk(2027, 5, 24, 9)


def test_past_the_end_the_contract_bills_month_by_month_until_a_renewal_is_signed(manager):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from crm.services.billing import invoice_attach, invoice_mark_paid

    def pay(deal, on):
        with time_machine.travel(on, tick=False):
            invoice_attach(deal=deal, by=manager, upload=SimpleUploadedFile("schet.pdf", b"%PDF-1.4\n%%EOF\n"))
            invoice_mark_paid(deal=deal, by=manager)

    def period(start):
        return Deal.objects.filter(contract=contract, period_start=start).first()

    contract = won(manager, signed=datetime.date(2027, 3, 1), ends=datetime.date(2027, 5, 31), on=msk(2027, 4, 1, 10))
    april = contract.deals.get()
    assert (april.period_start, april.period_end) == (datetime.date(2027, 4, 1), datetime.date(2027, 4, 30))
    pay(april, msk(2027, 4, 5, 10))
    may = period(datetime.date(2027, 5, 1))  # before the end: made as soon as April is paid
    tick(msk(2027, 5, 17, 9))
    renewal = renewals().get()

    pay(may, msk(2027, 5, 20, 10))
    # June starts after the end: not made in advance, in case a renewal signed meanwhile bills it.
    assert period(datetime.date(2027, 6, 1)) is None
    tick(msk(2027, 6, 1, 8, 59))
    assert period(datetime.date(2027, 6, 1)) is None
    tick(msk(2027, 6, 1, 9))
    june = period(datetime.date(2027, 6, 1))  # the renewal is not signed: the client pays on as before
    assert june.stage == "invoice_forming"

    pay(june, msk(2027, 6, 3, 10))
    with time_machine.travel(msk(2027, 6, 10, 10), tick=False):
        move(renewal, ContractStage.FEEDBACK, by=manager)
        move(renewal, ContractStage.CONTRACT, by=manager)
        renewal = deal_update(deal=renewal, by=manager, contract_date=datetime.date(2027, 7, 1))
        move(renewal, ContractStage.AWAITING_PAYMENT, by=manager)
    tick(msk(2027, 7, 1, 9))
    assert period(datetime.date(2027, 7, 1)) is None  # the renewal's first month: paid in its own deal


def test_a_lead_time_changed_behind_the_trackers_back_is_read_again_when_due(manager):
    contract = won(manager, signed=datetime.date(2027, 1, 1), ends=datetime.date(2027, 12, 31), on=msk(2027, 2, 1, 10))
    # Saved outside the admin (a shell, a script): the cache is dropped but nothing re-plans.
    row = GlobalConstant.objects.get(identifier="LargeReminderPeriod")
    row.value = "10"
    row.save()

    tick(msk(2027, 12, 1, 9))
    assert not renewals().exists()
    assert renewal_due_at(contract) == msk(2027, 12, 21, 9)
