"""Board text search: one lowercase ``search_text`` column per searchable model.

SQLite's LIKE and LOWER() fold only ASCII letters, so ``icontains`` misses «клиент» in
«Клиент»; and an ``ILIKE`` over five columns cannot use an index. A model keeps a normalised
copy of the text its board searches, written by ``save()`` (like the normalised phone and email
next to it); the search is a plain ``LIKE`` on that one column, which a pg_trgm GIN index serves
on PostgreSQL (see the crm and servicedesk ``search_indexes`` migrations).
"""

from collections.abc import Iterable
from typing import ClassVar

from django.db import models


def normalise(text: str) -> str:
    """Lowercase, «ё» read as «е» (people type either), runs of whitespace as one space."""
    return " ".join(str(text).lower().replace("ё", "е").split())


class SearchText(models.Model):
    """Abstract base: ``search_source`` names the fields whose text goes into ``search_text``."""

    search_text = models.TextField(default="", blank=True, editable=False)
    search_source: ClassVar[tuple[str, ...]] = ()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields is None or set(update_fields) & set(self.search_source):
            self.refresh_search_text()
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)

    def search_values(self) -> Iterable:
        return (getattr(self, name) for name in self.search_source)

    def refresh_search_text(self) -> None:
        self.search_text = text_of(self.search_values())


def text_of(values: Iterable) -> str:
    """The ``search_text`` of a row whose searched values are ``values`` (the empty ones left out)."""
    return normalise(" ".join(str(value) for value in values if value))


def backfill(queryset, values, *, batch: int = 2000) -> None:
    """For a data migration: fill ``search_text`` of existing rows; ``values(row)`` gives the text."""
    manager = queryset.model._default_manager
    rows = []
    for row in queryset.iterator(chunk_size=batch):
        row.search_text = text_of(values(row))
        rows.append(row)
        if len(rows) == batch:
            manager.bulk_update(rows, ["search_text"])
            rows = []
    if rows:
        manager.bulk_update(rows, ["search_text"])


def trigram_index_sql(table: str, name: str) -> tuple[str, str]:
    """Forward and backward SQL of a pg_trgm GIN index on ``table.search_text``."""
    return (
        f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (search_text gin_trgm_ops)",
        f"DROP INDEX IF EXISTS {name}",
    )
