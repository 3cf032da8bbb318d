"""Companies and contacts: lists, search, cards with what is linked to them, forms."""

import re

import pytest
from django.urls import reverse

from admin24.models import AccessRule
from admin24.roles import Role
from crm.models import Company, Contact
from tests.factories import CompanyFactory, ContactFactory, DealFactory, LeadFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(db):
    return UserFactory(roles=[Role.SALES_MANAGER])


def test_the_company_list_searches_by_name_and_inn(client, manager):
    CompanyFactory(name="ООО «Ромашка»", inn="7707083893")
    CompanyFactory(name="АО «Василёк»")
    client.force_login(manager)

    by_name = client.get(reverse("crm:company-list"), {"q": "Ромаш"})
    by_inn = client.get(reverse("crm:company-list"), {"q": "7707083893"})

    assert [c.name for c in by_name.context["page"]] == ["ООО «Ромашка»"]
    assert [c.name for c in by_inn.context["page"]] == ["ООО «Ромашка»"]


def test_the_mine_filter(client, manager):
    CompanyFactory(name="Моя", responsible=manager)
    CompanyFactory(name="Общая")
    client.force_login(manager)

    assert [c.name for c in client.get(reverse("crm:company-list"), {"mine": "1"}).context["page"]] == ["Моя"]


def test_the_company_card_shows_its_contacts_and_the_leads_and_deals_i_may_see(client, manager):
    company = CompanyFactory(name="ООО «Клён»")
    ContactFactory(full_name="Клёнов Кирилл", company=company, emails=["k@klen.example"])
    LeadFactory(title="Моя заявка Клёна", company=company, responsible=manager)
    LeadFactory(title="Чужая заявка Клёна", company=company, responsible=UserFactory(roles=[Role.SALES_MANAGER]))
    DealFactory(title="Договор с Клёном", company=company, responsible=manager)
    client.force_login(manager)

    body = client.get(reverse("crm:company-detail", args=[company.pk])).content.decode()

    assert "Клёнов Кирилл" in body and "k@klen.example" in body
    assert "Моя заявка Клёна" in body and "Чужая заявка Клёна" not in body
    assert "Договор с Клёном" in body


def test_a_card_hides_sections_without_data(client, manager):
    company = CompanyFactory(name="Пустая")
    client.force_login(manager)

    response = client.get(reverse("crm:company-detail", args=[company.pk]))

    assert response.context["leads"] == [] and response.context["deals"] == []
    assert not re.search(r"/crm/leads/\d+/", response.content.decode())


def test_without_read_rights_a_company_does_not_exist(client, manager):
    AccessRule.objects.filter(role__name=Role.SALES_MANAGER, entity="company", action="read").update(level=10)
    company = CompanyFactory(responsible=UserFactory())
    client.force_login(manager)

    assert client.get(reverse("crm:company-detail", args=[company.pk])).status_code == 404
    assert list(client.get(reverse("crm:company-list")).context["page"]) == []


def test_creating_and_editing_a_company(client, manager):
    client.force_login(manager)

    response = client.post(reverse("crm:company-create"), {"name": "ООО «Ясень»", "inn": "7707083893"})

    company = Company.objects.get()
    assert response.url == reverse("crm:company-detail", args=[company.pk])
    assert company.responsible == manager
    client.post(reverse("crm:company-edit", args=[company.pk]), {"name": "ООО «Ясень и К»", "inn": "7707083893"})
    company.refresh_from_db()
    assert company.name == "ООО «Ясень и К»"


def test_a_wrong_inn_is_refused_with_a_message(client, manager):
    client.force_login(manager)

    response = client.post(reverse("crm:company-create"), {"name": "ООО «Ошибка»", "inn": "1234567890"})

    assert response.status_code == 200
    assert response.context["form"].errors["inn"]
    assert not Company.objects.exists()


def test_a_manager_may_not_edit_someone_elses_company(client, manager):
    company = CompanyFactory(responsible=UserFactory())
    client.force_login(manager)

    assert client.get(reverse("crm:company-edit", args=[company.pk])).status_code == 403


def test_a_contact_keeps_its_emails_and_phones_in_the_order_typed(client, manager):
    client.force_login(manager)

    client.post(
        reverse("crm:contact-create"),
        {
            "full_name": "Павлова Полина",
            "email_lines": "billing@pavlova.example\nPolina@Pavlova.example\n",
            "phone_lines": "+7 (999) 111-22-33\n8 495 000-00-00",
        },
    )

    contact = Contact.objects.get()
    assert contact.first_email == "billing@pavlova.example"
    assert [e.email for e in contact.emails.all()] == ["billing@pavlova.example", "Polina@Pavlova.example"]
    assert [p.phone for p in contact.phones.all()] == ["+7 (999) 111-22-33", "8 495 000-00-00"]

    client.post(
        reverse("crm:contact-edit", args=[contact.pk]),
        {
            "full_name": "Павлова Полина",
            "email_lines": "Polina@Pavlova.example\nbilling@pavlova.example",
            "phone_lines": "",
        },
    )
    contact = Contact.objects.get()
    assert contact.first_email == "Polina@Pavlova.example"
    assert not contact.phones.exists()


def test_a_bad_email_line_is_named_in_the_error(client, manager):
    client.force_login(manager)

    response = client.post(
        reverse("crm:contact-create"), {"full_name": "Кто-то", "email_lines": "ok@example.org\nне почта"}
    )

    assert "не почта" in str(response.context["form"].errors["email_lines"])
    assert not Contact.objects.exists()


def test_the_contact_list_finds_a_phone_in_any_format(client, manager):
    ContactFactory(full_name="Звонарёв", phones=["+7 (999) 123-45-67"])
    ContactFactory(full_name="Другой", phones=["+7 (999) 000-00-00"])
    client.force_login(manager)

    response = client.get(reverse("crm:contact-list"), {"q": "89991234567"})

    assert [c.full_name for c in response.context["page"]] == ["Звонарёв"]


def test_the_contact_card_flags_a_possible_duplicate(client, manager):
    original = ContactFactory(full_name="Оригинал", emails=["same@example.org"])
    copy = ContactFactory(full_name="Копия", duplicate_of=original)
    client.force_login(manager)

    body = client.get(reverse("crm:contact-detail", args=[copy.pk])).content.decode()

    assert reverse("crm:contact-detail", args=[original.pk]) in body


def test_the_company_list_counts_no_further_than_a_thousand_and_a_search_counts_exactly(client, manager):
    Company.objects.bulk_create(Company(name=f"Компания {i:04}") for i in range(1003))
    CompanyFactory(name="ООО «Ромашка»")
    client.force_login(manager)
    page = client.get(reverse("crm:company-list")).content.decode()
    assert "Найдено: 1\xa0000+" in page and "Страница 1<" in page and "page=2" in page
    found = client.get(reverse("crm:company-list"), {"q": "Ромаш"}).content.decode()
    assert "Найдено: 1<" in found and "page=2" not in found
