"""Regular payments on the web and in the API: the card's invoice actions, the billing list, the contract's renewal."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from admin24 import workflow
from admin24.roles import Role
from crm.models import Contract, Deal, DealPipeline, RegularStage
from crm.services.renewal import renewal_track
from notifications.models import OutboxMessage
from tests.crm.conftest import msk
from tests.factories import CompanyFactory, ContactFactory, UserFactory

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
NOW = msk(2027, 3, 1, 10)


def pdf(name="schet.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.fixture(autouse=True)
def march():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def manager(db):
    return UserFactory(username="walker", roles=[Role.SALES_MANAGER])


def regular_deal(manager, *, start=datetime.date(2027, 3, 1), emails=("buh@romashka.example",), company=None):
    company = company or CompanyFactory(name="ООО «Ромашка»")
    contract = Contract.objects.filter(company=company).first() or Contract.objects.create(
        number=f"2027-{company.pk:05d}",
        company=company,
        contact=ContactFactory(full_name="Ольга", emails=list(emails)),
        responsible=manager,
        signed_on=datetime.date(2027, 1, 1),
        ends_on=datetime.date(2027, 12, 31),
        monthly_amount=Decimal("15000"),
    )
    deal = Deal.objects.create(
        pipeline=DealPipeline.REGULAR,
        stage=RegularStage.INVOICE_FORMING,
        title=f"{company.name}: {start:%m.%Y}",
        company=company,
        contact=contract.contact,
        responsible=manager,
        contract=contract,
        amount=Decimal("15000"),
        period_start=start,
        period_end=billing_end(start),
    )
    workflow.start(deal, by=None)
    return deal


def billing_end(start):
    from crm.services.billing import period_from

    return period_from(start, anchor=datetime.date(2027, 1, 1))[1]


# --- the card -------------------------------------------------------------------------------


def test_the_card_attaches_and_sends_the_invoice(client, manager):
    deal = regular_deal(manager)
    client.force_login(manager)
    page = client.get(f"/crm/deals/{deal.pk}/").content.decode()
    assert "01.03.2027 – 31.03.2027" in page
    assert f"/crm/deals/{deal.pk}/invoice/" in page

    response = client.post(f"/crm/deals/{deal.pk}/invoice/", {"invoice": pdf(), "number": "17"}, follow=True)
    page = response.content.decode()
    assert "buh@romashka.example" in page
    deal.refresh_from_db()
    assert deal.stage == RegularStage.INVOICE_SENT
    assert "invoice-email-pending" in page  # the delivery status is on the card
    assert f"/crm/deals/{deal.pk}/invoice/paid/" in page

    client.post(f"/crm/deals/{deal.pk}/invoice/paid/")
    deal.refresh_from_db()
    assert deal.stage == RegularStage.INVOICE_PAID


def test_the_card_says_why_the_invoice_was_not_sent(client, manager):
    deal = regular_deal(manager, emails=())
    client.force_login(manager)
    page = client.post(f"/crm/deals/{deal.pk}/invoice/", {"invoice": pdf()}, follow=True).content.decode()
    assert "Ольга" in page
    assert f"/crm/deals/{deal.pk}/invoice/send/" in page  # once an address is added
    assert not OutboxMessage.objects.filter(template="invoice").exists()


def test_the_card_refuses_an_executable_as_the_invoice(client, manager):
    deal = regular_deal(manager)
    client.force_login(manager)
    upload = SimpleUploadedFile("schet.exe", b"MZ\x90\x00" + b"\x00" * 100)
    response = client.post(f"/crm/deals/{deal.pk}/invoice/", {"invoice": upload}, follow=True)
    assert response.status_code == 200
    deal.refresh_from_db()
    assert not deal.invoice_file and deal.stage == RegularStage.INVOICE_FORMING


def test_someone_without_edit_rights_cannot_send_invoices(client, manager):
    deal = regular_deal(manager)
    client.force_login(UserFactory(roles=[Role.SALES_MANAGER]))
    response = client.post(f"/crm/deals/{deal.pk}/invoice/", {"invoice": pdf()})
    assert response.status_code in (403, 404)
    assert not OutboxMessage.objects.filter(template="invoice").exists()


def test_the_card_shows_when_the_renewal_will_be_created(client, manager):
    deal = regular_deal(manager)
    renewal_track(deal.contract)
    client.force_login(manager)
    page = client.get(f"/crm/deals/{deal.pk}/").content.decode()
    assert "01.12.2027 09:00" in page

    response = client.post(
        f"/crm/contracts/{deal.contract.pk}/end-date/", {"ends_on": "2028-03-31", "deal": deal.pk}, follow=True
    )
    assert "01.03.2028 09:00" in response.content.decode()
    company_page = client.get(f"/crm/companies/{deal.company.pk}/").content.decode()
    assert "01.03.2028 09:00" in company_page


# --- the billing list -----------------------------------------------------------------------


def test_the_billing_list_shows_a_months_periods_with_their_status(client, manager):
    march = regular_deal(manager)
    regular_deal(manager, start=datetime.date(2027, 4, 1), company=march.company)
    other = regular_deal(manager, company=CompanyFactory(name="ООО «Лютик»"))
    with time_machine.travel(NOW, tick=False):
        from crm.services.billing import invoice_attach

        invoice_attach(deal=other, by=manager, upload=pdf())
    client.force_login(manager)

    page = client.get("/crm/deals/billing/?month=2027-03").content.decode()
    assert page.count('data-status="not_attached"') == 1
    assert page.count('data-status="sent"') == 1
    assert "ООО «Лютик»" in page and "01.04.2027" not in page

    april = client.get("/crm/deals/billing/?month=2027-04").content.decode()
    assert april.count("<tr data-status") == 1 and "01.04.2027" in april

    assert client.get("/crm/deals/billing/?month=март").status_code == 200


def test_the_billing_list_shows_only_readable_deals(client, manager):
    regular_deal(manager)
    client.force_login(UserFactory(roles=[Role.SALES_MANAGER]))
    page = client.get("/crm/deals/billing/?month=2027-03").content.decode()
    assert "ООО «Ромашка»" not in page


def test_a_period_straddling_two_months_is_listed_in_both(client, manager):
    straddling = regular_deal(manager, start=datetime.date(2027, 3, 15))
    # A contract signed on the 15th pays from the 15th to the 14th.
    Deal.objects.filter(pk=straddling.pk).update(period_end=datetime.date(2027, 4, 14))
    client.force_login(manager)
    for month in ("2027-03", "2027-04"):
        assert f"/crm/deals/{straddling.pk}/" in client.get(f"/crm/deals/billing/?month={month}").content.decode()
    assert f"/crm/deals/{straddling.pk}/" not in client.get("/crm/deals/billing/?month=2027-05").content.decode()


def test_no_paid_period_is_longer_than_the_billing_list_looks_back():
    """The list finds a month's periods among those starting at most MAX_PERIOD_DAYS before it."""
    from admin24.worktime import add_months
    from crm.services.billing import MAX_PERIOD_DAYS, period_from

    longest = 0
    for anchor_day in range(1, 32):
        anchor = datetime.date(2027, 1, 1) + datetime.timedelta(days=anchor_day - 1)
        for month in range(-1, 26):
            for shift in (0, 1, 2, 27):
                start = add_months(anchor, month) + datetime.timedelta(days=shift)
                first, end = period_from(start, anchor=anchor)
                longest = max(longest, (end - first).days)
    assert 28 <= longest <= MAX_PERIOD_DAYS


def test_the_billing_list_takes_the_same_queries_whatever_the_months_of_history(client, manager):
    """Two years of paid periods before this month: the same queries (and the same rows) as none."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    admin = UserFactory(roles=[Role.ADMINISTRATOR])
    client.force_login(admin)
    current = regular_deal(manager)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/crm/deals/billing/")
        assert response.status_code == 200
        return len(captured), response.content.decode().count("<tr data-status")

    few = queries()
    for back in range(1, 25):
        start = datetime.date(2027, 3, 1) - datetime.timedelta(days=31 * back)
        start = start.replace(day=1)
        Deal.objects.create(
            pipeline=DealPipeline.REGULAR,
            stage=RegularStage.CLOSING_DOCS,
            title=f"old {back}",
            company=current.company,
            responsible=manager,
            contract=current.contract,
            amount=Decimal("15000"),
            period_start=start,
            period_end=billing_end(start),
        )
    assert queries() == few == (few[0], 1)


# --- the API --------------------------------------------------------------------------------


@pytest.fixture
def api(manager):
    client = APIClient()
    client.force_authenticate(manager)
    return client


def test_the_api_uploads_the_invoice_and_sends_it(api, manager):
    deal = regular_deal(manager)
    response = api.post(f"/api/v1/deals/{deal.pk}/invoice/", {"file": pdf(), "number": "17"}, format="multipart")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["stage"], body["invoice_number"], body["period_start"]) == ("invoice_sent", "17", "2027-03-01")
    assert body["invoice_file"]
    assert OutboxMessage.objects.filter(template="invoice", target_id=deal.pk).count() == 1

    assert api.post(f"/api/v1/deals/{deal.pk}/invoice-paid/").json()["stage"] == "invoice_paid"
    response = api.post(f"/api/v1/deals/{deal.pk}/closing-docs-received/")
    assert response.status_code == 409 and "«" in response.json()["detail"]


def test_the_api_says_why_the_invoice_was_not_sent(api, manager):
    deal = regular_deal(manager, emails=())
    response = api.post(f"/api/v1/deals/{deal.pk}/invoice/", {"file": pdf()}, format="multipart")
    assert response.status_code == 409
    assert "Ольга" in response.json()["detail"]
    assert api.get(f"/api/v1/deals/{deal.pk}/").json()["invoice_file"]


def test_the_api_refuses_a_missing_file(api, manager):
    deal = regular_deal(manager)
    response = api.post(f"/api/v1/deals/{deal.pk}/invoice/", {}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()


def test_the_api_lists_billing_by_month(api, manager):
    regular_deal(manager)
    rows = api.get("/api/v1/deals/billing/?month=2027-03").json()["results"]
    assert [(r["period_start"], r["billing_status"]) for r in rows] == [("2027-03-01", "not_attached")]
    assert api.get("/api/v1/deals/billing/?month=2027-13").status_code == 400


def test_the_api_extends_a_contract_and_shows_the_renewal_moment(api, manager):
    deal = regular_deal(manager)
    renewal_track(deal.contract)
    body = api.get(f"/api/v1/contracts/{deal.contract.pk}/").json()
    assert body["renewal_due_at"] == "2027-12-01T06:00:00Z"  # 09:00 in Moscow
    body = api.post(f"/api/v1/contracts/{deal.contract.pk}/end-date/", {"ends_on": "2028-03-31"}, format="json").json()
    assert (body["ends_on"], body["renewal_due_at"][:16]) == ("2028-03-31", "2028-03-01T06:00")
    response = api.post(f"/api/v1/contracts/{deal.contract.pk}/end-date/", {"ends_on": "2026-01-01"}, format="json")
    assert response.status_code == 400


def test_the_renewal_contract_is_attached_on_the_card_and_in_the_api(client, api, manager):
    deal = regular_deal(manager)
    client.force_login(manager)
    client.post(f"/crm/deals/{deal.pk}/renewal-contract/", {"renewal_contract": pdf("dop-soglashenie.pdf")})
    deal.refresh_from_db()
    assert "dop-soglashenie" in deal.renewal_contract_file.name
    assert "dop-soglashenie" in client.get(f"/crm/deals/{deal.pk}/").content.decode()

    response = api.post(
        f"/api/v1/deals/{deal.pk}/renewal-contract-file/", {"file": pdf("dogovor-2028.pdf")}, format="multipart"
    )
    assert response.status_code == 200
    link = response.json()["renewal_contract_file"]
    assert link.endswith(f"/crm/deals/{deal.pk}/files/renewal_contract/")  # the checked download, not /media/
    assert "dogovor-2028" in client.get(link).headers["Content-Disposition"]


# --- the board ------------------------------------------------------------------------------


def test_the_regular_board_shows_the_periods_and_refuses_a_drag_without_the_invoice(client, manager):
    from django.urls import reverse

    deal = regular_deal(manager)
    client.force_login(manager)
    board = client.get(reverse("crm:regular_deals_board")).content.decode()
    assert "01.03.2027 – 31.03.2027" in board

    response = client.post(reverse("crm:regular_deals_move"), {"pk": deal.pk, "to": "invoice_sent"})
    assert response.status_code == 409
    deal.refresh_from_db()
    assert deal.stage == RegularStage.INVOICE_FORMING

    csv = b"".join(client.get(reverse("crm:regular_deals_csv")).streaming_content).decode()
    assert "01.03.2027" in csv or "2027-03-01" in csv


def test_the_regular_board_needs_a_constant_number_of_queries(client, manager):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    client.force_login(manager)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("crm:regular_deals_board")).status_code == 200
        return len(captured)

    regular_deal(manager)
    few = queries()
    for month in range(4, 12):
        regular_deal(manager, start=datetime.date(2027, month, 1), company=CompanyFactory())
    assert queries() == few


def test_the_timeline_shows_whether_the_invoice_email_was_delivered(client, manager):
    from django.core.files.storage import default_storage

    from crm.services.billing import invoice_attach
    from notifications.services import outbox_deliver

    sent, lost = regular_deal(manager), regular_deal(manager, company=CompanyFactory(name="ООО «Лютик»"))
    invoice_attach(deal=sent, by=manager, upload=pdf())
    invoice_attach(deal=lost, by=manager, upload=pdf())
    for deal in (sent, lost):
        message = OutboxMessage.objects.get(target_id=deal.pk, template="invoice")
        if deal is lost:
            default_storage.delete(message.attachments[0])
        outbox_deliver(message_id=message.pk)
    client.force_login(manager)

    timeline = client.get(f"/crm/deals/{sent.pk}/").content.decode().split('class="list-unstyled small timeline"')[1]
    assert "delivery-sent" in timeline
    timeline = client.get(f"/crm/deals/{lost.pk}/").content.decode().split('class="list-unstyled small timeline"')[1]
    assert "delivery-failed" in timeline and "missing from storage" in timeline


BILLING_ROW = (
    '\n      <td class="text-nowrap">{period}</td>\n'
    '      <td><a href="/crm/companies/{company}/">ООО «Рога &amp; Копыта»</a></td>\n'
    '      <td><a href="/crm/deals/{deal}/">ООО «Рога &amp; Копыта»: 03.2027</a></td>\n'
    '      <td class="text-end text-nowrap">{amount} RUB</td>\n'
    '      <td><span class="badge text-bg-warning">{status}</span></td>\n      <td>{responsible}</td>\n    '
)


@pytest.mark.parametrize(
    ("language", "period", "amount", "status"),
    [
        ("ru", "01.03.2027 – 31.03.2027", "15\xa0000,00", "счёт не прикреплён"),
        ("en", "1 Mar 2027 – 31 Mar 2027", "15,000.00", "invoice not attached"),
    ],
)
def test_a_billing_row_reads_as_a_user_sees_it_in_each_language(client, manager, language, period, amount, status):
    deal = regular_deal(manager, company=CompanyFactory(name="ООО «Рога & Копыта»"))
    client.force_login(manager)
    client.cookies["django_language"] = language
    page = client.get("/crm/deals/billing/?month=2027-03").content.decode()
    row = page.split('<tr data-status="not_attached">', 1)[1].split("</tr>", 1)[0]
    assert row == BILLING_ROW.format(
        period=period,
        company=deal.company_id,
        deal=deal.pk,
        amount=amount,
        status=status,
        responsible=manager.full_name,
    )


@pytest.mark.parametrize(
    ("language", "period", "refusal"),
    [
        ("ru", "01.03.2027 – 31.03.2027", "(01.01.2027)"),
        ("en", "1 Mar 2027 – 31 Mar 2027", "(1 Jan 2027)"),
    ],
)
def test_the_board_card_and_the_end_date_refusal_write_dates_in_the_readers_language(
    client, manager, language, period, refusal
):
    deal = regular_deal(manager)
    client.force_login(manager)
    client.cookies["django_language"] = language

    board = client.get("/crm/deals/regular/").content.decode()
    refused = client.post(
        f"/crm/contracts/{deal.contract.pk}/end-date/", {"ends_on": "2026-12-31", "deal": deal.pk}, follow=True
    ).content.decode()

    assert period in board
    assert refusal in refused
    assert Contract.objects.get(pk=deal.contract.pk).ends_on == datetime.date(2027, 12, 31)
