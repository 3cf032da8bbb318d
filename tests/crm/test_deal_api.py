"""/api/v1/deals/ and /api/v1/contracts/: filters, access rights, moves, files, the payment flag."""

import datetime
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from rest_framework.test import APIClient

from admin24.models import ScheduledAction
from admin24.roles import Role
from admin24.workflow import MoveRefused, move
from crm.models import Contract, ContractStage, Deal, Task
from crm.services import task_notices
from tests.factories import CompanyFactory, DealFactory, UserFactory

PDF = b"%PDF-1.4\n%%EOF\n"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def people(db):
    return {
        "manager": UserFactory(roles=[Role.SALES_MANAGER]),
        "other": UserFactory(roles=[Role.SALES_MANAGER]),
        "clerk": UserFactory(roles=[Role.CLERK]),
        "admin": UserFactory(roles=[Role.ADMINISTRATOR]),
    }


def ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_a_manager_lists_only_his_deals_filtered_by_pipeline_stage_and_company(people):
    manager = people["manager"]
    romashka = CompanyFactory()
    feedback = DealFactory(responsible=manager, stage=ContractStage.FEEDBACK, company=romashka)
    proposal = DealFactory(responsible=manager, stage=ContractStage.PROPOSAL)
    regular = DealFactory(responsible=manager, pipeline="regular", stage="invoice_forming")
    DealFactory(responsible=people["other"], stage=ContractStage.FEEDBACK, company=romashka)
    api = client_for(manager)

    assert set(ids(api.get("/api/v1/deals/"))) == {feedback.pk, proposal.pk, regular.pk}
    assert ids(api.get("/api/v1/deals/?pipeline=regular")) == [regular.pk]
    assert set(ids(api.get("/api/v1/deals/?stage=feedback,proposal"))) == {feedback.pk, proposal.pk}
    assert ids(api.get(f"/api/v1/deals/?company={romashka.pk}")) == [feedback.pk]


def test_someone_elses_deal_is_not_found_and_a_read_only_role_may_not_change_one(people):
    deal = DealFactory(responsible=people["manager"], stage=ContractStage.FEEDBACK)

    assert client_for(people["other"]).get(f"/api/v1/deals/{deal.pk}/").status_code == 404
    clerk = client_for(people["clerk"])
    assert clerk.get(f"/api/v1/deals/{deal.pk}/").status_code == 200
    assert clerk.patch(f"/api/v1/deals/{deal.pk}/", {"amount": "1"}, format="json").status_code == 403
    response = clerk.post(f"/api/v1/deals/{deal.pk}/move/", {"to": "contract"}, format="json")
    assert response.status_code == 403
    assert Deal.objects.get(pk=deal.pk).stage == ContractStage.FEEDBACK


def test_move_answers_200_with_the_deal_or_409_with_the_reason_and_the_allowed_moves(people):
    deal = DealFactory(responsible=people["manager"], stage=ContractStage.CONTRACT)
    api = client_for(people["manager"])

    refused = api.post(f"/api/v1/deals/{deal.pk}/move/", {"to": "awaiting_payment"}, format="json")
    assert refused.status_code == 409
    assert "awaiting_payment" in refused.json()["allowed_moves"]
    assert "«" in refused.json()["detail"]

    api.patch(f"/api/v1/deals/{deal.pk}/", {"contract_date": "2026-11-20"}, format="json")
    moved = api.post(f"/api/v1/deals/{deal.pk}/move/", {"to": "awaiting_payment"}, format="json")
    assert moved.status_code == 200
    assert moved.json()["stage"] == "awaiting_payment"
    assert "paid" in moved.json()["allowed_moves"]


def test_payment_received_moves_a_deal_waiting_for_payment_to_paid(people):
    deal = DealFactory(
        responsible=people["manager"], stage=ContractStage.AWAITING_PAYMENT, contract_date=datetime.date(2026, 11, 1)
    )

    response = client_for(people["manager"]).patch(
        f"/api/v1/deals/{deal.pk}/", {"payment_received": True}, format="json"
    )

    assert response.status_code == 200, response.content
    deal.refresh_from_db()
    assert (deal.stage, deal.payment_received) == (ContractStage.PAID, True)


def test_files_are_checked_by_content_and_size(people):
    deal = DealFactory(responsible=people["manager"], stage=ContractStage.PROPOSAL)
    api = client_for(people["manager"])
    url = f"/api/v1/deals/{deal.pk}/proposal-file/"

    disguised = api.post(url, {"file": SimpleUploadedFile("kp.pdf", b"MZ\x90\x00 a program")}, format="multipart")
    assert disguised.status_code == 400 and "kp.pdf" in disguised.json()["file"][0]
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * (20 * 1024 * 1024))
    assert api.post(url, {"file": big}, format="multipart").status_code == 400

    ok = api.post(url, {"file": SimpleUploadedFile("kp.pdf", PDF)}, format="multipart")
    assert ok.status_code == 200, ok.content
    link = ok.json()["proposal_file"]
    assert link == f"http://testserver/crm/deals/{deal.pk}/files/proposal/"


def test_a_documents_api_link_downloads_it_for_a_reader_only(people, client):
    """issue 12 §9: the API gave /media/… paths, which answer 404 (uploads are not public media)."""
    deal = DealFactory(responsible=people["manager"], stage=ContractStage.PROPOSAL)
    api = client_for(people["manager"])
    api.post(f"/api/v1/deals/{deal.pk}/proposal-file/", {"file": SimpleUploadedFile("kp.pdf", PDF)}, format="multipart")
    link = api.get(f"/api/v1/deals/{deal.pk}/").json()["proposal_file"]
    assert "/media/" not in link
    client.force_login(people["manager"])
    download = client.get(link)
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    client.force_login(people["other"])
    assert client.get(link).status_code == 404


def test_the_clerk_with_the_contract_task_may_attach_the_contract_but_not_the_proposal(people):
    deal = DealFactory(responsible=people["manager"], stage=ContractStage.CONTRACT)
    Task.objects.create(title="Договор", kind=Task.Kind.CONTRACT, deal=deal, responsible=people["clerk"])
    clerk = client_for(people["clerk"])

    contract = clerk.post(
        f"/api/v1/deals/{deal.pk}/contract-file/", {"file": SimpleUploadedFile("d.pdf", PDF)}, format="multipart"
    )
    proposal = clerk.post(
        f"/api/v1/deals/{deal.pk}/proposal-file/", {"file": SimpleUploadedFile("k.pdf", PDF)}, format="multipart"
    )

    assert contract.status_code == 200, contract.content
    assert proposal.status_code == 403


def test_contracts_are_listed_for_those_who_may_read_their_deals(people):
    company = CompanyFactory()
    mine = Contract.objects.create(
        number="2026-00001", company=company, responsible=people["manager"], signed_on=datetime.date(2026, 1, 1)
    )
    Contract.objects.create(number="2026-00002", responsible=people["other"], signed_on=datetime.date(2026, 1, 1))

    assert ids(client_for(people["manager"]).get("/api/v1/contracts/")) == [mine.pk]
    assert len(ids(client_for(people["admin"]).get("/api/v1/contracts/"))) == 2
    assert ids(client_for(people["admin"]).get(f"/api/v1/contracts/?company={company.pk}")) == [mine.pk]


def test_lost_reasons_are_listed(people):
    response = client_for(people["manager"]).get("/api/v1/deals/lost-reasons/")
    assert response.status_code == 200 and "Дорого" in response.json()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_moves_of_one_deal_one_wins_and_the_robots_run_once():
    manager = UserFactory(roles=[Role.SALES_MANAGER])
    deal = DealFactory(responsible=manager, stage=ContractStage.FEEDBACK)
    barrier = threading.Barrier(2)
    outcomes = []

    def drag(to, reason):
        try:
            mine = Deal.objects.get(pk=deal.pk)
            barrier.wait()
            move(mine, to, by=manager, reason=reason)
            outcomes.append("moved")
        except MoveRefused as refused:
            outcomes.append(refused.message)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=drag, args=(ContractStage.CONTRACT, "")),
        threading.Thread(target=drag, args=(ContractStage.SUSPENDED, "Клиент в отпуске")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(outcomes) == 2 and outcomes.count("moved") == 1  # the other got the conflict's message
    deal.refresh_from_db()
    assert deal.stage in (ContractStage.CONTRACT, ContractStage.SUSPENDED)
    assert deal.stage_entry_count == 1
    contract_tasks = Task.objects.filter(deal=deal, kind=Task.Kind.CONTRACT).count()
    assert contract_tasks == (1 if deal.stage == ContractStage.CONTRACT else 0)
    # Nothing scheduled twice: what is left pending is the contract task's one deadline notice.
    pending = list(ScheduledAction.objects.filter(status="pending").values_list("action", flat=True))
    assert pending == [task_notices.OVERDUE] * contract_tasks
