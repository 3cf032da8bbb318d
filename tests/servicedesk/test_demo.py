import pytest
from django.core.management import call_command

from admin24 import timers
from servicedesk.models import DeskSettings, Service, Ticket, TicketStatus
from tests.told import emails

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
    assert desk.telegram_token == ""  # Telegram stays off until someone sets up a bot
    statuses = set(Ticket.objects.values_list("status", flat=True))
    assert statuses == {s.value for s in TicketStatus}
    overdue = Ticket.objects.filter(resolution_breached=True)
    assert overdue.count() >= 2
    assert all(t.is_overdue for t in overdue)
    assert Ticket.objects.filter(contact__isnull=False).count() == Ticket.objects.count()


def test_seed_demo_uses_the_address_the_app_runs_at(settings):
    from notifications.models import OutboxMessage

    settings.DEBUG = True
    settings.SITE_URL = "http://127.0.0.1:8123"
    call_command("seed_demo")

    origins = DeskSettings.load().origins
    assert origins == ["http://localhost:8123", "http://127.0.0.1:8123"]
    links = [m.body_text for m in emails(OutboxMessage.objects.filter(template__startswith="servicedesk/"))]
    assert links and all("http://127.0.0.1:8123/desk/" in text for text in links)
    assert not any(":8000" in text for text in links)


@pytest.mark.parametrize(
    ("site", "expected"), [("http://localhost:8000", []), ("https://desk.example", ["https://desk.example"])]
)
def test_a_production_seed_lets_no_local_page_frame_the_form(settings, site, expected):
    """issue 12 §9: `seed_demo --allow-production` with DEBUG off adds no localhost framing origin."""
    settings.DEBUG = False
    settings.SITE_URL = site
    call_command("seed_demo", allow_production=True)
    assert DeskSettings.load().origins == expected
