"""The ticket board's CSV export: on PostgreSQL written by the database (``COPY … TO STDOUT``), with
the same rows and cells as the Python path SQLite uses — labels in the reader's language, moments in
the reader's time zone, the formula guard, the access rules of the board."""

import csv
import datetime
import io
import zoneinfo

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from crm.models import Contract, Deal, DealPipeline, RegularStage
from servicedesk import services
from servicedesk.boards import ticket_board
from servicedesk.models import Ticket, TicketStatus
from tests.factories import CompanyFactory, UserFactory

from .conftest import msk
from .staff_helpers import new_ticket

pytestmark = pytest.mark.django_db

CSV = reverse("servicedesk:csv")
NOW = msk(2026, 11, 24, 12, 0)
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="COPY is PostgreSQL's; SQLite exports through Python"
)


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def export(client, **params) -> str:
    response = client.get(CSV, {"status": "all", **params})
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode()


@pytest.fixture
def varied(desk, service, engineer):
    """Tickets whose cells take every path: each status, formula-like and quoted text, no
    assignee, a name-less assignee, an empty client name, a company named by the CRM, a contract,
    a company that owes, deadlines missing, past and breached."""
    with time_machine.travel(NOW - datetime.timedelta(days=3), tick=False):
        debtor = CompanyFactory(name="=Должник")
        Deal.objects.create(
            title="Абонентка",
            pipeline=DealPipeline.REGULAR,
            stage=RegularStage.INVOICE_SENT,
            company=debtor,
            stage_changed_at=NOW - datetime.timedelta(days=60),
        )
        made = [
            new_ticket(service, subject=f"Тема {i}", company=f"ООО «Клиент {i}»", email=f"c{i}@client.ru")
            for i in range(8)
        ]
    with time_machine.travel(NOW - datetime.timedelta(days=1), tick=False):
        services.ticket_start(ticket=made[1], by=engineer)
        services.ticket_defer(ticket=made[2], by=engineer)
        services.ticket_start(ticket=made[3], by=engineer)
        services.ticket_complete(ticket=made[3], by=engineer)
    nameless = UserFactory(username="nameless", first_name="", last_name="")
    contract = Contract.objects.create(
        number="-2026/7", company=debtor, signed_on=datetime.date(2026, 1, 1), ends_on=datetime.date(2026, 12, 31)
    )
    changes = [
        {"subject": '=HYPERLINK("http://x", 1)', "client_phone": "+79990001122", "client_name": ""},
        {"subject": 'Кавычки "и", запятые\nстрока 2', "assignee": None},
        {"subject": "@cmd", "assignee": nameless, "client_email": "", "client_name": "-Минус"},
        {"subject": "\tтабуляция", "company": debtor, "client_company": "", "contract": contract},
        {"company": debtor, "resolution_due_at": None, "reaction_due_at": None},
        {"reaction_breached": True},
        {"resolution_due_at": NOW - datetime.timedelta(hours=1)},
        {"client_company": "+7 компания", "first_reaction_at": None},
    ]
    for ticket, change in zip(made, changes, strict=True):
        Ticket.objects.filter(pk=ticket.pk).update(**change)
    return made


@pytest.fixture
def new_yorker(client, engineer):
    """The engineer signed in, reading English in New York time."""
    engineer.time_zone = "America/New_York"
    engineer.save()
    client.force_login(engineer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return engineer


@postgresql_only
def test_postgresql_writes_the_export_the_python_path_writes(client, engineer, varied, new_yorker):
    with time_machine.travel(NOW, tick=False):
        with CaptureQueriesContext(connection) as queries:
            text = export(client)
        with translation.override("en"), timezone.override(NEW_YORK):
            queryset = ticket_board.filtered(engineer, ticket_board.filter_form(engineer, {"status": "all"}))
            expected = "".join(ticket_board.python_csv_lines(queryset.order_by("-created_at", "-pk")))
    assert any(query["sql"].startswith("COPY (SELECT") for query in queries)
    assert rows(text) == rows(expected)
    assert len(rows(text)) == 1 + len(varied)
    # What the reader sees, in English and New York time:
    by_number = {row[0]: row for row in rows(text)}
    done, resolved = by_number[varied[3].display_number], Ticket.objects.get(pk=varied[3].pk).resolved_at
    assert done[2] == "Done" and done[15] == resolved.astimezone(NEW_YORK).strftime("%Y-%m-%d %H:%M")
    assert by_number[varied[0].display_number][1] == '\'=HYPERLINK("http://x", 1)'
    assert by_number[varied[1].display_number][1] == 'Кавычки "и", запятые\nстрока 2'
    assert by_number[varied[3].display_number][10] == "payment overdue"
    assert by_number[varied[4].display_number][10] == "no active contract, payment overdue"


@postgresql_only
def test_the_copy_export_keeps_the_boards_access_rules_and_filters(client, engineer, varied, service):
    outsider = UserFactory(username="outsider")
    client.force_login(outsider)
    assert len(rows(export(client))) == 1  # the header only: no ticket rights
    client.force_login(engineer)
    overdue = rows(export(client, overdue="1"))[1:]
    with time_machine.travel(timezone.now(), tick=False):
        expected = {t.display_number for t in Ticket.objects.all() if t.is_overdue}
    assert {row[0] for row in overdue} == expected and expected


def test_the_export_speaks_the_readers_language_and_time_zone(client, varied, new_yorker):
    """On either database: the status label in English and the moment in New York time."""
    with time_machine.travel(NOW, tick=False):
        found = {row[0]: row for row in rows(export(client))}
    header = found.pop("Number")
    done = found[varied[3].display_number]
    assert header[2] == "Status" and done[2] == str(TicketStatus.DONE.label) == "Done"
    created = varied[3].created_at
    assert done[7] == created.astimezone(NEW_YORK).strftime("%Y-%m-%d %H:%M")
    assert done[7] != timezone.localtime(created).strftime("%Y-%m-%d %H:%M")  # not Moscow time
    nameless = found[varied[2].display_number]
    assert nameless[1] == "'@cmd" and nameless[5] == "'-Минус" and nameless[6] == "nameless"
    assert found[varied[3].display_number][9] == "'-2026/7"
