"""What the bot receives and answers must survive: a client's file is downloaded before the
update's transaction (a slow download holds no lock on the chat, and the file still ends on
exactly one comment), and the receipt of a request goes through the outbox."""

import datetime
import threading

import pytest
import time_machine
from django.db import connection, transaction

from notifications.models import OutboxMessage
from notifications.services import outbox_sweep
from servicedesk import services
from servicedesk.emails import client_page_url
from servicedesk.intake import telegram as intake
from servicedesk.models import TelegramChat, TelegramTicket, TelegramUpdate, Ticket
from tests.servicedesk.test_telegram import PDF, bot, file_a_ticket  # noqa: F401 - the bot fixture
from tests.telegram_fake import callback_update, document_update


def ticket_in_chat(chat_id, service, support_head):
    ticket = services.create_ticket(subject="Принтер", service=service, by=support_head, email="c@example.ru")
    chat = TelegramChat.objects.create(chat_id=chat_id)
    TelegramTicket.objects.create(chat=chat, ticket=ticket)
    return ticket


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_slow_download_holds_no_lock_and_makes_one_comment(telegram_api, service, support_head):
    if connection.vendor == "sqlite":
        pytest.skip("row locks need PostgreSQL (CI runs it)")
    fake, chat = telegram_api, 601
    ticket = ticket_in_chat(chat, service, support_head)
    file_id = fake.add_file(PDF, "documents/act.pdf")
    payload = document_update(fake.next_update_id(), chat, file_id, "акт.pdf", len(PDF))
    update = TelegramUpdate.objects.create(update_id=payload["update_id"], payload=payload)
    gate = fake.hold_downloads()

    def handle():
        try:
            intake.handle(update.pk)
        finally:
            connection.close()  # also when handling fails: an open connection would block dropping the test db

    worker = threading.Thread(target=handle)
    worker.start()
    try:
        assert fake.download_started.wait(10)
        # While the file is on its way, another update of this chat may be handled.
        with transaction.atomic():
            TelegramChat.objects.select_for_update(nowait=True).get(chat_id=chat)
            TelegramUpdate.objects.select_for_update(nowait=True).get(pk=update.pk)
    finally:
        gate.set()
        worker.join(20)

    [comment] = ticket.comments.filter(from_client=True)
    assert [a.original_name for a in comment.attachments.all()] == ["акт.pdf"]
    assert fake.last(chat).text == f"Добавлено к обращению {ticket.display_number}."
    assert intake.store(payload) is None  # Telegram delivering it again changes nothing
    intake.handle(update.pk)
    assert ticket.comments.filter(from_client=True).count() == 1


@pytest.mark.usefixtures("eager_celery")
def test_a_file_sent_while_several_requests_are_open_goes_to_the_one_chosen(bot, telegram_api, service):  # noqa: F811
    fake, chat = telegram_api, 602
    first = file_a_ticket(bot, fake, chat, service)
    first.subject = "первая"
    first.save()
    second = file_a_ticket(bot, fake, chat, service)
    file_id = fake.add_file(PDF, "documents/scan.pdf")
    bot(document_update(fake.next_update_id(), chat, file_id, "скан.pdf", len(PDF)))
    assert fake.last(chat).text == "К какому обращению относится ваше сообщение?"
    downloads = len(fake.calls_to("getFile"))

    bot(callback_update(fake.next_update_id(), chat, f"reply:{second.pk}"))

    [comment] = second.comments.filter(from_client=True)
    assert [(a.original_name, a.file.read()) for a in comment.attachments.all()] == [("скан.pdf", PDF)]
    assert not first.comments.filter(from_client=True).exists()
    assert len(fake.calls_to("getFile")) == downloads  # kept from the first time, not fetched again
    assert TelegramChat.objects.get(chat_id=chat).draft == {}


@pytest.mark.usefixtures("eager_celery")
def test_the_receipt_of_a_request_waits_out_a_busy_bot_api_and_still_arrives(bot, telegram_api, service):  # noqa: F811
    from tests.servicedesk.test_telegram import walk_to

    fake, chat = telegram_api, 603
    walk_to(bot, fake, chat, service=service)
    bot(callback_update(fake.next_update_id(), chat, "done:"))
    bot(callback_update(fake.next_update_id(), chat, "consent:"))
    # Telegram says "too many requests, wait 2 minutes": longer than the outbox's own first backoff
    # (1 minute) and than the sweeper's minimum age of a row, so only its retry_after explains the wait.
    fake.rate_limit(120, chat_id=chat, times=2)
    bot(callback_update(fake.next_update_id(), chat, "confirm:"))
    ticket = Ticket.objects.get(subject=f"Не печатает принтер {chat}")
    row = OutboxMessage.objects.get(channel="telegram", template="servicedesk/telegram_accepted")
    assert row.status == "pending" and "429" in row.last_error  # refused, kept, not dropped

    refused = fake.last(chat)  # the receipt's attempt Telegram answered with the 429
    assert refused.text.startswith("Спасибо!")
    waited_out = datetime.datetime.fromtimestamp(refused.at, datetime.UTC) + datetime.timedelta(seconds=120)

    with time_machine.travel(waited_out - datetime.timedelta(seconds=1), tick=False):
        outbox_sweep()
    row.refresh_from_db()
    assert row.status == "pending" and fake.last(chat) is refused  # not tried again before the 2 minutes

    with time_machine.travel(waited_out + datetime.timedelta(seconds=1), tick=False):
        outbox_sweep()
    row.refresh_from_db()
    assert row.status == "sent" and fake.last(chat) is not refused and fake.last(chat).method == "sendMessage"
    receipt = fake.last(chat).text
    assert receipt.startswith(f"Спасибо! Ваше обращение {ticket.display_number} принято.")
    assert client_page_url(ticket) in receipt


@pytest.mark.usefixtures("eager_celery")
def test_a_flood_of_files_is_not_downloaded_past_the_limit(bot, telegram_api, service):  # noqa: F811
    fake, chat = telegram_api, 604
    file_id = fake.add_file(PDF, "documents/spam.pdf")
    for _ in range(intake.FLOOD_PER_MINUTE + 10):
        bot(document_update(fake.next_update_id(), chat, file_id, "spam.pdf", len(PDF)))

    # The messages over the minute's limit are dropped without fetching their files.
    assert len(fake.calls_to("getFile")) == intake.FLOOD_PER_MINUTE
    assert fake.last(chat).text == "Вы отправляете сообщения слишком часто. Подождите минуту и продолжайте."
