"""The email intake's notes and the outbox's reasons stored as text before they had keys get them
(issue 13 §1): the schema goes back to before the message fields (servicedesk 0014, notifications
0003, crm 0014), rows are written as the old code wrote them — in Russian and in English — and the
migrations forward turn our sentences into keys, leaving what people and servers wrote as written.
"""

import pytest
from django.utils import translation

from notifications.models import OutboxMessage
from servicedesk.models import Ticket, TicketComment

BEFORE_THE_MESSAGES = [
    ("servicedesk", "0014_ticket_indexes_for_intake_and_my_tickets"),
    ("notifications", "0003_staff_telegram"),
    ("crm", "0014_stays_of_logged_moves"),
]


def _outbox(Old, n: int, status: str, last_error: str) -> int:
    return Old.objects.create(
        channel="email",
        address="buh@romashka.example",
        template="invoice",
        language="ru",
        subject="Счёт",
        body_text="x",
        message_id=f"<{n}@localhost>",
        idempotency_key=f"old-{n}",
        next_attempt_at="2027-08-02T09:00:00Z",
        status=status,
        last_error=last_error,
    ).pk


@pytest.mark.django_db(transaction=True)
def test_old_notes_and_reasons_get_their_keys_and_typed_ones_stay(migrate):
    old = migrate(BEFORE_THE_MESSAGES)
    OldTicket, OldComment = old.get_model("servicedesk", "Ticket"), old.get_model("servicedesk", "TicketComment")
    OldOutbox = old.get_model("notifications", "OutboxMessage")

    untitled = OldTicket.objects.create(
        number=9001, subject="(без темы)", description="\nНе печатает принтер\nСрочно", source="email"
    )
    untitled_en = OldTicket.objects.create(number=9002, subject="(no subject)", client_email="x@y.ru", source="email")
    typed = OldTicket.objects.create(number=9003, subject="(без темы) принтер", source="email")
    comments = {
        name: OldComment.objects.create(ticket=untitled, public=public, source=source, body=body).pk
        for name, public, source, body in [
            ("attached", True, "email", "<p>(приложены файлы)</p>"),
            ("attached_en", True, "email", "<p>(files attached)</p>"),
            ("telegram", True, "telegram", "<p>(файлы)</p>"),
            ("refused", False, "email", "<p>Файлы письма не приняты (тип или размер): run.exe, R&amp;D.bat</p>"),
            ("refused_en", False, "email", "<p>Files of the email not accepted (type or size): run.exe</p>"),
            ("typed", True, "email", "<p>Файлы письма не приняты, почему?</p>"),
        ]
    }
    renewal = "Продление договора 2026-00001: ООО «Ромашка»"
    outbox = {
        "returned": _outbox(OldOutbox, 1, "failed", "Возвращено почтовым сервером: 550 5.1.1 User unknown"),
        "returned_en": _outbox(OldOutbox, 2, "failed", "Returned by the mail server: 550 5.1.1 User unknown"),
        "superseded": _outbox(
            OldOutbox,
            3,
            "cancelled",
            f"Период с 01.08.2027 оплачивается по продлению «{renewal}» (договор от 02.08.2027).",
        ),
        "superseded_en": _outbox(
            OldOutbox,
            4,
            "cancelled",
            f"The period from 1 Aug 2027 is billed under the renewal “{renewal}” (contract of 2 Aug 2027).",
        ),
        "server": _outbox(OldOutbox, 5, "failed", "SMTPRecipientsRefused: 550 relay denied"),
    }

    migrate()

    assert Ticket.objects.get(pk=untitled.pk).subject == "Не печатает принтер"
    assert Ticket.objects.get(pk=untitled_en.pk).subject == "x@y.ru"
    assert Ticket.objects.get(pk=typed.pk).subject == "(без темы) принтер"
    assert Ticket.objects.filter(search_text__contains="не печатает принтер").get().pk == untitled.pk
    comment = {name: TicketComment.objects.get(pk=pk) for name, pk in comments.items()}
    row = {name: OutboxMessage.objects.get(pk=pk) for name, pk in outbox.items()}
    assert comment["typed"].body_message == {} and row["server"].last_error_message == {}
    for language, shown in {
        "en": {
            "attached": "<p>(files attached)</p>",
            "refused": "<p>Files of the email not accepted: run.exe, R&amp;D.bat (type or size)</p>",
            "refused_en": "<p>Files of the email not accepted: run.exe (type or size)</p>",
            "returned": "Returned by the mail server: 550 5.1.1 User unknown",
            "superseded": (
                f"The period from 1 Aug 2027 is billed under the renewal “{renewal}” (contract of 2 Aug 2027)."
            ),
        },
        "ru": {
            "attached": "<p>(приложены файлы)</p>",
            "refused": "<p>Файлы письма не приняты: run.exe, R&amp;D.bat (тип или размер)</p>",
            "refused_en": "<p>Файлы письма не приняты: run.exe (тип или размер)</p>",
            "returned": "Возвращено почтовым сервером: 550 5.1.1 User unknown",
            "superseded": f"Период с 01.08.2027 оплачивается по продлению «{renewal}» (договор от 02.08.2027).",
        },
    }.items():
        with translation.override(language):
            for name in ("attached", "attached_en", "telegram"):
                assert comment[name].shown_body == shown["attached"], name
            assert comment["refused"].shown_body == shown["refused"]
            assert comment["refused_en"].shown_body == shown["refused_en"]
            assert comment["typed"].shown_body == "<p>Файлы письма не приняты, почему?</p>"
            assert row["returned"].shown_last_error == row["returned_en"].shown_last_error == shown["returned"]
            assert row["superseded"].shown_last_error == row["superseded_en"].shown_last_error == shown["superseded"]
            assert row["server"].shown_last_error == "SMTPRecipientsRefused: 550 relay denied"
