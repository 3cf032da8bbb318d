"""Writing many rows of one model in one statement, for the clock's batches.

Django's ``bulk_update`` builds a ``CASE WHEN id = … THEN …`` per field and row: for 100 rows
and 8 fields that is 800 expressions resolved in Python, more time than the database takes
(issue 17's profile: half the follow-up batch). On PostgreSQL ``update_rows`` sends
``UPDATE … FROM (VALUES …)`` instead, each value prepared as ``save()`` would prepare it.
"""

from django.db import connection


def update_rows(model, rows: list, fields: list[str]) -> None:
    """Write ``fields`` of the saved instances ``rows`` in one UPDATE."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model._base_manager.bulk_update(rows, fields)
        return
    quote = connection.ops.quote_name
    columns = [model._meta.pk, *(model._meta.get_field(name) for name in fields)]
    # The first row carries the types (the VALUES list has none of its own).
    first = "(" + ", ".join(f"%s::{field.cast_db_type(connection)}" for field in columns) + ")"
    other = "(" + ", ".join(["%s"] * len(columns)) + ")"
    values = ", ".join([first] + [other] * (len(rows) - 1))
    names = ", ".join(quote(field.column) for field in columns)
    table = quote(model._meta.db_table)
    assignments = ", ".join(f"{quote(field.column)} = v.{quote(field.column)}" for field in columns[1:])
    params = [
        field.get_db_prep_save(getattr(row, field.attname), connection=connection) for row in rows for field in columns
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {assignments} FROM (VALUES {values}) AS v ({names}) "  # noqa: S608 - names from models
            f"WHERE {table}.{quote(columns[0].column)} = v.{quote(columns[0].column)}",
            params,
        )
