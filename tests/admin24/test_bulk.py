"""``admin24.bulk``: rows written in one statement read back as they were given, whatever their
texts hold, and get their pks in the order they were given."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from admin24 import bulk
from admin24.models import Department

AWKWARD = ['He said "no"', "C:\\path\\to", "{braces}, commas", "NULL", "", "  spaced  ", "Ёж «ёлка»\nвторая строка"]


def test_awkward_texts_are_written_as_they_were_given_with_their_pks_in_order(db):
    rows = [Department(name=name) for name in AWKWARD]

    with CaptureQueriesContext(connection) as queries:
        bulk.insert_rows(rows)

    assert len(queries) == 1
    assert [row.pk for row in rows] == sorted(row.pk for row in rows)
    assert {row.pk: row.name for row in rows} == dict(Department.objects.values_list("pk", "name"))
    assert not rows[0]._state.adding, "a written row saves as an update"


def test_a_row_updated_in_bulk_reads_back_every_awkward_text(db):
    rows = [Department.objects.create(name=f"d{n}") for n, _name in enumerate(AWKWARD)]
    for row, name in zip(rows, AWKWARD, strict=True):
        row.name = name

    bulk.update_rows(rows, ["name"])

    assert sorted(Department.objects.values_list("name", flat=True)) == sorted(AWKWARD)
