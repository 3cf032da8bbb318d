"""The walkthrough's smaller defects (issue 13 §7), kept from coming back."""

import pytest

from admin24.roles import Role
from crm.models import Task
from servicedesk import services
from tests.factories import DealFactory, LeadFactory, ServiceFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_my_tasks_has_a_heading_and_links_deals_as_it_links_leads(client):
    manager = UserFactory(roles=[Role.SALES_MANAGER])
    deal = DealFactory(title="Договор с «Ромашкой»", responsible=manager)
    lead = LeadFactory(title="Звонок из «Вектора»", responsible=manager)
    TaskFactory(title="Подготовить КП", deal=deal, responsible=manager, status=Task.Status.OPEN)
    TaskFactory(title="Позвонить", lead=lead, responsible=manager, status=Task.Status.OPEN)
    client.force_login(manager)

    page = client.get("/crm/tasks/").content.decode()

    assert '<h1 class="h4">Мои задачи</h1>' in page
    assert f'href="/crm/deals/{deal.pk}/">Договор с «Ромашкой»</a>' in page
    assert f'href="/crm/leads/{lead.pk}/">Звонок из «Вектора»</a>' in page


def test_the_defer_box_and_the_resume_button_say_different_things(client):
    engineer = UserFactory(roles=[Role.SUPPORT_ENGINEER])
    ticket = services.create_ticket(service=ServiceFactory(responsible=engineer), subject="Почта", email="c@c.ru")
    services.ticket_start(ticket=ticket, by=engineer)
    client.force_login(engineer)

    in_work = client.get(f"/servicedesk/tickets/{ticket.pk}/").content.decode()
    services.ticket_defer(ticket=ticket, by=engineer)
    deferred = client.get(f"/servicedesk/tickets/{ticket.pk}/").content.decode()

    assert "Отложить до" in in_work and "Вернуть в работу" not in in_work
    assert 'data-action="resume">Вернуть в работу<' in deferred
