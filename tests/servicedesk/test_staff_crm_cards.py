"""The CRM company and contact cards list their Service Desk tickets, within the reader's rights."""

import pytest
from django.urls import reverse

from admin24.roles import Role
from crm.models import Company, Contact
from tests.factories import UserFactory

from .staff_helpers import new_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(desk, service):
    return new_ticket(service, subject="Сломался сервер", email="boss@romashka.ru", company="ООО «Ромашка»")


def test_the_company_and_contact_cards_list_their_tickets(client, engineer, ticket):
    company = Company.objects.get(name="ООО «Ромашка»")
    contact = Contact.objects.get(emails__email="boss@romashka.ru")
    client.force_login(engineer)
    for url in (reverse("crm:company-detail", args=[company.pk]), reverse("crm:contact-detail", args=[contact.pk])):
        page = client.get(url).content.decode()
        assert f"#{ticket.number} Сломался сервер" in page
        assert reverse("servicedesk:ticket", args=[ticket.pk]) in page


def test_a_company_with_many_tickets_links_to_all_of_them_in_the_list(client, engineer, desk, service):
    for n in range(21):
        new_ticket(service, subject=f"Заявка {n}", email="boss@romashka.ru", company="ООО «Ромашка»")
    company = Company.objects.get(name="ООО «Ромашка»")
    client.force_login(engineer)
    page = client.get(reverse("crm:company-detail", args=[company.pk])).content.decode()
    link = f"{reverse('servicedesk:list')}?status=all&amp;company={company.pk}"
    assert link in page
    listed = client.get(reverse("servicedesk:list"), {"status": "all", "company": company.pk})
    assert listed.context["page"].paginator.count == 21


def test_who_may_not_read_tickets_sees_no_ticket_section(client, ticket):
    clerk = UserFactory(roles=[Role.CLERK])
    company = Company.objects.get(name="ООО «Ромашка»")
    client.force_login(clerk)
    response = client.get(reverse("crm:company-detail", args=[company.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="tickets"' not in page and "Сломался сервер" not in page
