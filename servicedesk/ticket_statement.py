"""The public form's common case in one SQL statement (PostgreSQL): number the ticket, INSERT it
and its follow-up action. Atomic as every statement is, and one round trip where a transaction
takes five (BEGIN, nextval, two INSERTs, COMMIT), each a wait on a busy server.

The statement's text is the same for every ticket, so it is built once per process from the
models' fields; each call only turns the two rows into parameters, as save() would (each field's
``pre_save`` and ``get_db_prep_save``). The parameters travel apart from the text (server-side
binding): nothing is quoted into the SQL, and the server parses the same text every time.

The number is taken by the same expression as a staff ticket's (``models.tickets.next_number_sql``),
embedded in the statement. The search text that save() derives holds the ticket's number, unknown
until the statement runs: it is derived with a stand-in number that the statement replaces.
"""

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections

from admin24.models import ScheduledAction

from .models import Ticket
from .models.tickets import next_number_sql

# Far above any real ticket number, so the search text holds it nowhere else.
NUMBER_STAND_IN = 987_654_321_987_654_321

_TICKET_EXPRESSIONS = {
    "number": ("(SELECT number FROM next_number)", 0),
    "search_text": ("replace(%s, %s, '#' || (SELECT number FROM next_number))", 2),
}
_ACTION_EXPRESSIONS = {"target_id": ("(SELECT id FROM new_ticket)", 0)}
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

_statement: str | None = None


def insert_accepted(ticket: Ticket, action: ScheduledAction) -> None:
    """Store ``ticket`` with the next number and ``action`` aimed at it; both get their ids."""
    for row in (ticket, action):
        filled = [name for name in _LEFT_EMPTY[type(row)] if getattr(row, name) is not None]
        if filled:
            raise ValueError(f"the intake statement stores no {', '.join(sorted(filled))}")
    db = connections[DEFAULT_DB_ALIAS]
    ticket.number = NUMBER_STAND_IN
    ticket.prepare_insert()
    next_number, number_params = next_number_sql(db)
    params = list(number_params)
    for field in _fields(Ticket):
        if field.attname == "search_text":
            params += [ticket.search_text, f"#{NUMBER_STAND_IN}"]
        elif field.attname not in _TICKET_EXPRESSIONS:
            params.append(field.get_db_prep_save(field.pre_save(ticket, add=True), connection=db))
    for field in _fields(ScheduledAction):
        if field.attname not in _ACTION_EXPRESSIONS:
            params.append(field.get_db_prep_save(field.pre_save(action, add=True), connection=db))
    db.close_if_health_check_failed()
    db.ensure_connection()
    raw = psycopg.Cursor(db.connection)
    with db.make_debug_cursor(raw) if db.queries_logged else db.make_cursor(raw) as cursor:
        cursor.execute(_statement or _build(db, next_number), params)
        action.pk, ticket.pk, ticket.number, ticket.search_text = cursor.fetchone()
    action.target_id = ticket.pk
    for row in (ticket, action):
        row._state.adding, row._state.db = False, db.alias


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
        f"WITH next_number AS MATERIALIZED (SELECT {next_number} AS number), "  # noqa: S608
        f"new_ticket AS ({_insert(Ticket, _TICKET_EXPRESSIONS, db)} RETURNING id, number, search_text) "
        f"{_insert(ScheduledAction, _ACTION_EXPRESSIONS, db)} "
        "RETURNING id, target_id, (SELECT number FROM new_ticket), (SELECT search_text FROM new_ticket)"
    )
    return _statement
