"""Issue 12 §7: what a manager may not read is neither offered nor accepted as a link.

With the company and contact rights narrowed to «own», the deal card, the contact form and the
API offer and take only the manager's own companies and contacts: another's id is "does not
exist" (400), as an unknown one, never stored.
"""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from admin24.models import AccessRule
from admin24.roles import Role
from crm.models import Contact, Deal, Task
from tests.factories import CompanyFactory, ContactFactory, DealFactory, LeadFactory, UserFactory

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def rows(db):
    AccessRule.objects.filter(role__name=Role.SALES_MANAGER, entity__in=["company", "contact"], action="read").update(
        level=10
    )
    me, other = UserFactory(roles=[Role.SALES_MANAGER]), UserFactory(roles=[Role.SALES_MANAGER])
    mine_company = CompanyFactory(name="ООО «Моя»", responsible=me)
    foreign_company = CompanyFactory(name="ООО «Чужая»", responsible=other)
    return {
        "me": me,
        "mine_company": mine_company,
        "foreign_company": foreign_company,
        "mine_contact": ContactFactory(full_name="Мой Клиент", responsible=me),
        "foreign_contact": ContactFactory(full_name="Чужой Клиент", responsible=other),
        "deal": DealFactory(responsible=me, company=mine_company),
        "foreign_lead": LeadFactory(responsible=other),
    }


def test_the_deal_card_and_the_contact_form_offer_only_readable_companies_and_contacts(client, rows):
    client.force_login(rows["me"])
    card = client.get(reverse("crm:deal-detail", args=[rows["deal"].pk])).content.decode()
    assert "ООО «Моя»" in card and "Мой Клиент" in card
    assert "ООО «Чужая»" not in card and "Чужой Клиент" not in card
    form = client.get(reverse("crm:contact-create")).content.decode()
    assert "ООО «Моя»" in form and "ООО «Чужая»" not in form


def test_the_contact_form_refuses_a_foreign_company_posted_anyway(client, rows):
    client.force_login(rows["me"])
    response = client.post(
        reverse("crm:contact-create"),
        {"full_name": "Новый", "company": rows["foreign_company"].pk, "responsible": rows["me"].pk},
    )
    assert response.status_code == 200  # the form again, with the error
    assert "Select a valid choice" in response.content.decode() or "Выберите корректный" in response.content.decode()
    assert not Contact.objects.filter(full_name="Новый").exists()


def test_a_card_holding_a_foreign_company_already_saves_unchanged(client, rows):
    deal = rows["deal"]
    Deal.objects.filter(pk=deal.pk).update(company=rows["foreign_company"])
    response = api(rows["me"]).patch(
        f"/api/v1/deals/{deal.pk}/", {"company": rows["foreign_company"].pk, "title": "Новое имя"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert Deal.objects.get(pk=deal.pk).title == "Новое имя"


def test_the_api_answers_does_not_exist_for_a_foreign_company_contact_or_lead(rows):
    client = api(rows["me"])
    deal = rows["deal"]
    for field, foreign in (("company", rows["foreign_company"]), ("contact", rows["foreign_contact"])):
        response = client.patch(f"/api/v1/deals/{deal.pk}/", {field: foreign.pk}, format="json")
        assert response.status_code == 400, response.content
        assert "does not exist" in response.json()[field][0] or "не существует" in response.json()[field][0]
    deal.refresh_from_db()
    assert deal.company == rows["mine_company"] and deal.contact is None
    assert (
        client.patch(f"/api/v1/deals/{deal.pk}/", {"contact": rows["mine_contact"].pk}, format="json").status_code
        == 200
    )

    response = client.post(
        "/api/v1/contacts/", {"full_name": "Новый", "company": rows["foreign_company"].pk}, format="json"
    )
    assert response.status_code == 400 and "company" in response.json()
    assert not Contact.objects.filter(full_name="Новый").exists()

    response = client.post(
        "/api/v1/tasks/",
        {"title": "Позвонить", "lead": rows["foreign_lead"].pk, "deadline": "2030-01-01T10:00:00Z"},
        format="json",
    )
    assert response.status_code == 400 and "lead" in response.json()
    assert not Task.objects.filter(title="Позвонить").exists()


def test_a_duplicate_of_another_managers_lead_says_only_that_it_exists_and_whom_to_ask(client):
    from crm.services.leads import lead_create

    me = UserFactory(roles=[Role.SALES_MANAGER])
    other = UserFactory(roles=[Role.SALES_MANAGER], first_name="Борис", last_name="Бориславский")
    theirs = lead_create(by=other, title="Секретная сделка Бориса", phone="+7 916 111-22-33")
    mine = lead_create(by=me, title="Моя заявка", phone="8 (916) 111 22 33")
    assert mine.duplicate_of == theirs  # the check still finds it

    client.force_login(me)
    page = client.get(reverse("crm:lead-detail", args=[mine.pk])).content.decode()
    assert "Секретная сделка Бориса" not in page
    assert reverse("crm:lead-detail", args=[theirs.pk]) not in page
    assert "Бориславский Борис" in page and "спросите ответственного" in page
    assert api(me).get(f"/api/v1/leads/{mine.pk}/").json()["duplicate_of"] is None
    assert api(me).get(f"/api/v1/leads/{mine.pk}/").json()["is_possible_duplicate"] is True

    # Who may read the original sees it.
    head = UserFactory(roles=[Role.ADMINISTRATOR])
    client.force_login(head)
    page = client.get(reverse("crm:lead-detail", args=[mine.pk])).content.decode()
    assert "Секретная сделка Бориса" in page and reverse("crm:lead-detail", args=[theirs.pk]) in page
    assert api(head).get(f"/api/v1/leads/{mine.pk}/").json()["duplicate_of"] == theirs.pk


def test_a_contact_duplicating_one_the_user_may_not_read_is_not_named(client, rows):
    from crm.services.directory import contact_create

    other = rows["foreign_contact"].responsible
    original = contact_create(by=other, full_name="Тайный Клиент", emails=["secret@example.org"])
    copy = contact_create(by=rows["me"], full_name="Мой дубль", emails=["SECRET@example.org"])
    assert copy.duplicate_of == original
    client.force_login(rows["me"])
    page = client.get(reverse("crm:contact-detail", args=[copy.pk])).content.decode()
    assert "Тайный Клиент" not in page and str(other) in page
    assert api(rows["me"]).get(f"/api/v1/contacts/{copy.pk}/").json()["duplicate_of"] is None
