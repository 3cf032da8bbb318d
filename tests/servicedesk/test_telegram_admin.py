"""The Telegram channel's rows in the Django admin: looked at, never edited there; a failed update
can be handled again."""

import pytest
from django.urls import reverse

from admin24.roles import Role
from notifications.models import StaffTelegram
from servicedesk.intake import telegram as bot
from servicedesk.models import TelegramChat, TelegramUpdate
from tests.factories import UserFactory
from tests.telegram_fake import text_update

pytestmark = pytest.mark.usefixtures("eager_celery")


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(roles=[Role.ADMINISTRATOR], is_staff=True, is_superuser=True))
    return client


def test_administrators_see_updates_chats_and_staff_chats_read_only(admin_client, telegram_api):
    update = TelegramUpdate.objects.create(update_id=9001, payload=text_update(9001, 321, "/start"), status="done")
    chat = TelegramChat.objects.create(chat_id=321, first_name="Ольга", step="email")
    engineer = UserFactory(username="engineer", telegram_chat_id=777)
    StaffTelegram.objects.create(user=engineer, kinds=["tasks"])

    for name, obj, shown in (
        ("servicedesk_telegramupdate", update, "9001"),
        ("servicedesk_telegramchat", chat, "Ольга"),
        ("notifications_stafftelegram", engineer.staff_telegram, str(engineer)),
    ):
        assert shown in admin_client.get(reverse(f"admin:{name}_changelist")).content.decode()
        change = reverse(f"admin:{name}_change", args=[obj.pk])
        page = admin_client.get(change)
        assert page.status_code == 200 and 'type="submit" value="Сохранить"' not in page.content.decode()
        assert admin_client.post(change, {}).status_code == 403
        assert admin_client.get(reverse(f"admin:{name}_add")).status_code == 403
    chat.refresh_from_db()
    assert chat.step == "email"


def test_a_failed_update_handled_again_from_the_admin_answers_the_chat(
    admin_client, telegram_api, desk, service, django_capture_on_commit_callbacks
):
    update = TelegramUpdate.objects.create(
        update_id=9002, payload=text_update(9002, 322, "/start"), status="failed", attempts=5, error="DB was down"
    )
    with django_capture_on_commit_callbacks(execute=True):
        page = admin_client.post(
            reverse("admin:servicedesk_telegramupdate_changelist"),
            {"action": "handle_again", "_selected_action": [update.pk]},
            follow=True,
        )
    assert "Снова поставлено в очередь: 1." in page.content.decode()
    update.refresh_from_db()
    assert update.status == "done" and update.error == ""
    assert "Админ24" in telegram_api.texts(322)[0]
    assert bot.handle_again(TelegramUpdate.objects.all()) == 0  # done rows are left alone
