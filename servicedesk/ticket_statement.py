"""The public form's common case in one SQL statement (PostgreSQL): number the ticket, INSERT it
and its follow-up action. Atomic as every statement is, and one round trip where a transaction
takes five (BEGIN, nextval, two INSERTs, COMMIT), each a wait on a busy server.

The statement's text is the same for every ticket, so it is built once per process from the
models' fields. Each call takes the two rows as the services build them (``Ticket(**row)``'s
fields) and turns them into parameters without building model instances first: the columns a
row does not name take the field's default as ``Model.__init__`` would, the moments save() sets
take the row's moment, and each value is converted as save() would, once per field kind (a
string, number, flag or moment goes as it is; a related object as its key; anything else through
the field's ``get_db_prep_save``). The parameters travel apart from the text (server-side
binding): nothing is quoted into the SQL, and the server parses the same text every time.

The number is taken by the same expression as a staff ticket's (``models.tickets.next_number_sql``),
embedded in the statement. The search text that save() derives holds the ticket's number, unknown
until the statement runs: it is derived with a stand-in number that the statement replaces.
"""

from functools import cache

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections, models

from admin24.models import ScheduledAction

from .models import Ticket
from .models.tickets import next_number_sql

# Far above any real ticket number, so the search text holds it nowhere else.
NUMBER_STAND_IN = 987_654_321_987_654_321

# Columns the statement fills itself: their SQL and their parameters (from the row's values).
_EXPRESSIONS = {
    Ticket: {
        "number": ("(SELECT number FROM next_number)", lambda values: []),
        "search_text": (
            "replace(%s, %s, '#' || (SELECT number FROM next_number))",
            lambda values: [values["search_text"], f"#{NUMBER_STAND_IN}"],
        ),
    },
    ScheduledAction: {"target_id": ("(SELECT id FROM new_ticket)", lambda values: [])},
}
# Columns an accepted ticket and its action never fill yet: left out of the statement, they take
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
    ScheduledAction: frozenset({"finished_at"}),
}
# Field kinds whose ``get_db_prep_save`` gives a value of the row's own type back unchanged (on
# PostgreSQL, with aware moments): their values go as they are, saving the conversion's cost.
_AS_IS = (models.CharField, models.TextField, models.BooleanField, models.IntegerField, models.DateTimeField)

_statement: str | None = None


def insert_accepted(ticket: dict, action: dict, *, now) -> Ticket:
    """Store the ticket ``ticket`` with the next number and the action ``action`` aimed at it (both
    by their fields, as ``Model(**row)`` takes them); the stored ticket back, with its id and number.

    ``now``: the rows' moment, which the fields save() sets to its own moment (``auto_now``) take."""
    for model, row in ((Ticket, ticket), (ScheduledAction, action)):
        filled = sorted(name for name in _LEFT_EMPTY[model] if _given(model._meta.get_field(name), row) is not None)
        if filled:
            raise ValueError(f"the intake statement stores no {', '.join(filled)}")
    db = connections[DEFAULT_DB_ALIAS]
    values = _values(Ticket, ticket, now)
    values.update(Ticket.derived_columns({**values, "number": NUMBER_STAND_IN}))
    next_number, params = next_number_sql(db)
    params = [
        *params,
        *_parameters(Ticket, values, db),
        *_parameters(ScheduledAction, _values(ScheduledAction, action, now), db),
    ]
    db.close_if_health_check_failed()
    db.ensure_connection()
    raw = psycopg.Cursor(db.connection)
    with db.make_debug_cursor(raw) if db.queries_logged else db.make_cursor(raw) as cursor:
        cursor.execute(_statement or _build(db, next_number), params)
        _action_id, pk, number, search_text, overdue_at = cursor.fetchone()
    # The instance callers read (its number, client link, deadlines): the row as stored.
    named = {f.attname for f in Ticket._meta.concrete_fields if f.name in ticket or f.attname in ticket}
    stored = Ticket(**ticket, **{name: value for name, value in values.items() if name not in named})
    stored.pk, stored.number, stored.search_text, stored.overdue_at = pk, number, search_text, overdue_at
    stored._state.adding, stored._state.db = False, db.alias
    return stored


_MISSING = object()


def _given(field, row: dict, missing=None):
    """The value ``row`` gives ``field``'s column, by its attname or its name (a related object as its key)."""
    if field.attname in row:
        return row[field.attname]
    if field.name in row:
        related = row[field.name]
        return related.pk if field.is_relation and related is not None else related
    return missing


def _values(model, row: dict, now) -> dict:
    """``row``'s value of each parameter column (attname → value) as save() would store it, before
    conversion: a column the row does not name takes the field's default as ``Model.__init__``
    would, or ``now`` where save() sets its own moment (``auto_now``)."""
    values, expressions = {}, _EXPRESSIONS[model]
    for field in _fields(model):
        if field.attname in expressions:
            continue
        value = _given(field, row, _MISSING)
        if value is _MISSING:
            auto_now = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
            value = now if auto_now else field.get_default()
        values[field.attname] = value
    return values


def _parameters(model, values: dict, db) -> list:
    """The statement's parameters for ``model``'s columns, in order, converted as save() would."""
    params, expressions, as_is = [], _EXPRESSIONS[model], _as_is(model)
    for field in _fields(model):
        name = field.attname
        if name in expressions:
            params += expressions[name][1](values)
        else:
            params.append(values[name] if name in as_is else field.get_db_prep_save(values[name], connection=db))
    return params


@cache
def _fields(model) -> tuple:
    """The statement's columns of ``model``, in order: its text and its parameters are built from this one list."""
    return tuple(
        f
        for f in model._meta.local_concrete_fields
        if not f.primary_key and not f.generated and f.attname not in _LEFT_EMPTY[model]
    )


@cache
def _as_is(model) -> frozenset:
    """The columns of ``_fields(model)`` whose values go as they are (``_AS_IS``; a key as its target's)."""
    return frozenset(f.attname for f in _fields(model) if isinstance(f.target_field if f.is_relation else f, _AS_IS))


def _insert(model, db) -> str:
    quote = db.ops.quote_name
    fields = _fields(model)
    columns = ", ".join(quote(f.column) for f in fields)
    values = ", ".join(_EXPRESSIONS[model].get(f.attname, ("%s",))[0] for f in fields)
    return f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({values})"  # noqa: S608


def _build(db, next_number: str) -> str:
    global _statement
    _statement = (
        f"WITH next_number AS MATERIALIZED (SELECT {next_number} AS number), "  # noqa: S608
        f"new_ticket AS ({_insert(Ticket, db)} RETURNING id, number, search_text, overdue_at) "
        f"{_insert(ScheduledAction, db)} RETURNING id, target_id, "
        "(SELECT number FROM new_ticket), (SELECT search_text FROM new_ticket), (SELECT overdue_at FROM new_ticket)"
    )
    return _statement
