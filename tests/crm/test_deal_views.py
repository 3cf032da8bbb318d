"""The deal board, list, CSV and card: sums, switcher, access rights, sections, files, moves."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from admin24.roles import Role
from admin24.workflow import move
from crm.models import Contract, ContractStage, Deal, LostReason, Task
from tests.factories import CompanyFactory, DealFactory, UserFactory

pytestmark = pytest.mark.django_db

BOARD = reverse("crm:deals_board")
REGULAR = reverse("crm:regular_deals_board")
MOVE = reverse("crm:deals_move")
PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def manager(db):
    return UserFactory(roles=[Role.SALES_MANAGER])


@pytest.fixture
def signed_in(client, manager):
    client.force_login(manager)
    return client


def test_the_board_sums_amounts_per_column_and_shows_only_own_deals(signed_in, manager):
    DealFactory(title="Ромашка", responsible=manager, stage=ContractStage.FEEDBACK, amount=Decimal("15000"))
    DealFactory(title="Вектор", responsible=manager, stage=ContractStage.FEEDBACK, amount=Decimal("27500"))
    DealFactory(title="Чужая", responsible=UserFactory(roles=[Role.SALES_MANAGER]), stage=ContractStage.FEEDBACK)
    DealFactory(title="Регулярная", responsible=manager, pipeline="regular", stage="invoice_sent")

    page = signed_in.get(BOARD).content.decode()

    assert "Ромашка" in page and "Вектор" in page and "Чужая" not in page and "Регулярная" not in page
    assert 'data-count-for="feedback">2<' in page
    total = page.split('data-total-for="feedback">')[1].split("<")[0]
    assert total.replace("\xa0", " ").replace(" ", "") == "42500"
    assert REGULAR in page  # the pipeline switcher
    regular = signed_in.get(REGULAR).content.decode()
    assert "Регулярная" in regular and "Ромашка" not in regular
    assert 'data-count-for="invoice_sent">1<' in regular


def test_the_board_needs_a_constant_number_of_queries(signed_in, manager):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert signed_in.get(BOARD).status_code == 200
        return len(captured)

    DealFactory(responsible=manager, stage=ContractStage.FEEDBACK)
    few = queries()
    for _ in range(30):
        deal = DealFactory(responsible=manager, stage=ContractStage.CONTRACT, company=CompanyFactory())
        Task.objects.create(title="t", deal=deal, responsible=manager, deadline=deal.created_at)
    assert queries() == few


def test_the_list_and_the_csv_hold_the_readable_deals(signed_in, manager):
    DealFactory(title="Моя сделка", responsible=manager, amount=Decimal("1000"))
    DealFactory(title="Чужая", responsible=UserFactory(roles=[Role.SALES_MANAGER]))

    listing = signed_in.get(reverse("crm:deals_list")).content.decode()
    csv = b"".join(signed_in.get(reverse("crm:deals_csv")).streaming_content).decode()

    assert "Моя сделка" in listing and "Чужая" not in listing
    assert "Моя сделка" in csv and "Чужая" not in csv


def test_a_drag_to_awaiting_payment_without_the_contract_date_is_refused(signed_in, manager):
    deal = DealFactory(responsible=manager, stage=ContractStage.CONTRACT)

    response = signed_in.post(MOVE, {"pk": deal.pk, "to": "awaiting_payment"})

    assert response.status_code == 409
    assert "awaiting_payment" in response.json()["allowed"]
    assert Deal.objects.get(pk=deal.pk).stage == ContractStage.CONTRACT


def column_heads(page: str) -> dict[str, tuple[str, str]]:
    """What each column's head on a board page says: (count, sum)."""
    heads = {}
    for chunk in page.split('data-count-for="')[1:]:
        slug, rest = chunk.split('"', 1)
        count = rest.split(">", 1)[1].split("<", 1)[0]
        total = page.split(f'data-total-for="{slug}">', 1)[1].split("<", 1)[0] if "data-total-for" in page else ""
        heads[slug] = (count, total)
    return heads


def test_after_a_drag_the_column_heads_say_what_a_fresh_page_says(signed_in, manager):
    moved = DealFactory(responsible=manager, stage=ContractStage.PROPOSAL, amount=Decimal("1234567"))
    DealFactory(responsible=manager, stage=ContractStage.PROPOSAL, amount=Decimal("1000"))
    DealFactory(responsible=manager, stage=ContractStage.FEEDBACK, amount=Decimal("27500"))

    response = signed_in.post(MOVE, {"pk": moved.pk, "to": "feedback"})

    assert response.status_code == 200
    after_move = {slug: (head["label"], head["total"]) for slug, head in response.json()["columns"].items()}
    fresh = column_heads(signed_in.get(BOARD).content.decode())
    assert after_move == fresh
    assert fresh["feedback"][0] == "2" and fresh["proposal"][0] == "1"
    assert fresh["feedback"][1].replace("\xa0", "").replace(" ", "") == "1262067"


def test_someone_elses_card_is_not_found(signed_in):
    deal = DealFactory(responsible=UserFactory(roles=[Role.SALES_MANAGER]))

    assert signed_in.get(reverse("crm:deal-detail", args=[deal.pk])).status_code == 404
    assert signed_in.post(MOVE, {"pk": deal.pk, "to": "feedback"}).status_code == 404


def test_the_card_collapses_the_sections_of_later_stages_and_names_the_stages_of_moves(signed_in, manager):
    deal = DealFactory(responsible=manager, stage=ContractStage.PROPOSAL)
    move(deal, ContractStage.FEEDBACK, by=manager)

    page = signed_in.get(reverse("crm:deal-detail", args=[deal.pk])).content.decode()

    assert "Формирование КП → Обратная связь" in page
    sections = page.split('<details class="bg-white border rounded p-3 mb-2 deal-section"')[1:]
    assert [section.startswith(" open") for section in sections] == [True, True, False, False]


def test_the_card_saves_the_contract_date_and_a_file_and_refuses_a_program(signed_in, manager):
    deal = DealFactory(responsible=manager, stage=ContractStage.CONTRACT, title="Сделка")
    url = reverse("crm:deal-save", args=[deal.pk])
    fields = {"title": "Сделка", "amount": "20000", "currency": "RUB", "computers": 5, "servers": 1, "offices": 1}
    fields["responsible"] = manager.pk

    refused = signed_in.post(
        url, {**fields, "contract_upload": SimpleUploadedFile("dogovor.pdf", b"MZ\x90\x00program")}
    )
    assert refused.status_code == 200 and "dogovor.pdf" in refused.content.decode()
    assert not Deal.objects.get(pk=deal.pk).contract_file

    saved = signed_in.post(
        url,
        {**fields, "contract_date": "2026-11-20", "contract_upload": SimpleUploadedFile("dogovor.pdf", PDF)},
    )
    assert saved.status_code == 302
    deal.refresh_from_db()
    assert deal.contract_date == datetime.date(2026, 11, 20) and deal.contract_file and deal.amount == 20000


def test_ticking_payment_received_on_the_card_moves_the_deal_to_paid(signed_in, manager):
    deal = DealFactory(
        responsible=manager, stage=ContractStage.AWAITING_PAYMENT, title="С", contract_date=datetime.date(2026, 11, 1)
    )
    fields = {"title": "С", "amount": "0", "currency": "RUB", "computers": 0, "servers": 0, "offices": 0}
    fields["responsible"] = manager.pk

    signed_in.post(
        reverse("crm:deal-save", args=[deal.pk]), {**fields, "contract_date": "2026-11-01", "payment_received": "on"}
    )

    assert Deal.objects.get(pk=deal.pk).stage == ContractStage.PAID


def test_the_card_loses_a_deal_with_a_listed_reason_and_a_comment(signed_in, manager):
    deal = DealFactory(responsible=manager, stage=ContractStage.FEEDBACK)
    expensive = LostReason.objects.get(name="Дорого")

    signed_in.post(
        reverse("crm:deal-move", args=[deal.pk]), {"to": "lost", "lost_reason": expensive.pk, "reason": "в 2 раза"}
    )

    deal.refresh_from_db()
    assert (deal.stage, deal.lost_reason, deal.closing_reason) == (ContractStage.LOST, expensive, "Дорого: в 2 раза")


def test_the_company_card_lists_its_contracts_with_end_dates(signed_in, manager):
    company = CompanyFactory(responsible=manager)
    Contract.objects.create(
        number="2026-00042",
        company=company,
        signed_on=datetime.date(2026, 1, 15),
        ends_on=datetime.date(2027, 1, 14),
    )

    page = signed_in.get(reverse("crm:company-detail", args=[company.pk])).content.decode()

    assert "2026-00042" in page and "14.01.2027" in page


def test_the_bulk_action_marks_payments_and_moves_the_deals_waiting_for_them(client):
    admin = UserFactory(roles=[Role.ADMINISTRATOR])
    client.force_login(admin)
    waiting = DealFactory(stage=ContractStage.AWAITING_PAYMENT, contract_date=datetime.date(2026, 11, 1))
    earlier = DealFactory(stage=ContractStage.FEEDBACK)

    response = client.post(
        reverse("admin:crm_deal_changelist"),
        {"action": "mark_payment_received", "_selected_action": [waiting.pk, earlier.pk]},
    )

    assert response.status_code == 302
    waiting.refresh_from_db()
    earlier.refresh_from_db()
    assert (waiting.stage, waiting.payment_received) == (ContractStage.PAID, True)
    assert (earlier.stage, earlier.payment_received) == (ContractStage.FEEDBACK, True)


def test_the_board_finds_a_deal_by_its_company_in_any_letter_case(signed_in, manager):
    DealFactory(title="Обслуживание", responsible=manager, company=CompanyFactory(name="ООО «Ромашка»"))
    DealFactory(title="Аудит", responsible=manager, company=CompanyFactory(name="ООО «Вектор»"))

    page = signed_in.get(BOARD, {"q": "РОМАШКА"}).content.decode()

    assert "Обслуживание" in page and "Аудит" not in page


def test_a_card_shows_company_amount_and_period(signed_in, manager):
    DealFactory(
        title="Абонентка",
        responsible=manager,
        pipeline="regular",
        stage="invoice_sent",
        company=CompanyFactory(name="ООО «Ромашка»"),
        amount=Decimal("120000"),
        period_start=datetime.date(2026, 11, 1),
        period_end=datetime.date(2026, 11, 30),
    )

    page = signed_in.get(REGULAR).content.decode()

    assert "ООО «Ромашка»" in page
    assert "01.11.2026 – 30.11.2026" in page
    assert "120\xa0000 RUB" in page or "120 000 RUB" in page


def test_a_deal_document_downloads_only_for_those_who_may_read_the_deal(client, signed_in, manager):
    deal = DealFactory(responsible=manager, stage=ContractStage.FEEDBACK, title="Сделка")
    deal.proposal_file.save("kp.pdf", SimpleUploadedFile("kp.pdf", PDF))
    card = signed_in.get(reverse("crm:deal-detail", args=[deal.pk])).content.decode()
    link = reverse("crm:deal-file", args=[deal.pk, "proposal"])
    assert f'href="{link}">kp' in card and "/media/" not in card

    response = signed_in.get(link)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF
    assert signed_in.get(reverse("crm:deal-file", args=[deal.pk, "contract"])).status_code == 404

    client.force_login(UserFactory(roles=[Role.SALES_MANAGER]))
    assert client.get(link).status_code == 404
