"""Input that used to end as a 500: NUL characters, JSON nested without end or without limit, wrong JSON types.

A NUL is refused by one middleware for every query and form parameter (PostgreSQL cannot store
or even compare it); JSON bodies go through one parser that bounds their size and depth; the
public intake APIs check JSON types before the forms coerce them.
"""

import json

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from admin24.roles import Role
from crm.models import Lead
from servicedesk.models import DeskSettings, Ticket
from tests.factories import CompanyFactory, ContactFactory, ServiceFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return UserFactory(roles=[Role.SALES_MANAGER])


@pytest.fixture
def staff(manager):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(manager)
    return client


def api_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


# --- NUL --------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["crm:company-list", "crm:contact-list", "crm:leads_board", "servicedesk:board"])
def test_a_nul_in_a_search_is_a_clear_400_on_every_page(staff, page):
    CompanyFactory(name="ООО «Ромашка»")
    response = staff.get(reverse(page), {"q": "Ром\x00"})
    assert response.status_code == 400
    assert "null character" in response.content.decode()
    assert "“q”" in response.content.decode()


def test_a_nul_in_the_company_autofill_is_a_400(client):
    desk = DeskSettings.load()
    company = CompanyFactory(name="ООО «Ромашка»")
    ContactFactory(company=company, emails=["olga@romashka.ru"])
    response = client.get(reverse("desk:company_autofill", args=[desk.form_key]), {"email": "olga@romashka.ru\x00"})
    assert response.status_code == 400


def test_a_nul_in_a_posted_field_is_a_400_and_nothing_is_saved(staff):
    response = staff.post(reverse("crm:company-create"), {"name": "ООО\x00«Ромашка»"})
    assert response.status_code == 400
    assert "“name”" in response.content.decode()
    assert not CompanyFactory._meta.model.objects.exists()


def test_a_nul_in_a_parameter_name_is_refused_too(staff):
    assert staff.get(reverse("crm:company-list") + "?a%00b=1").status_code == 400


def test_the_api_answers_a_nul_in_its_own_error_shape(manager):
    response = api_for(manager).get("/api/v1/companies/", {"q": "x\x00"})
    assert response.status_code == 400
    assert response.json() == {"q": ["Null characters are not allowed."]}


# --- JSON bodies -------------------------------------------------------------------------------


DEEP = 100_000


@pytest.mark.parametrize(
    "body",
    [
        "[" * DEEP + "]" * DEEP,
        '{"name":' * DEEP + "1" + "}" * DEEP,
        '{"name": ' + "[" * 33 + '"deep"' + "]" * 33 + "}",
    ],
    ids=["list", "object", "thirty-three"],
)
@pytest.mark.parametrize("anonymous", [True, False], ids=["public", "staff"])
def test_json_nested_too_deep_is_a_400(manager, body, anonymous):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en") if anonymous else api_for(manager)
    path = "/api/v1/public/tickets/" if anonymous else "/api/v1/leads/"
    response = client.post(path, body, content_type="application/json")
    assert response.status_code == 400
    assert "nested" in response.json()["detail"]
    assert not Lead.objects.exists() and not Ticket.objects.exists()


def test_a_json_body_over_the_size_limit_is_refused_unread(manager, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"title": "Заявка", "email": "a@b.ru", "client_request": "x" * 2000})
    response = api_for(manager).post("/api/v1/leads/", body, content_type="application/json")
    assert response.status_code == 400
    assert "larger than" in response.json()["detail"]
    assert not Lead.objects.exists()


def test_ordinary_json_still_works(manager):
    response = api_for(manager).post(
        "/api/v1/leads/", {"title": "Заявка", "email": "a@b.ru", "qualification": []}, format="json"
    )
    assert response.status_code == 201, response.content


# --- JSON types on the public APIs ---------------------------------------------------------------


def public_ticket(**changes):
    desk = DeskSettings.load()
    service = ServiceFactory()
    body = {
        "form_key": desk.form_key,
        "service": service.pk,
        "name": "Анна",
        "email": "anna@client.ru",
        "subject": "Сломалась мышь",
        "description": "Совсем.",
        "consent_desk": True,
        "consent_company": True,
    }
    body.update(changes)
    return APIClient(HTTP_ACCEPT_LANGUAGE="en").post("/api/v1/public/tickets/", body, format="json")


def public_lead(**changes):
    UserFactory(roles=[Role.SALES_MANAGER])
    body = {"name": "Ольга", "email": "olga@example.org", "computers": 3, "consent": True}
    body.update(changes)
    return APIClient(HTTP_ACCEPT_LANGUAGE="en").post("/api/v1/public/leads/", body, format="json")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ["a", "b"]),
        ("name", {"first": "Анна"}),
        ("name", 42),
        ("subject", True),
        ("consent_desk", "yes"),
        ("consent_company", 1),
        ("service", True),
        ("service", [1]),
        ("email", ["anna@client.ru"]),
    ],
)
def test_the_public_ticket_api_refuses_a_value_of_the_wrong_json_type(field, value):
    response = public_ticket(**{field: value})
    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ["a", "b"]),
        ("consent", "yes"),
        ("consent", "true"),
        ("computers", "5"),
        ("computers", True),
        ("computers", 2.5),
        ("message", {"text": "hi"}),
    ],
)
def test_the_public_lead_api_refuses_a_value_of_the_wrong_json_type(field, value):
    response = public_lead(**{field: value})
    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]
    assert not Lead.objects.exists()


def test_the_public_apis_still_take_a_service_id_as_text_and_nulls_as_absent():
    assert public_ticket(service=str(ServiceFactory().pk), phone=None).status_code == 201
    assert public_lead(computers=None, company=None).status_code == 201
