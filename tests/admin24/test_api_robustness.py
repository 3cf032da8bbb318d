"""Malformed, hostile and oversized API input gets a clear 4xx and saves nothing.

Each case here was a server error found by fuzzing the OpenAPI schema with schemathesis.
"""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from admin24.roles import Role
from crm.models import Company, Contract, Deal, Lead, Task
from servicedesk.models import Ticket
from tests.factories import CompanyFactory, DealFactory, UserFactory

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


@pytest.fixture
def admin():
    return UserFactory(roles=[Role.ADMINISTRATOR])


@pytest.mark.parametrize("path", ["/api/v1/public/leads/", "/api/v1/public/tickets/"])
@pytest.mark.parametrize("body", ["[]", '["name"]', '"a lead"', "42", "null", "true"])
def test_a_public_body_that_is_not_an_object_is_refused(path, body):
    response = APIClient(HTTP_ACCEPT_LANGUAGE="en").post(path, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Send the fields as one object."]}
    assert Lead.objects.count() == 0
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize(
    ("path", "name", "value"),
    [
        ("/api/v1/tickets/", "assignee", "99999999999999999999"),
        ("/api/v1/tickets/", "created_to", "2027-02-30"),
        ("/api/v1/tickets/", "q", "принтер\x00"),
        ("/api/v1/leads/", "created_from", "2027-13-01"),
        ("/api/v1/leads/", "responsible", "²"),
        ("/api/v1/leads/", "stage", "new,\x00"),
        ("/api/v1/deals/", "company", "-1"),
        ("/api/v1/contacts/", "phone", "+7\x00"),
        ("/api/v1/companies/", "q", "x" * 201),
        ("/api/v1/tasks/", "deal", "null"),
        ("/api/v1/contracts/", "company", "1e3"),
    ],
)
def test_a_malformed_list_filter_names_the_parameter(admin, path, name, value):
    response = client_for(admin).get(path, {name: value})
    assert response.status_code == 400
    assert list(response.json()) == [name]


def test_a_well_formed_filter_still_filters(admin):
    response = client_for(admin).get("/api/v1/leads/", {"responsible": str(admin.pk), "created_from": "2027-02-28"})
    assert response.status_code == 200


@pytest.mark.parametrize("pk", ["abc", "null", "1.5", "99999999999999999999"])
def test_an_upload_to_a_card_that_cannot_exist_is_404(admin, pk):
    upload = SimpleUploadedFile("kp.pdf", b"%PDF-1.4\n", content_type="application/pdf")
    response = client_for(admin).post(f"/api/v1/deals/{pk}/proposal-file/", {"file": upload}, format="multipart")
    assert response.status_code == 404


def test_an_upload_is_checked_against_the_card_before_the_body(admin):
    deal = DealFactory(responsible=admin)
    outsider = client_for(UserFactory())
    assert outsider.post(f"/api/v1/deals/{deal.pk}/proposal-file/", {}, format="multipart").status_code == 404
    assert client_for(admin).post(f"/api/v1/deals/{deal.pk}/proposal-file/", {}, format="multipart").status_code == 400
    deal.refresh_from_db()
    assert not deal.proposal_file
    assert Deal.objects.count() == 1


def test_a_lead_whose_name_fills_the_column_gets_its_call_task():
    manager = UserFactory(roles=[Role.SALES_MANAGER])
    response = client_for(manager).post(
        "/api/v1/leads/", {"contact_name": "Я" * 300, "phone": "+7 999 123-45-67", "source": "email"}, format="json"
    )
    assert response.status_code == 201, response.content
    (task,) = Task.objects.filter(lead_id=response.json()["id"])
    assert len(task.title) == 300  # stored in the site's language for search and the admin
    assert task.title.endswith("…")
    shown = client_for(manager).get(f"/api/v1/tasks/{task.pk}/").json()["title"]
    assert shown.startswith("Call ЯЯЯ")  # and read in the reader's language


def test_a_company_with_deals_is_not_deleted_and_the_answer_says_why(admin):
    deal = DealFactory(responsible=admin, company=CompanyFactory(responsible=admin))
    response = client_for(admin).delete(f"/api/v1/companies/{deal.company_id}/")
    assert response.status_code == 409
    assert "deals" in response.json()["detail"]
    assert Company.objects.filter(pk=deal.company_id).exists()


@pytest.mark.parametrize("ends_on", ["9999-12-31", "0001-01-01"])
def test_a_contract_end_date_out_of_any_plan_is_refused(admin, ends_on):
    contract = Contract.objects.create(number="A-7", responsible=admin, signed_on=datetime.date(2027, 1, 15))
    response = client_for(admin).post(f"/api/v1/contracts/{contract.pk}/end-date/", {"ends_on": ends_on}, format="json")
    assert response.status_code == 400
    assert "between 1 Jan 1990 and 31 Dec 2099" in str(response.json())  # English: one date format per language
    contract.refresh_from_db()
    assert contract.ends_on is None


def test_a_deal_contract_date_in_the_year_9999_is_refused_on_its_field(admin):
    deal = DealFactory(responsible=admin)
    response = client_for(admin).patch(
        f"/api/v1/deals/{deal.pk}/", {"contract_date": "2027-01-15", "contract_end_date": "9999-12-31"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["contract_end_date"]
    deal.refresh_from_db()
    assert deal.contract_date is None


@pytest.mark.parametrize("q", ["²", "#²", "#99999999999999999999"])
def test_a_ticket_search_for_odd_digits_finds_nothing_rather_than_failing(admin, q):
    response = client_for(admin).get("/api/v1/tickets/", {"q": q})
    assert response.status_code == 200
    assert response.json()["results"] == []
