import pytest
from django.core.management import call_command

from admin24 import timers
from servicedesk.models import DeskSettings, Service, Ticket, TicketStatus

pytestmark = pytest.mark.django_db


def test_seed_demo_fills_the_service_desk(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    timers.run_due()

    services = Service.objects.all()
    assert services.count() >= 3
    assert {s.responsible.username for s in services} == {"support", "support_head"}
    desk = DeskSettings.load()
    assert desk.legal_name and desk.inn and desk.header_company_name
    statuses = set(Ticket.objects.values_list("status", flat=True))
    assert statuses == {s.value for s in TicketStatus}
    overdue = Ticket.objects.filter(resolution_breached=True)
    assert overdue.count() >= 2
    assert all(t.is_overdue for t in overdue)
    assert Ticket.objects.filter(contact__isnull=False).count() == Ticket.objects.count()
