"""The Telegram channel against a fake Bot API server: what the client sees in the chat, what
staff see on the ticket."""

import datetime
import threading

import pytest
import time_machine
from celery.result import allow_join_result
from django.db import connection
from django.utils import timezone

from notifications.models import OutboxMessage
from notifications.services import outbox_sweep
from servicedesk import services
from servicedesk.emails import client_page_url
from servicedesk.models import DeskSettings, TelegramChat, TelegramUpdate, Ticket, TicketComment, TicketStatus
from tests.factories import ServiceFactory
from tests.telegram_fake import (
    callback_update,
    contact_update,
    document_update,
    edited_update,
    photo_update,
    sticker_update,
    text_update,
    user,
    voice_update,
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200

pytestmark = pytest.mark.usefixtures("eager_celery")


@pytest.fixture
def bot(client, telegram_api, desk, django_capture_on_commit_callbacks):
    """``bot(update)`` posts an update to the webhook as Telegram would; it is handled at once."""
    secret = DeskSettings.load().telegram_webhook_secret

    def send(update, *, secret_token=secret):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                "/telegram/webhook/",
                data=update,
                content_type="application/json",
                headers={"X-Telegram-Bot-Api-Secret-Token": secret_token} if secret_token else {},
            )

    return send


def button(fake, chat_id, label_part):
    for call in reversed(fake.sent(chat_id)):
        for b in call.buttons:
            if label_part in b["text"] and "callback_data" in b:
                return b["callback_data"]
    raise AssertionError(f"no button {label_part!r} in {fake.texts(chat_id)}")


def walk_to(bot, fake, chat_id, *, service, email="ivan@example.ru", phone="+7 900 123-45-67", sender=None):
    """The dialogue up to the summary; returns the next update id."""
    n = fake.next_update_id
    bot(text_update(n(), chat_id, "/start", sender=sender))
    bot(callback_update(n(), chat_id, f"service:{service.pk}", sender=sender))
    bot(callback_update(n(), chat_id, button(fake, chat_id, "Иван" if sender is None else sender["first_name"])))
    bot(text_update(n(), chat_id, email, sender=sender))
    bot(text_update(n(), chat_id, phone, sender=sender))
    bot(callback_update(n(), chat_id, "skip:", sender=sender))
    bot(text_update(n(), chat_id, f"Не печатает принтер {chat_id}", sender=sender))
    bot(text_update(n(), chat_id, "С утра принтер в бухгалтерии не печатает.", sender=sender))


def test_a_client_files_a_ticket_from_start_to_finish(bot, telegram_api, service):
    fake, chat = telegram_api, 501
    n = fake.next_update_id
    bot(text_update(n(), chat, "/start"))
    assert "Админ24" in fake.texts(chat)[0]
    assert fake.last(chat).buttons[0]["text"] == service.name
    bot(callback_update(n(), chat, f"service:{service.pk}"))
    assert fake.calls_to("answerCallbackQuery")
    assert "Иван Петров" in [b["text"] for b in fake.last(chat).buttons]
    bot(callback_update(n(), chat, "keep:"))
    bot(text_update(n(), chat, "not-an-email"))
    assert "name@example.ru" in fake.last(chat).text
    bot(text_update(n(), chat, "ivan@example.ru"))
    share = fake.sent(chat)[-2].params["reply_markup"]["keyboard"][0][0]
    assert share["request_contact"] is True
    bot(contact_update(n(), chat, "+79001234567"))
    bot(text_update(n(), chat, "ООО Ромашка"))
    bot(text_update(n(), chat, "Не печатает принтер"))
    bot(text_update(n(), chat, "С утра принтер в бухгалтерии не печатает."))
    pdf = fake.add_file(PDF, "documents/file_1.pdf")
    bot(document_update(n(), chat, pdf, "акт.pdf", len(PDF)))
    assert "акт.pdf" in fake.last(chat).text
    photo = fake.add_file(JPEG, "photos/file_2.jpg")
    bot(photo_update(n(), chat, photo, len(JPEG)))
    exe = fake.add_file(b"MZ\x90\x00" + b"\x00" * 100, "documents/file_3.exe")
    bot(document_update(n(), chat, exe, "setup.exe", 104, mime="application/octet-stream"))
    assert (
        "setup.exe" in fake.last(chat).text and "not accepted" in fake.last(chat).text.lower()
    ) or "не принима" in fake.last(chat).text
    bot(callback_update(n(), chat, "done:"))
    assert "/desk/consent/" in fake.last(chat).text
    bot(callback_update(n(), chat, "consent:"))
    summary = fake.last(chat).text
    assert "ivan@example.ru" in summary and "Ромашка" in summary and "акт.pdf" in summary
    bot(callback_update(n(), chat, "confirm:"))

    ticket = Ticket.objects.get()
    assert ticket.source == "telegram"
    assert (ticket.service, ticket.client_name, ticket.client_email) == (service, "Иван Петров", "ivan@example.ru")
    assert ticket.client_phone == "+79001234567"
    assert ticket.client_company == "ООО Ромашка"
    assert ticket.subject == "Не печатает принтер"
    assert sorted(a.original_name for a in ticket.attachments.all()) == ["photo-2.jpg", "акт.pdf"]
    assert ticket.assignee == service.responsible
    answer = fake.last(chat).text
    assert ticket.display_number in answer
    assert client_page_url(ticket) in answer
    assert TelegramChat.objects.get(chat_id=chat).step == ""


def test_english_clients_get_english(bot, telegram_api, service):
    fake = telegram_api
    bot(text_update(fake.next_update_id(), 502, "/start", sender=user(502, language_code="en")))
    assert "Choose the service" in fake.last(502).text


def test_a_required_phone_cannot_be_skipped(bot, telegram_api, service):
    desk = DeskSettings.load()
    desk.phone_required = True
    desk.save()
    fake, chat = telegram_api, 503
    n = fake.next_update_id
    bot(text_update(n(), chat, "/start"))
    bot(callback_update(n(), chat, f"service:{service.pk}"))
    bot(callback_update(n(), chat, "keep:"))
    bot(text_update(n(), chat, "ivan@example.ru"))
    assert not any(b.get("callback_data") == "skip:" for b in fake.last(chat).buttons)
    bot(callback_update(n(), chat, "skip:"))
    assert TelegramChat.objects.get(chat_id=chat).step == "phone"
    bot(text_update(n(), chat, "позвоните мне"))
    assert "+7 900" in fake.last(chat).text
    assert TelegramChat.objects.get(chat_id=chat).step == "phone"


def test_odd_messages_get_a_clear_answer(bot, telegram_api, service):
    fake, chat = telegram_api, 504
    n = fake.next_update_id
    for update in (
        sticker_update(n(), chat),
        voice_update(n(), chat),
        edited_update(n(), chat, "исправил"),
        text_update(n(), chat, "/frobnicate"),
        text_update(n(), chat, "x" * 5000),
    ):
        assert bot(update).status_code == 200
    texts = fake.texts(chat)
    assert len(texts) == 5 and all(texts)
    assert "/new" in texts[3]
    assert TelegramUpdate.objects.filter(status="done").count() == 5


def test_floods_are_answered_once(bot, telegram_api, service):
    fake, chat = telegram_api, 505
    for _ in range(30):
        bot(text_update(fake.next_update_id(), chat, "привет"))
    assert len(fake.texts(chat)) == 21


def test_cancel_and_expiry_drop_the_draft(bot, telegram_api, service):
    fake, chat = telegram_api, 506
    n = fake.next_update_id
    bot(text_update(n(), chat, "/new"))
    bot(text_update(n(), chat, "/cancel"))
    assert TelegramChat.objects.get(chat_id=chat).step == ""
    bot(text_update(n(), chat, "/new"))
    with time_machine.travel(datetime.timedelta(hours=25)):
        bot(text_update(n(), chat, "Иван"))
    assert "24" in fake.last(chat).text
    assert TelegramChat.objects.get(chat_id=chat).step == ""


def test_the_webhook_refuses_a_wrong_secret_and_ignores_a_duplicate(bot, telegram_api, service):
    fake = telegram_api
    update = text_update(fake.next_update_id(), 507, "/start")
    assert bot(update, secret_token=None).status_code == 403
    assert bot(update, secret_token="wrong").status_code == 403
    assert bot(update).status_code == 200
    assert bot(update).status_code == 200
    assert TelegramUpdate.objects.count() == 1
    assert len([t for t in fake.texts(507) if "Админ24" in t]) == 1


def file_a_ticket(bot, fake, chat, service):
    walk_to(bot, fake, chat, service=service)
    n = fake.next_update_id
    bot(callback_update(n(), chat, "done:"))
    bot(callback_update(n(), chat, "consent:"))
    bot(callback_update(n(), chat, "confirm:"))
    return Ticket.objects.get(client_email="ivan@example.ru", subject=f"Не печатает принтер {chat}")


def test_relay_both_ways(bot, telegram_api, service, engineer, django_capture_on_commit_callbacks):
    fake, chat = telegram_api, 508
    ticket = file_a_ticket(bot, fake, chat, service)
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_start(ticket=ticket, by=engineer)
    assert "started work" in fake.last(chat).text or "начал" in fake.last(chat).text
    from django.core.files.uploadedfile import SimpleUploadedFile

    with django_capture_on_commit_callbacks(execute=True):
        services.add_comment(
            ticket=ticket,
            author=engineer,
            body="<p>Проверьте <strong>кабель</strong>.</p><p>Инструкция во вложении.</p>",
            html=True,
            files=[SimpleUploadedFile("инструкция.pdf", PDF)],
        )
        services.add_comment(ticket=ticket, author=engineer, body="внутреннее", public=False)
    message = next(c for c in fake.sent(chat) if "кабель" in c.text)
    assert "<strong>кабель</strong>" in message.text and "<p>" not in message.text
    assert message.params["parse_mode"] == "HTML"
    document = fake.last(chat)
    assert document.method == "sendDocument" and document.files["document"] == ("инструкция.pdf", PDF)
    assert not any("внутреннее" in t for t in fake.texts(chat))

    relayed = OutboxMessage.objects.get(channel="telegram", template="servicedesk/ticket_comment")
    first_id = int(relayed.provider_id.split(",")[0])
    with django_capture_on_commit_callbacks(execute=True):
        bot(text_update(fake.next_update_id(), chat, "Кабель в порядке", reply_to=first_id))
    comment = TicketComment.objects.filter(ticket=ticket, from_client=True).get()
    assert comment.source == "telegram" and "Кабель в порядке" in comment.body

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_complete(ticket=ticket, by=engineer, note="Заменили картридж")
    assert "Заменили картридж" in fake.last(chat).text
    with django_capture_on_commit_callbacks(execute=True):
        bot(text_update(fake.next_update_id(), chat, "Снова не печатает", reply_to=first_id))
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.IN_PROGRESS


def test_long_comments_are_split(bot, telegram_api, service, engineer, django_capture_on_commit_callbacks):
    fake, chat = telegram_api, 509
    ticket = file_a_ticket(bot, fake, chat, service)
    before = len(fake.sent(chat))
    with django_capture_on_commit_callbacks(execute=True):
        services.add_comment(ticket=ticket, author=engineer, body="слово " * 1500)
    parts = fake.sent(chat)[before:]
    assert len(parts) == 3 and all(len(p.text) <= 4096 for p in parts)


def test_several_open_tickets_ask_which_one(bot, telegram_api, service):
    fake, chat = telegram_api, 510
    first = file_a_ticket(bot, fake, chat, service)
    first.subject = "первая"
    first.save()
    second = file_a_ticket(bot, fake, chat, service)
    bot(text_update(fake.next_update_id(), chat, "Есть новости?"))
    choice = fake.last(chat)
    assert {b["callback_data"] for b in choice.buttons} == {f"reply:{first.pk}", f"reply:{second.pk}"}
    bot(callback_update(fake.next_update_id(), chat, f"reply:{second.pk}"))
    assert second.comments.filter(from_client=True, body__contains="Есть новости?").exists()
    assert not first.comments.filter(from_client=True).exists()
    bot(text_update(fake.next_update_id(), chat, "/status"))
    assert first.display_number in fake.last(chat).text and second.display_number in fake.last(chat).text


def test_a_blocked_bot_disables_the_chat(bot, telegram_api, service, engineer, django_capture_on_commit_callbacks):
    fake, chat = telegram_api, 511
    ticket = file_a_ticket(bot, fake, chat, service)
    fake.block(chat)
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_start(ticket=ticket, by=engineer)
    row = OutboxMessage.objects.get(channel="telegram", template="servicedesk/ticket_started")
    assert row.status == "failed" and "blocked" in row.last_error
    assert TelegramChat.objects.get(chat_id=chat).disabled
    calls = len(fake.calls_to("sendMessage", chat))
    with django_capture_on_commit_callbacks(execute=True):
        services.add_comment(ticket=ticket, author=engineer, body="ещё")
    assert len(fake.calls_to("sendMessage", chat)) == calls
    assert not OutboxMessage.objects.filter(channel="telegram", status="pending").exists()


def test_429_waits_as_long_as_telegram_asks(bot, telegram_api, service, engineer, django_capture_on_commit_callbacks):
    fake, chat = telegram_api, 512
    ticket = file_a_ticket(bot, fake, chat, service)
    fake.rate_limit(30, chat_id=chat)
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_start(ticket=ticket, by=engineer)
    row = OutboxMessage.objects.get(channel="telegram", template="servicedesk/ticket_started")
    assert row.status == "pending"
    assert 25 <= (row.next_attempt_at - timezone.now()).total_seconds() <= 31
    assert outbox_sweep(now=timezone.now() + datetime.timedelta(seconds=20)) == 0
    with time_machine.travel(datetime.timedelta(seconds=90)):
        outbox_sweep()
    row.refresh_from_db()
    assert row.status == "sent"


@pytest.mark.django_db(transaction=True)
def test_fifty_chats_in_parallel_keep_their_drafts(telegram_api, settings):
    if connection.vendor == "sqlite":
        pytest.skip("parallel writers need PostgreSQL (CI runs it)")
    from servicedesk.intake import telegram as intake

    desk = DeskSettings.load()
    desk.header_company_name = "Админ24"
    desk.save()
    service = ServiceFactory(name="Сеть")
    fake = telegram_api

    def dialogue(chat):
        n = fake.next_update_id
        steps = [
            text_update(n(), chat, "/start"),
            callback_update(n(), chat, f"service:{service.pk}"),
            text_update(n(), chat, f"Клиент {chat}"),
            text_update(n(), chat, f"c{chat}@example.ru"),
            callback_update(n(), chat, "skip:"),
            callback_update(n(), chat, "skip:"),
            text_update(n(), chat, f"Тема {chat}"),
            text_update(n(), chat, f"Описание {chat}"),
            callback_update(n(), chat, "done:"),
            callback_update(n(), chat, "consent:"),
            callback_update(n(), chat, "confirm:"),
        ]
        try:
            for update in steps:
                stored = intake.store(update)
                intake.handle(stored.pk)
        finally:
            connection.close()  # a failing dialogue must not leave its connection open for the next test

    threads = [threading.Thread(target=dialogue, args=(9000 + i,)) for i in range(50)]
    # Eager tasks in parallel threads race on Celery's process-wide "a join would block" flag and
    # can leave it set; allow_join_result puts back the value it found, for the tests after this one.
    with allow_join_result():
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    tickets = {t.client_email: t for t in Ticket.objects.all()}
    assert len(tickets) == 50
    for i in range(50):
        ticket = tickets[f"c{9000 + i}@example.ru"]
        assert (ticket.client_name, ticket.subject) == (f"Клиент {9000 + i}", f"Тема {9000 + i}")
        assert ticket.display_number in fake.last(9000 + i).text


def test_staff_link_telegram_and_get_their_notifications(
    bot, telegram_api, service, engineer, support_head, client, django_capture_on_commit_callbacks
):
    import re

    fake = telegram_api
    client.force_login(engineer)
    client.post("/notifications/telegram/", {"do": "link"})
    page = client.get("/profile/").content.decode()
    link = re.search(r'id="telegram-deep-link">([^<]+)<', page).group(1)
    assert link.startswith(f"https://t.me/{fake.username}?start=")
    token = link.split("start=")[1]
    bot(text_update(fake.next_update_id(), 777, f"/start {token}"))
    engineer.refresh_from_db()
    assert engineer.telegram_chat_id == 777
    bot(text_update(fake.next_update_id(), 778, f"/start {token}"))  # one time only
    assert "not valid" in fake.last(778).text or "не действует" in fake.last(778).text
    client.post("/notifications/telegram/", {"do": "kinds", "kinds": ["assigned"]})
    ticket = services.create_ticket(subject="Сервер", service=service, by=support_head, assignee=support_head)
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_assign(ticket=ticket, assignee=engineer, by=support_head)
    assert "Сервер" in fake.last(777).text

    fake.block(777)
    ticket2 = services.create_ticket(subject="Почта", service=service, by=support_head, assignee=support_head)
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_assign(ticket=ticket2, assignee=engineer, by=support_head)
    engineer.refresh_from_db()
    assert engineer.telegram_chat_id is None
    assert engineer.notifications.filter(template="telegram_unlinked").exists()
    assert "blocked" in client.get("/profile/").content.decode()


def test_an_sla_breach_found_by_the_clock_reaches_the_engineers_telegram(
    bot, telegram_api, desk, service, engineer, support_head, django_capture_on_commit_callbacks
):
    from admin24 import timers
    from notifications.staff_telegram import set_kinds

    engineer.telegram_chat_id = 777
    engineer.save(update_fields=["telegram_chat_id"])
    set_kinds(engineer, ["sla"])
    monday_10 = timezone.make_aware(datetime.datetime(2026, 11, 23, 10, 0))
    with time_machine.travel(monday_10, tick=False):
        ticket = services.create_ticket(subject="Сервер лежит", service=service, by=support_head, assignee=engineer)
    ticket.refresh_from_db()
    deadline = ticket.reaction_due_at
    with (
        time_machine.travel(deadline - datetime.timedelta(minutes=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        timers.run_due_until_idle()
    assert telegram_api.sent(777) == []
    with (
        time_machine.travel(deadline + datetime.timedelta(minutes=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        timers.run_due_until_idle()
    assert ticket.display_number in telegram_api.last(777).text
