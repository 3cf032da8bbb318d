"""``admin24.bulk`` writes each value as it is, whatever it holds: what a row says after a bulk
INSERT or UPDATE is what the code gave it (texts with quotes, backslashes, braces, commas and
lines; «NULL» as a text; JSON; times; numbers), and rows get their pks in the order they were given."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from admin24 import bulk
from admin24.models import Department, ScheduledAction

pytestmark = pytest.mark.django_db

AWKWARD = ['He said "no"', "C:\\path\\to", "{braces}, commas", "NULL", "", "  spaced  ", "Ёж «ёлка»\nвторая строка"]


def test_awkward_texts_are_written_as_they_were_given_with_their_pks_in_order():
    rows = [Department(name=name) for name in AWKWARD]

    with CaptureQueriesContext(connection) as queries:
        bulk.insert_rows(rows)

    assert len(queries) == 1
    assert [row.pk for row in rows] == sorted(row.pk for row in rows)
    assert {row.pk: row.name for row in rows} == dict(Department.objects.values_list("pk", "name"))
    assert not rows[0]._state.adding, "a written row saves as an update"


def test_a_row_updated_in_bulk_reads_back_every_awkward_text():
    rows = [Department.objects.create(name=f"d{n}") for n, _name in enumerate(AWKWARD)]
    for row, name in zip(rows, AWKWARD, strict=True):
        row.name = name

    bulk.update_rows(rows, ["name"])

    assert sorted(Department.objects.values_list("name", flat=True)) == sorted(AWKWARD)


TEXTS = ['a "quoted" \\ back\\slash', "{braces}, commas, (parens)", "NULL", "", "строка\nвторая\r\n\ttab", "'; --"]


def actions(texts):
    kind = ContentType.objects.get_for_model(Department)
    due = dt.datetime(2026, 3, 29, 0, 30, 15, 123456, tzinfo=dt.UTC)
    return [
        ScheduledAction(target_type=kind, target_id=n + 1, action=f"bulk.test.{n}", due_at=due, attempts=n,
                        payload={"text": text, "list": [1, None, "x"]}, last_error=text)
        for n, text in enumerate(texts)
    ]  # fmt: skip


def stored():
    rows = ScheduledAction.objects.filter(action__startswith="bulk.test.").order_by("target_id")
    return [(row.last_error, row.payload, row.due_at, row.attempts) for row in rows]


def test_inserted_and_updated_rows_hold_what_was_given():
    written = actions(TEXTS)
    with bulk.one_statement():
        bulk.insert_rows(written)
    assert stored() == [(row.last_error, row.payload, row.due_at, row.attempts) for row in written]
    rows = list(ScheduledAction.objects.filter(action__startswith="bulk.test.").order_by("target_id"))
    for row, text in zip(rows, reversed(TEXTS), strict=True):
        row.last_error, row.payload = text, {"again": text}
    bulk.update_rows(rows, ["last_error", "payload"])
    assert [(error, payload) for error, payload, _due, _n in stored()] == [
        (text, {"again": text}) for text in reversed(TEXTS)
    ]


def test_a_moment_in_any_zone_and_a_missing_value_read_back_as_given():
    moscow = dt.datetime(2027, 1, 1, 0, 30, 0, 5, tzinfo=ZoneInfo("Europe/Moscow"))  # 31 Dec in UTC
    written = actions(["x", "y"])
    written[0].due_at, written[0].finished_at, written[1].finished_at = moscow, None, moscow
    bulk.insert_rows(written)
    first, second = ScheduledAction.objects.filter(pk__in=[row.pk for row in written]).order_by("pk")
    assert first.due_at == moscow and first.due_at.astimezone(dt.UTC).day == 31
    assert first.finished_at is None and second.finished_at == moscow


def test_value_rows_are_written_with_their_defaults_and_the_moment_of_writing():
    department = Department.objects.create(name="d")
    type_id = ContentType.objects.get_for_model(Department).pk
    due = dt.datetime(2027, 3, 1, 9, 30, tzinfo=ZoneInfo("Europe/Moscow"))
    rows = [
        {"target_type_id": type_id, "target_id": department.pk, "action": "a", "payload": {"n": n}, "due_at": due}
        for n in range(3)
    ]

    with CaptureQueriesContext(connection) as queries:
        bulk.insert_values(ScheduledAction, rows)

    assert len(queries) == 1
    written = ScheduledAction.objects.order_by("pk")
    assert [(row.payload, row.due_at, row.status, row.attempts, row.stage_token) for row in written] == [
        ({"n": n}, due, ScheduledAction.Status.PENDING, 0, "") for n in range(3)
    ]
    assert all(row.created_at is not None for row in written)
