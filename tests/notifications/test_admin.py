import pytest
from django.core import mail
from django.urls import reverse

from admin24.roles import Role
from notifications.models import OutboxMessage
from notifications.services import notify
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:notifications_outboxmessage_changelist")


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(roles=[Role.ADMINISTRATOR], is_staff=True, is_superuser=True))
    return client


def failed_message(address="client@example.ru") -> OutboxMessage:
    (message,) = notify(address, "reminder", {"title": "Счёт", "text": "Оплатите счёт."}, channels=("email",))
    OutboxMessage.objects.filter(pk=message.pk).update(status="failed", attempts=8, last_error="ESP down")
    return message


@pytest.mark.parametrize("language", ["ru", "en"])
def test_administrators_see_the_outbox_filtered_by_status_and_channel(admin_client, language):
    failed_message()
    admin_client.cookies["django_language"] = language
    page = admin_client.get(CHANGELIST, {"status__exact": "failed", "channel__exact": "email"})
    assert page.status_code == 200
    assert "client@example.ru" in page.content.decode()
    assert "ESP down" in page.content.decode()
    assert admin_client.get(CHANGELIST, {"status__exact": "sent"}).content.decode().count("client@example.ru") == 0


def test_the_outbox_is_read_only(admin_client):
    message = failed_message()
    change = reverse("admin:notifications_outboxmessage_change", args=[message.pk])
    page = admin_client.get(change)
    # Not sent yet: shown as it will go out (rendered now), nothing stored.
    assert page.status_code == 200 and "Счёт" in page.content.decode() and "Оплатите счёт." in page.content.decode()
    admin_client.post(change, {"subject": "changed"})
    assert "Счёт" in admin_client.get(change).content.decode()
    message.refresh_from_db()
    assert (message.subject, message.status) == ("", "failed")
    assert admin_client.get(reverse("admin:notifications_outboxmessage_add")).status_code == 403


def test_retry_sends_a_failed_message_again_and_leaves_sent_ones_alone(
    admin_client, django_capture_on_commit_callbacks
):
    failed = failed_message("failed@example.ru")
    with django_capture_on_commit_callbacks(execute=True):
        (sent,) = notify("sent@example.ru", "reminder", {"title": "Готово", "text": "Всё."})
    assert [m.to for m in mail.outbox] == [["sent@example.ru"]]
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            CHANGELIST, {"action": "retry", "_selected_action": [failed.pk, sent.pk]}, follow=True
        )
    assert response.status_code == 200
    failed.refresh_from_db()
    assert failed.status == OutboxMessage.Status.SENT
    assert failed.attempts == 1
    assert [m.to for m in mail.outbox] == [["sent@example.ru"], ["failed@example.ru"]]


def test_the_notification_list_opens_for_administrators(admin_client):
    user = UserFactory()
    notify(user, "reminder", {"title": "Проверка", "text": "Текст"}, channels=())
    page = admin_client.get(reverse("admin:notifications_notification_changelist"))
    assert page.status_code == 200
    assert "Проверка" in page.content.decode()


def test_the_notifications_admin_finds_by_kind_recipient_and_card_and_shows_the_title(admin_client):
    reader = UserFactory(username="ivanov", last_name="Иванов", language="en")
    notify(reader, "reminder", {"title": "Позвонить «Ромашке»", "text": "Клиент ждёт."}, channels=())
    changelist = reverse("admin:notifications_notification_changelist")
    for term in ("ivanov", "Иванов", "reminder"):
        assert "Позвонить «Ромашке»" in admin_client.get(changelist, {"q": term}).content.decode(), term
    assert "Позвонить" not in admin_client.get(changelist, {"q": "invoice"}).content.decode()
