"""Inbound email in batches (issue 14 §8): the worker decides many stored messages together, with
the same outcome as one by one and a fixed number of queries whatever the batch's size."""

import random
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from admin24.models import Activity, ScheduledAction
from notifications.models import Notification, OutboxMessage
from servicedesk import services
from servicedesk.emails import reply_address
from servicedesk.intake.email import ingest, process_batch, process_waiting
from servicedesk.models import Attachment, InboundEmail, Ticket, TicketComment, TicketStatus
from servicedesk.models.tickets import NUMBER_SEQUENCE
from tests.factories import ServiceFactory, UserFactory
from tests.told import told as told_of

from .test_fuzz import _mutate, _seeds

pytestmark = [pytest.mark.django_db]


def _tickets(count):
    service = ServiceFactory(responsible=UserFactory())
    return [
        services.create_ticket(subject=f"Заявка {n}", name=f"Клиент {n}", email=f"client{n}@client.ru", service=service)
        for n in range(count)
    ]


def _first_email(ticket):
    return OutboxMessage.objects.filter(target_id=ticket.pk, address=ticket.client_email).order_by("pk").first()


KINDS = 10


def _mixed(count, tickets, old, tag):
    """Per ten messages, every kind the batch decides: a threaded reply, a colleague's reply by
    token, a new email, an auto-reply, a Postfix bounce of one of our emails, a reply to a ticket
    done past the reopen window (``old``: it opens a ticket following that one), replies with a
    file kept and with a file refused, a reply found by its ``[#N]`` tag alone, and unreadable bytes."""
    out = []
    for n in range(count):
        ticket = tickets[n % len(tickets)]
        message = EmailMessage()
        message["Message-ID"] = f"<{tag}-{n}@client.ru>"
        kind = n % KINDS
        if kind in (0, 5, 6, 7):
            ticket = old[n % len(old)] if kind == 5 else ticket
            message["From"] = ticket.client_email
            message["To"] = "support@example.ru"
            message["Subject"] = f"Re: [#{ticket.number}] {ticket.subject}"
            message["In-Reply-To"] = _first_email(ticket).message_id
            message.set_content(f"Ответ {n}\n\n01.12.2026 10:05, Поддержка пишет:\n> старое")
            if kind == 6:
                message.add_attachment(b"%PDF-1.4 scan", maintype="application", subtype="pdf", filename=f"{n}.pdf")
            if kind == 7:
                message.add_attachment(b"MZ\x90\x00", maintype="application", subtype="octet-stream", filename="a.exe")
        elif kind == 1:
            message["From"] = f"colleague{n}@client.ru"
            message["To"] = reply_address(ticket)
            message["Subject"] = "Добавлю"
            message.set_content(f"Коллега {n}")
        elif kind == 2:
            message["From"] = f"Новый <new-{tag}-{n}@new.ru>"
            message["To"] = "support@example.ru"
            message["Subject"] = f"Новая беда {n}"
            message.set_content("Не открывается 1С")
        elif kind == 3:
            message["From"] = f"away{n}@client.ru"
            message["Subject"] = "Автоответ"
            message["Auto-Submitted"] = "auto-replied"
            message.set_content("В отпуске")
        elif kind == 4:
            message["From"] = "MAILER-DAEMON@mx.client.ru"
            message["Subject"] = "Undelivered Mail Returned to Sender"
            original = EmailMessage()
            original["Message-ID"] = _first_email(ticket).message_id
            original.set_content("x")
            message.set_content("550 5.1.1 User unknown")
            message.add_attachment(original)
        elif kind == 8:
            message["From"] = ticket.client_email
            message["To"] = "support@example.ru"
            message["Subject"] = f"Re: [#{ticket.number}] ещё вопрос"
            message.set_content(f"По номеру {n}")
        else:
            out.append(b"\x00\x01\x02 not a message " + f"{tag}-{n}".encode())
            continue
        out.append(message.as_bytes())
    return out


def _store(raws):
    # No commit hooks run in a test's transaction: the rows wait, as for a worker that has not run yet.
    for raw in raws:
        ingest(raw, source="imap")


def test_a_batch_of_every_kind_takes_the_same_queries_for_10_messages_as_for_50():
    """Replies reopening done or deferred tickets have their own test below (their moves are
    ``workflow.move_many``'s queries, the same for 2 tickets as for 10)."""
    tickets, old = _tickets(10), _tickets(5)
    for ticket in old:
        services.ticket_complete(ticket=ticket, by=None)
    counts = []
    with time_machine.travel(timezone.now() + timedelta(days=40)):  # the old ones are past the reopen window
        for size in (10, 50):
            _store(_mixed(size, tickets, old, tag=f"size{size}"))
            ContentType.objects.clear_cache()  # both batches look the content types up alike
            with CaptureQueriesContext(connection) as captured:
                done = process_batch(limit=size)
            assert len(done) == size
            reasons = sorted(row.reason for row in done)
            each = ["reply", "colleague", "new_ticket", "auto_reply", "bounce", "follow_up_ticket"]
            each += ["reply", "reply", "reply", "unreadable"]
            assert reasons == sorted(each * (size // KINDS))
            counts.append(len(captured))
    assert counts[0] == counts[1], counts
    # What the batch wrote is what the one-by-one path writes: the comments, the assignees told, the
    # bounces, the new tickets and those following the old ones, the files kept and the refused named.
    assert TicketComment.objects.filter(from_client=True).count() == 6 * 6
    assert Notification.objects.filter(key__startswith="servicedesk.client_reply:").count() == 6 * 6
    assert OutboxMessage.objects.filter(
        status=OutboxMessage.Status.FAILED, last_error__contains="User unknown"
    ).exists()
    assert Ticket.objects.filter(client_email__startswith="new-").count() == 6
    assert Ticket.objects.filter(follows__in=old, status=TicketStatus.NEW).count() == 6
    assert Attachment.objects.filter(original_name__endswith=".pdf", comment__from_client=True).count() == 6
    assert TicketComment.objects.filter(public=False, body__contains="a.exe").count() == 6


def test_a_reply_to_a_message_of_the_same_batch_lands_on_the_ticket_that_message_opened():
    first = EmailMessage()
    first["From"] = "maria@new.ru"
    first["Subject"] = "Нет доступа"
    first["Message-ID"] = "<first@new.ru>"
    first.set_content("Нет доступа к 1С")
    second = EmailMessage()
    second["From"] = "maria@new.ru"
    second["Subject"] = "Re: Нет доступа"
    second["Message-ID"] = make_msgid(domain="new.ru")
    second["In-Reply-To"] = "<first@new.ru>"
    second.set_content("И к почте тоже")
    _store([first.as_bytes(), second.as_bytes()])
    done = process_batch()
    assert [row.reason for row in done] == ["new_ticket", "reply"]
    ticket = Ticket.objects.get(client_email="maria@new.ru")
    assert "И к почте тоже" in ticket.comments.get(from_client=True).body


def test_two_replies_in_one_batch_reopen_a_done_ticket_once(django_capture_on_commit_callbacks):
    (ticket,) = _tickets(1)
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_complete(ticket=ticket, by=None)
    raws = []
    for n in range(2):
        message = EmailMessage()
        message["From"] = ticket.client_email
        message["Subject"] = f"Re: [#{ticket.number}]"
        message["Message-ID"] = make_msgid(domain="client.ru")
        message["In-Reply-To"] = _first_email(ticket).message_id
        message.set_content(f"Снова сломалось {n}")
        raws.append(message.as_bytes())
    _store(raws)
    assert [row.reason for row in process_batch()] == ["reply", "reply"]
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.IN_PROGRESS
    reopened = Activity.objects.filter(
        target_type__model="ticket", target_id=ticket.pk, verb=Activity.Verb.MOVED, data__to=TicketStatus.IN_PROGRESS
    )
    assert reopened.count() == 1
    assert ticket.comments.filter(from_client=True).count() == 2


def test_damaged_messages_end_the_same_in_batches_as_one_by_one(django_capture_on_commit_callbacks, eager_celery):
    """500 mutated messages: processed one after the other as they arrive, then (rolled back) the
    same messages stored first and processed in batches of 50 — each ends with the same status and reason."""
    rng = random.Random(1414)
    seeds = _seeds()
    raws = [_mutate(rng.choice(seeds), rng) + f"\r\nX-Fuzz: {n}\r\n".encode() for n in range(500)]

    def outcomes():
        return {digest: (status, reason) for digest, status, reason in InboundEmail.objects.values_list(
            "digest", "status", "reason")}  # fmt: skip

    def _first_number_is_1():
        # The «[#1]» tags must name the same first ticket in both runs; a rollback (and the tests
        # before this one) leave PostgreSQL's sequence on.
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT setval(%s, 1, false)", [NUMBER_SEQUENCE])

    _first_number_is_1()
    with transaction.atomic():
        for raw in raws:
            with django_capture_on_commit_callbacks(execute=True):
                ingest(raw, source="other")
        one_by_one = outcomes()
        transaction.set_rollback(True)
    _first_number_is_1()
    _store(raws)
    assert process_waiting(limit=50) == len(one_by_one)
    batched = outcomes()
    assert not InboundEmail.objects.filter(status=InboundEmail.Status.RECEIVED).exists()
    differ = [(one_by_one.get(digest), batched.get(digest)) for digest in set(one_by_one) | set(batched)]
    assert [pair for pair in differ if pair[0] != pair[1]] == []


def _reopening_replies(tickets, tag):
    raws = []
    for n, ticket in enumerate(tickets):
        message = EmailMessage()
        message["From"] = ticket.client_email
        message["Subject"] = f"Re: [#{ticket.number}]"
        message["Message-ID"] = f"<{tag}-{n}@client.ru>"
        message["In-Reply-To"] = _first_email(ticket).message_id
        message.set_content(f"Снова сломалось {n}")
        raws.append(message.as_bytes())
    return raws


def _reopened_as(ticket):
    """What a reopened ticket shows: its status and dates, its timeline's move, the notice to its
    assignee and the SLA clock set again."""
    ticket.refresh_from_db()
    moves = Activity.objects.filter(target_type__model="ticket", target_id=ticket.pk, verb=Activity.Verb.MOVED)
    notice = Notification.objects.get(
        recipient=ticket.assignee, target_id=ticket.pk, key__startswith="servicedesk.client_reply:"
    )
    pending = ScheduledAction.objects.filter(target_id=ticket.pk, status="pending").values_list("action", flat=True)
    return {
        "status": ticket.status,
        "resolved": ticket.resolved_at,
        "deferred_until": ticket.deferred_until,
        "entries": ticket.stage_entry_count,
        "moves": sorted((m.data["from"], m.data["to"], m.key) for m in moves),
        "notice": told_of(notice)[0].replace(str(ticket), "#"),
        "timers": sorted(pending),
    }


def test_replies_reopening_2_or_10_tickets_take_the_same_queries_and_reopen_as_one_alone():
    """Each reply to a done (or deferred) ticket moved its ticket alone (``workflow.move``):
    5 such replies cost 55 queries, 10 cost 90. Now they are moved together (``move_many``)."""
    counts, batched = [], []
    for size in (2, 10):
        tickets = _tickets(size)
        for n, ticket in enumerate(tickets):
            if n % 2:
                services.ticket_defer(ticket=ticket, by=None, reason="ждём ответа")
            else:
                services.ticket_complete(ticket=ticket, by=None)
        _store(_reopening_replies(tickets, tag=f"reopen{size}"))
        ContentType.objects.clear_cache()
        with CaptureQueriesContext(connection) as captured:
            done = process_batch(limit=size)
        assert [row.reason for row in done] == ["reply"] * size
        counts.append(len(captured))
        batched += tickets
    assert counts[0] == counts[1], counts
    # The same as a reply processed alone (a batch of one: ``workflow.move``'s single path).
    alone = _tickets(2)
    services.ticket_complete(ticket=alone[0], by=None)
    services.ticket_defer(ticket=alone[1], by=None, reason="ждём ответа")
    for raw in _reopening_replies(alone, tag="alone"):
        ingest(raw, source="imap")
        assert [row.reason for row in process_batch(limit=1)] == ["reply"]
    for n, ticket in enumerate(batched):
        seen = _reopened_as(ticket)
        assert seen == _reopened_as(alone[n % 2])
        assert seen["status"] == TicketStatus.IN_PROGRESS and seen["resolved"] is None
        assert seen["deferred_until"] is None
        assert ("done" if n % 2 == 0 else "deferred", TicketStatus.IN_PROGRESS, "servicedesk.client_replied") in seen[
            "moves"
        ]
        assert seen["timers"], "the SLA clock runs again"


def _big_auto_replies(count, megabytes):
    raws = []
    line = "Я в отпуске. " * 70 + "\n"  # long lines: the parser's cost is per line
    body = line * (megabytes * 1024 * 1024 // len(line.encode()) + 1)
    for n in range(count):
        message = EmailMessage()
        message["From"] = f"away{n}@client.ru"
        message["Subject"] = "Автоответ"
        message["Message-ID"] = f"<big-{n}@client.ru>"
        message["Auto-Submitted"] = "auto-replied"
        message.set_content(body, cte="8bit")
        raws.append(message.as_bytes())
    return raws


def test_a_batch_stops_at_50_mb_of_raw_mail_and_the_task_takes_the_rest(eager_celery):
    from servicedesk.tasks import process_inbound_email

    raws = _big_auto_replies(3, 20)
    assert all(len(raw) > 20 * 1024 * 1024 for raw in raws)
    _store(raws)
    first = process_batch()
    assert [row.message_id for row in first] == ["<big-0@client.ru>", "<big-1@client.ru>"]
    assert InboundEmail.objects.filter(status=InboundEmail.Status.RECEIVED).get().message_id == "<big-2@client.ru>"
    InboundEmail.objects.filter(pk__in=[row.pk for row in first]).update(status=InboundEmail.Status.RECEIVED)
    # One publish serves a burst: the task queues itself again while messages are left waiting.
    assert process_inbound_email() == 2
    assert set(InboundEmail.objects.values_list("status", "reason")) == {(InboundEmail.Status.IGNORED, "auto_reply")}
