"""Writing many rows in statements whose cost does not grow with Python work per row — and, inside
``one_statement``, several such writes in one round trip.

On PostgreSQL the values travel as one JSON array of rows, each a list of the columns' texts,
taken apart by ``jsonb_array_elements`` and cast to each column's type: one parameter, whatever
the number of rows. (One text array per column cost psycopg ~0.45 ms of Python per row of 26
columns, escaping element by element; one ``json.dumps`` of them all costs a fifth of that.
``jsonb``, not ``json``: ``->>`` on ``json`` parses the row's text again for every column,
which took PostgreSQL 3.5 s for 1,000 rows of 26 columns against 0.7 s.)
Elsewhere (SQLite in development) they are Django's bulk_create / bulk_update.
"""

import datetime
import functools
import json
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import connection, transaction
from django.db.models import DateField, DateTimeField, Field, JSONField
from django.utils import timezone

# The writes held by the innermost ``one_statement`` block: (SQL, params, what to call with its rows).
_held: ContextVar[list | None] = ContextVar("admin24_bulk_held", default=None)


@contextmanager
def one_statement():
    """Hold the writes of ``update_rows``, ``insert_rows`` and ``insert_new`` made inside, and send
    them when the block ends as one statement (PostgreSQL: one data-modifying CTE each), one
    round trip instead of one per write. Elsewhere, and for any other write, each goes at once.

    For code whose reads inside the block do not depend on its own held writes, and that writes
    a row once: the parts of one statement see the same snapshot, not each other's changes.
    Nothing is written when the block raises."""
    if connection.vendor != "postgresql" or _held.get() is not None:
        yield  # nested: the outer block sends them
        return
    held: list = []
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
    _send(held)


def update_rows(rows, fields: list[str]) -> None:
    """``Model.objects.bulk_update(rows, fields)`` in one statement.

    Django's bulk_update builds a ``CASE WHEN id = … THEN …`` expression per row and field, which
    costs some 2 ms of Python per row and field (5 s for a batch of 300 rows of eight fields on a
    busy machine); here the values are one JSON array of rows (``_params``).
    """
    if not rows:
        return
    model = type(rows[0])
    if connection.vendor != "postgresql":
        model.objects.bulk_update(rows, fields)
        return
    meta, quote = model._meta, connection.ops.quote_name
    columns = [meta.pk] + [meta.get_field(name) for name in fields]
    _names, values = _columns(columns)
    params = _params(columns, rows)
    sets = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}::{f.db_type(connection)}" for f in columns[1:])
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    _write(f"UPDATE {table} SET {sets} FROM {values} AS v WHERE {table}.{pk} = v.{pk}::bigint", params)  # noqa: S608
    forget_generated(rows)


def forget_generated(rows) -> None:
    """Drop the rows' copies of the columns the database generates from the others (``GeneratedField``),
    after a write that does not return them: the next read of one loads it afresh, once (Django's
    deferred field), instead of the value from before the write."""
    names = _generated(type(rows[0])) if rows else ()
    for row in rows if names else ():
        for name in names:
            row.__dict__.pop(name, None)


@functools.cache
def _generated(model) -> tuple[str, ...]:
    return tuple(field.attname for field in model._meta.concrete_fields if field.generated)


def insert_rows(rows) -> None:
    """``Model.objects.bulk_create(rows)`` in one statement: the rows get their pks, as saved rows
    (rows whose pk is set keep it). Held by ``one_statement``, they get no pks (nobody reads
    them back)."""
    rows = list(rows)
    if not rows:
        return
    if connection.vendor != "postgresql":
        type(rows[0]).objects.bulk_create(rows)
        return
    sql, params = _insert(rows)
    if _held.get() is not None:
        _write(sql, params)
        return
    if rows[0].pk is not None:
        _write(sql, params)
        _saved(rows)
        return

    def numbered(returned):
        # RETURNING gives the rows in the order they were read, the JSON array's (what Django's
        # own bulk_create on PostgreSQL relies on as well, for its VALUES and its unnest).
        for row, (pk,) in zip(rows, returned, strict=True):
            row.pk = pk
        _saved(rows)

    _write(f"{sql} RETURNING {connection.ops.quote_name(type(rows[0])._meta.pk.column)}", params, numbered)


def insert_values(model, rows: list[dict]) -> None:
    """``insert_rows`` of rows given as their fields' values (attname → value, or a relation's
    name → the related row; a field not given takes its default, an ``auto_now(_add)`` moment the
    time of writing) instead of model instances: for rows only written, that nobody reads back —
    they get no pks. A clock batch
    writes thousands (timers, timeline entries), and Django's ``Model.__init__`` of each, with the
    relations' checks before the INSERT, cost more than taking its values apart for the statement."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**row) for row in rows])
        return
    columns, _deriving, sql = _insert_statement(model, False)
    moments = _moments(model)
    # The defaults once per batch, but those a callable makes (each row its own ``dict()``, uuid …).
    fixed = {f.attname: f.get_default() for f in columns if not callable(f.default) and f.attname not in moments}
    made = [f for f in columns if callable(f.default) and f.attname not in moments]
    relations = [f for f in columns if f.is_relation]
    values = []
    for row in rows:
        full = {**fixed, **{f.attname: f.get_default() for f in made if f.attname not in row}, **row}
        for field in relations:
            if field.name in full:
                related = full[field.name]
                full[field.attname] = None if related is None else related.pk
        for name in moments:
            full[name] = timezone.now()  # what pre_save sets, row by row as save() would
        values.append([_text(field, full[field.attname]) for field in columns])
    _write(sql, [json.dumps(values)])


@functools.cache
def _moments(model) -> frozenset[str]:
    """The columns of ``model``'s INSERT that ``auto_now(_add)`` sets; ``insert_values`` derives no other."""
    _columns, deriving, _sql = _insert_statement(model, False)
    automatic = [f for f in deriving if isinstance(f, DateField) and (f.auto_now or f.auto_now_add)]
    # A date's today is not timezone.now(); a file is saved by its pre_save.
    dates = [f for f in automatic if not isinstance(f, DateTimeField)]
    others = [f.name for f in deriving if not isinstance(f, DateField) or f in dates]
    if others:
        raise TypeError(f"insert_values() cannot derive {', '.join(others)}: use insert_rows()")
    return frozenset(f.attname for f in automatic)


def _saved(rows) -> None:
    for row in rows:
        row._state.adding, row._state.db = False, connection.alias
    forget_generated(rows)


def insert_new(rows, unique: str, *, then: Callable[[list], None]) -> None:
    """Insert ``rows`` (unsaved, of one model) but those whose ``unique`` field's value is taken
    already (by another row, or one committed meanwhile by another transaction), then call
    ``then`` with the rows written, their pks set (when a ``one_statement`` block ends, if held).
    On PostgreSQL ``INSERT … ON CONFLICT DO NOTHING RETURNING``; elsewhere a look-up of the values
    taken, then bulk_create. A value twice in ``rows`` is written once, from its first row."""
    first: dict = {}
    for row in rows:
        first.setdefault(getattr(row, unique), row)
    if not first:
        return
    model = type(next(iter(first.values())))
    if connection.vendor != "postgresql":
        # One transaction, which SQLite begins IMMEDIATE (the write lock from the start): no other
        # writer takes a value between the look-up and the INSERT.
        with transaction.atomic():
            taken = set(model._default_manager.filter(**{f"{unique}__in": list(first)}).values_list(unique, flat=True))
            written = model._default_manager.bulk_create([row for value, row in first.items() if value not in taken])
        then(written)
        return
    quote = connection.ops.quote_name
    sql, params = _insert(list(first.values()))
    key = quote(model._meta.get_field(unique).column)
    sql += f" ON CONFLICT ({key}) DO NOTHING RETURNING {quote(model._meta.pk.column)}, {key}::text"

    def written(returned):
        pks = {value: pk for pk, value in returned}
        inserted = []
        for value, row in first.items():
            if str(value) in pks:
                row.pk = pks[str(value)]
                inserted.append(row)
        _saved(inserted)
        then(inserted)

    _write(sql, params, written)


def next_ids(model, count: int) -> list[int]:
    """``count`` unused pks for ``model``'s new rows, for rows inserted with their pks set (so that
    rows referring to them can be built before any INSERT). For SQLite, where a transaction holds
    the database's one write lock from its start (``transaction_mode`` IMMEDIATE), so nobody else
    takes these meanwhile; on PostgreSQL a query folds ``nextval`` into its own reads instead."""
    if not count:
        return []
    if connection.vendor != "sqlite":
        raise NotImplementedError("take ids from the sequence (nextval) in a read of your own")
    with connection.cursor() as cursor:
        # AUTOINCREMENT's counter: never an id used before, even by a row since deleted.
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [model._meta.db_table])
        row = cursor.fetchone()
    last = row[0] if row else 0
    return list(range(last + 1, last + 1 + count))


def _write(sql: str, params: list, then: Callable | None = None) -> None:
    held = _held.get()
    if held is not None:
        held.append((sql, params, then))
        return
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if then is not None:
            then(cursor.fetchall())


def _send(held: list) -> None:
    """The held writes as one statement: each a CTE, the rows they return tagged with its place."""
    if not held:
        return
    if len(held) == 1:
        _write(*held[0])
        return
    parts, params, returned = [], [], []
    for place, (sql, part_params, then) in enumerate(held):
        parts.append(f"w{place} AS ({sql})")
        params += part_params
        if then is not None:
            returned.append(f"SELECT {place}, w{place}.* FROM w{place}")  # noqa: S608 - our own names
    tail = " UNION ALL ".join(returned) or "SELECT NULL"
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(parts)} {tail}", params)
        rows = cursor.fetchall() if returned else []
    for place, (_sql, _params, then) in enumerate(held):
        if then is not None:
            then([row[1:] for row in rows if row[0] == place])


def _insert(rows) -> tuple[str, list]:
    """The INSERT of ``rows`` (one model), with their pks when set, else the column's default."""
    columns, deriving, sql = _insert_statement(type(rows[0]), rows[0].pk is not None)
    for row in rows:
        row._prepare_related_fields_for_save(operation_name="bulk_create")  # as bulk_create: a parent saved since
        for field in deriving:
            setattr(row, field.attname, field.pre_save(row, add=True))  # auto_now_add, as save() sets them
    return sql, _params(columns, rows)


@functools.cache
def _insert_statement(model, with_pk: bool) -> tuple[list, list, str]:
    """The columns of ``model``'s INSERT and its text, built once per process: for a row or two
    (a message the mail pipe stores) building them cost as much as the statement's round trip."""
    meta, quote = model._meta, connection.ops.quote_name
    columns = [f for f in meta.local_concrete_fields if (with_pk or not f.primary_key) and not f.generated]
    # Only the fields that derive their value when saved (auto_now_add, files): the others' pre_save
    # reads the attribute back, 60,000 calls for a clock batch's writes.
    deriving = [field for field in columns if type(field).pre_save is not Field.pre_save]
    names, values = _columns(columns)
    casts = ", ".join(f"v.{quote(f.column)}::{f.db_type(connection)}" for f in columns)
    return columns, deriving, f"INSERT INTO {quote(meta.db_table)} ({names}) SELECT {casts} FROM {values} AS v"  # noqa: S608


def _columns(columns) -> tuple[str, str]:
    """The columns' names, and a subquery of the rows' values (``_params``) as texts in columns of those names."""
    quoted = [connection.ops.quote_name(field.column) for field in columns]
    taken = ", ".join(f"e->>{place} AS {name}" for place, name in enumerate(quoted))
    return ", ".join(quoted), f"(SELECT {taken} FROM jsonb_array_elements(%s::jsonb) AS e)"  # noqa: S608 - our own names


def _params(columns, rows) -> list:
    """``_columns``' one parameter: the rows, each a list of its columns' texts, as one JSON array."""
    return [json.dumps([[_text(field, getattr(row, field.attname)) for field in columns] for row in rows])]


def _text(field, value) -> str | None:
    """The column's value as the text PostgreSQL casts back to the column's type."""
    if isinstance(field, JSONField):
        return json.dumps(value, cls=field.encoder)
    # A plain text, number or aware moment is what the column's cast reads already (the most
    # of a batch's values: a clock batch writes 60,000, and Django's preparation of each cost
    # a third of writing them).
    kind = type(value)
    if value is None:
        return None
    if kind is str:
        return value
    if kind is int:
        return str(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is datetime.datetime and value.tzinfo is not None and isinstance(field, DateTimeField):
        return value.isoformat()
    value = field.get_db_prep_save(value, connection=connection)
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
