"""The Service Desk API: access rights, moves 200/409/403, comments, services, the public intake."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from admin24.roles import Role
from notifications.models import OutboxMessage
from servicedesk import services
from servicedesk.models import Ticket, TicketStatus
from servicedesk.services import regenerate_form_key
from tests.factories import ServiceFactory, UserFactory

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def ticket(desk, service):
    return services.create_ticket(service=service, subject="Нет интернета", email="c@client.ru", name="Клиент")


def test_support_engineers_list_tickets_and_see_their_allowed_moves(engineer, ticket):
    response = client_for(engineer).get("/api/v1/tickets/")
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["display_number"] == f"#{ticket.number}"
    assert row["allowed_moves"] == ["in_progress", "deferred", "done"]
    assert row["client_url"].startswith("http")


def test_someone_without_ticket_rights_sees_none(ticket):
    accountant = UserFactory(roles=[Role.ACCOUNTANT])
    client = client_for(accountant)
    assert client.get("/api/v1/tickets/").json()["results"] == []
    assert client.get(f"/api/v1/tickets/{ticket.pk}/").status_code == 404
    assert client.post(f"/api/v1/tickets/{ticket.pk}/move/", {"to": "in_progress"}, format="json").status_code == 404


def test_move_answers_200_with_the_new_representation(engineer, ticket):
    response = client_for(engineer).post(f"/api/v1/tickets/{ticket.pk}/move/", {"to": "in_progress"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "in_progress"
    assert response.json()["allowed_moves"] == ["deferred", "done"]
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.IN_PROGRESS


def test_an_impossible_move_answers_409_with_the_reason_and_the_allowed_targets(engineer, ticket):
    services.ticket_complete(ticket=ticket, by=engineer)
    response = client_for(engineer).post(f"/api/v1/tickets/{ticket.pk}/move/", {"to": "deferred"}, format="json")
    assert response.status_code == 409
    assert response.json()["allowed_moves"] == ["in_progress"]
    assert response.json()["detail"]


def test_a_reader_without_the_edit_right_gets_403(ticket):
    manager = UserFactory(roles=[Role.SALES_MANAGER])
    client = client_for(manager)
    assert client.get(f"/api/v1/tickets/{ticket.pk}/").status_code == 200
    response = client.post(f"/api/v1/tickets/{ticket.pk}/move/", {"to": "in_progress"}, format="json")
    assert response.status_code == 403
    assert client.post(f"/api/v1/tickets/{ticket.pk}/comments/", {"body": "x"}, format="json").status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEW


def test_deferring_through_the_api_takes_a_return_time(engineer, ticket):
    response = client_for(engineer).post(
        f"/api/v1/tickets/{ticket.pk}/move/",
        {"to": "deferred", "return_at": "2000-01-01T10:00:00+03:00"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "future" in str(response.json())


def test_create_filter_and_update_tickets(engineer, support_head, service):
    client = client_for(engineer)
    response = client.post(
        "/api/v1/tickets/",
        {"subject": "Звонок клиента", "service": service.pk, "client_email": "x@client.ru", "client_name": "Икс"},
        format="json",
    )
    assert response.status_code == 201, response.content
    created = Ticket.objects.get(pk=response.json()["id"])
    assert created.source == "api" and created.assignee == engineer and created.contact is not None
    other = ServiceFactory(responsible=support_head)
    services.create_ticket(service=other, subject="Другая")

    listed = client.get("/api/v1/tickets/", {"assignee": support_head.pk}).json()["results"]
    assert [row["subject"] for row in listed] == ["Другая"]
    assert client.get("/api/v1/tickets/", {"q": f"#{created.number}"}).json()["count"] == 1
    assert client.get("/api/v1/tickets/", {"status": "done"}).json()["count"] == 0
    assert client.get("/api/v1/tickets/", {"created_from": "nope"}).status_code == 400

    response = client.patch(
        f"/api/v1/tickets/{created.pk}/", {"subject": "Звонок: сервер", "assignee": support_head.pk}, format="json"
    )
    assert response.status_code == 200, response.content
    created.refresh_from_db()
    assert created.subject == "Звонок: сервер" and created.assignee == support_head


def test_comments_public_and_internal_through_the_api(engineer, ticket):
    client = client_for(engineer)
    url = f"/api/v1/tickets/{ticket.pk}/comments/"
    assert client.post(url, {"body": "Заметка", "public": False}, format="json").status_code == 201
    response = client.post(url, {"body": "Ответ", "files": [SimpleUploadedFile("a.txt", b"hello")]}, format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["attachments"][0]["name"] == "a.txt"
    thread = client.get(url).json()
    assert [(c["body"], c["public"]) for c in thread] == [("<p>Заметка</p>", False), ("<p>Ответ</p>", True)]
    templates = list(
        OutboxMessage.objects.filter(address="c@client.ru").order_by("pk").values_list("template", flat=True)
    )
    assert templates == ["servicedesk/ticket_received", "servicedesk/ticket_comment"]
    assert client.post(url, {"body": "   "}, format="json").status_code == 400


def test_an_api_comment_longer_than_the_cards_is_refused(engineer, ticket):
    client = client_for(engineer)
    url = f"/api/v1/tickets/{ticket.pk}/comments/"
    response = client.post(url, {"body": "Я" * 20_001}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json() == {"body": ["Ensure this field has no more than 20000 characters."]}
    assert not ticket.comments.exists()


def test_attachments_are_downloads_for_staff_only(client, engineer, ticket):
    comment = services.add_comment(
        ticket=ticket, author=engineer, body="см. файл", files=[SimpleUploadedFile("x.html", b"<html>hi</html>")]
    )
    attachment = comment.attachments.get()
    url = f"/desk/attachments/{attachment.pk}/"
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(engineer)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "text/plain"
    client.force_login(UserFactory(roles=[Role.ACCOUNTANT]))
    assert client.get(url).status_code == 404


def test_services_are_read_by_staff_and_changed_by_administrators(engineer, service):
    assert [s["name"] for s in client_for(engineer).get("/api/v1/services/").json()["results"]] == [service.name]
    assert client_for(engineer).post("/api/v1/services/", {"name": "Новая"}, format="json").status_code == 403
    admin = UserFactory(roles=[Role.ADMINISTRATOR])
    assert client_for(admin).post("/api/v1/services/", {"name": "Новая"}, format="json").status_code == 201


# --- public intake ----------------------------------------------------------------------------------


def public_payload(desk, service, **extra):
    return {
        "form_key": desk.form_key,
        "service": service.pk,
        "name": "Анна",
        "email": "anna@client.ru",
        "phone": "",
        "company": "",
        "subject": "Сломалась мышь",
        "description": "Совсем.",
        "consent_desk": True,
        "consent_company": True,
        **extra,
    }


def test_the_public_api_accepts_json(desk, service):
    response = APIClient().post("/api/v1/public/tickets/", public_payload(desk, service), format="json")
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get()
    assert response.json()["number"] == ticket.number
    assert ticket.source == "api"


def test_the_public_api_accepts_multipart_with_files_checked_by_content(desk, service):
    payload = public_payload(desk, service, files=[SimpleUploadedFile("x.pdf", b"MZ\x90\x00" + b"\x00" * 60)])
    response = APIClient().post("/api/v1/public/tickets/", payload, format="multipart")
    assert response.status_code == 400
    assert "files" in response.json()
    assert Ticket.objects.count() == 0
    payload["files"] = [SimpleUploadedFile("x.pdf", b"%PDF-1.7\n...")]
    assert APIClient().post("/api/v1/public/tickets/", payload, format="multipart").status_code == 201


def test_the_public_api_validates_like_the_form(desk, service):
    payload = public_payload(desk, service, email="nope", consent_company=False)
    response = APIClient().post("/api/v1/public/tickets/", payload, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"email", "consent_company"}
    assert Ticket.objects.count() == 0


def test_the_public_api_refuses_a_stale_key_and_limits_the_rate(desk, service, settings):
    settings.SERVICEDESK_FORM_RATE_PER_IP = "2/h"
    payload = public_payload(desk, service)
    regenerate_form_key()
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post("/api/v1/public/tickets/", payload, format="json")
    assert response.status_code == 403
    assert "form key" in response.json()["detail"]
    payload["form_key"] = type(desk).load().form_key
    assert client.post("/api/v1/public/tickets/", payload, format="json").status_code == 201
    assert client.post("/api/v1/public/tickets/", payload, format="json").status_code == 429
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize("name", ["../../../etc/passwd.pdf", "..\\..\\windows\\win.ini.pdf", "/tmp/x.pdf"])
def test_a_file_name_with_a_path_is_kept_inside_the_ticket_files(desk, service, settings, name):
    payload = public_payload(desk, service, files=[SimpleUploadedFile(name, b"%PDF-1.7\n...")])
    response = APIClient().post("/api/v1/public/tickets/", payload, format="multipart")
    assert response.status_code == 201, response.content
    (attachment,) = Ticket.objects.get().attachments.all()
    assert "/" not in attachment.original_name and "\\" not in attachment.original_name
    stored = (settings.MEDIA_ROOT / attachment.file.name).resolve()
    assert stored.is_relative_to(settings.MEDIA_ROOT.resolve())
    assert stored.exists()
