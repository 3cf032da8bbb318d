"""The public «request subscription support» form: standalone, embedded, guarded."""

import pytest
from django.urls import reverse

from admin24.roles import Role
from crm.models import Lead, LeadSource
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FORM = reverse("crm:public-lead-form")
GOOD = {
    "name": "Кузнецова Ксения",
    "company": "ООО «Кузня»",
    "phone": "+7 (912) 000-11-22",
    "email": "k@kuznya.example",
    "computers": "15",
    "servers": "1",
    "offices": "2",
    "message": "Ищем приходящего админа",
    "consent": "on",
}


@pytest.fixture(autouse=True)
def sales_manager(db):
    return UserFactory(roles=[Role.SALES_MANAGER])


def test_a_visitor_sends_a_request_and_it_becomes_a_lead(client, sales_manager):
    page = client.get(FORM)
    assert page.status_code == 200

    response = client.post(FORM, GOOD)

    assert response.status_code == 200
    lead = Lead.objects.get()
    assert lead.source == LeadSource.WEB_FORM
    assert (lead.contact_name, lead.company_name, lead.computers, lead.offices) == (
        "Кузнецова Ксения",
        "ООО «Кузня»",
        15,
        2,
    )
    assert lead.responsible == sales_manager


def test_the_form_can_be_shown_inside_another_site(client):
    response = client.get(FORM, {"embed": "1"})

    assert "X-Frame-Options" not in response
    assert 'action="/crm/request/?embed=1"' in response.content.decode()


def test_missing_consent_and_contact_details_are_reported(client):
    response = client.post(FORM, {"name": "Аноним"})

    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["consent"] and form.non_field_errors()
    assert not Lead.objects.exists()


def test_a_bot_filling_the_hidden_field_is_thanked_and_ignored(client):
    response = client.post(FORM, {**GOOD, "website": "http://spam.example"})

    assert response.status_code == 200
    assert not Lead.objects.exists()


def test_too_many_requests_from_one_address_are_refused(client):
    statuses = [client.post(FORM, {**GOOD, "email": f"k{i}@kuznya.example"}).status_code for i in range(11)]

    assert statuses[:10] == [200] * 10
    assert statuses[10] == 429
    assert Lead.objects.count() == 10


def test_staff_get_the_link_and_the_embed_code(client, sales_manager):
    client.force_login(sales_manager)

    body = client.get(reverse("crm:public-lead-form-embed")).content.decode()

    assert "/crm/request/?embed=1" in body and "&lt;iframe" in body


def test_the_embed_code_page_is_for_staff_only(client):
    assert client.get(reverse("crm:public-lead-form-embed")).status_code == 302
