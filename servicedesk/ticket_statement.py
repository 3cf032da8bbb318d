"""The public form's common case in one SQL statement (PostgreSQL): number the ticket and INSERT it,
marked for its follow-up (``Ticket.follow_up_pending``). Atomic as every statement is, and one
round trip where a transaction takes four (BEGIN, nextval, INSERT, COMMIT), each a wait on a busy
server.

The statement's text is the same for every ticket, so it is built once per process from the
model's fields. Each call takes the row as the services build it (``Ticket(**row)``'s
fields) and turns it into parameters without building model instances first: the columns a
row does not name take the field's default as ``Model.__init__`` would, the moments save() sets
take the row's moment, and each value is converted as save() would, once per field kind (a
string, number, flag or moment goes as it is; a related object as its key; anything else through
the field's ``get_db_prep_save``). The parameters travel apart from the text (server-side
binding): nothing is quoted into the SQL, and the server parses the same text every time.

The number is taken by the same expression as a staff ticket's (``models.tickets.next_number_sql``),
embedded in the statement. The search text that save() derives holds the ticket's number, unknown
until the statement runs: it is derived with a stand-in number that the statement replaces.
"""

from dataclasses import dataclass
from typing import Any

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections, models

from .models import Ticket
from .models.tickets import next_number_sql

# Far above any real ticket number, so the search text holds it nowhere else.
NUMBER_STAND_IN = 987_654_321_987_654_321

_TICKET_EXPRESSIONS = {
    "number": ("(SELECT number FROM next_number)", 0),
    "search_text": ("replace(%s, %s, '#' || (SELECT number FROM next_number))", 2),
}
# Columns an accepted ticket never fills yet: left out of the statement, they take
# their column's default, NULL (no parameter to convert and send for them in every post).
# ``insert_accepted`` refuses a row that has one of them set rather than drop the value.
_LEFT_EMPTY = {
    Ticket: frozenset(
        {
            "contact_id",
            "company_id",
            "contract_id",
            "created_by_id",
            "follows_id",
            "deferred_until",
            "first_reaction_at",
            "resolved_at",
            "reaction_work_seconds",
            "resolution_work_seconds",
        }
    ),
}
# Field kinds whose ``get_db_prep_save`` gives a value of the row's own type back unchanged (on
# PostgreSQL, with aware moments): their values go as they are.
_AS_IS = (models.CharField, models.TextField, models.BooleanField, models.IntegerField, models.DateTimeField)

_statement: str | None = None


@dataclass(frozen=True)
class Column:
    field: models.Field
    as_is: bool  # else converted by the field
    expression: bool  # filled by the statement itself (no parameter of its own)

    def value(self, row: dict, now) -> Any:
        """The column's value for ``row`` as save() would store it (Python side, before conversion)."""
        field = self.field
        if field.attname in row:
            return row[field.attname]
        if field.name in row:
            related = row[field.name]
            return related.pk if field.is_relation and related is not None else related
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            return now
        return field.get_default()

    def parameter(self, value, db) -> Any:
        return value if self.as_is else self.field.get_db_prep_save(value, connection=db)


def insert_accepted(ticket: dict, *, now) -> Ticket:
    """Store the ticket ``ticket`` (by its fields, as ``Ticket(**row)`` takes them) with the next
    number; the stored ticket back, with its id and number.

    ``now``: the row's moment, which the fields save() sets to its own moment (``auto_now``) take."""
    filled = sorted(name for name in _LEFT_EMPTY[Ticket] if _named(Ticket, ticket, name) is not None)
    if filled:
        raise ValueError(f"the intake statement stores no {', '.join(filled)}")
    db = connections[DEFAULT_DB_ALIAS]
    values = {column.field.attname: column.value(ticket, now) for column in columns(Ticket) if not column.expression}
    values.update(Ticket.derived_columns({**values, "number": NUMBER_STAND_IN}))
    next_number, number_params = next_number_sql(db)
    params = list(number_params)
    for column in columns(Ticket):
        name = column.field.attname
        if name == "search_text":
            params += [values["search_text"], f"#{NUMBER_STAND_IN}"]
        elif not column.expression:
            params.append(column.parameter(values[name], db))
    db.close_if_health_check_failed()
    db.ensure_connection()
    raw = psycopg.Cursor(db.connection)
    with db.make_debug_cursor(raw) if db.queries_logged else db.make_cursor(raw) as cursor:
        cursor.execute(_statement or _build(db, next_number), params)
        pk, number, search_text = cursor.fetchone()
    # The instance callers read (its number, client link, deadlines): the row as stored.
    named = {f.attname for f in Ticket._meta.concrete_fields if f.name in ticket or f.attname in ticket}
    stored = Ticket(**ticket, **{name: value for name, value in values.items() if name not in named})
    stored.pk, stored.number, stored.search_text = pk, number, search_text
    stored._state.adding, stored._state.db = False, db.alias
    return stored


def _named(model, row: dict, attname: str):
    """The value ``row`` gives the column ``attname``, by that name or its field's (None if neither)."""
    return row.get(attname, row.get(model._meta.get_field(attname).name))


_columns: dict = {}


def columns(model) -> list[Column]:
    """The statement's columns of ``model``, in order (built once per process)."""
    if model not in _columns:
        _columns[model] = [
            Column(
                field,
                as_is=isinstance(field.target_field if field.is_relation else field, _AS_IS),
                expression=field.attname in _TICKET_EXPRESSIONS,
            )
            for field in _fields(model)
        ]
    return _columns[model]


def _fields(model) -> list:
    return [
        f
        for f in model._meta.local_concrete_fields
        if not f.primary_key and not f.generated and f.attname not in _LEFT_EMPTY[model]
    ]


def _insert(model, expressions: dict, db) -> str:
    quote = db.ops.quote_name
    fields = _fields(model)
    columns = ", ".join(quote(f.column) for f in fields)
    values = ", ".join(expressions.get(f.attname, ("%s", 1))[0] for f in fields)
    return f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({values})"  # noqa: S608


def _build(db, next_number: str) -> str:
    global _statement
    _statement = (
        f"WITH next_number AS MATERIALIZED (SELECT {next_number} AS number) "
        f"{_insert(Ticket, _TICKET_EXPRESSIONS, db)} RETURNING id, number, search_text"
    )
    return _statement
