"""CSV export that Excel opens correctly and that cannot smuggle formulas into a spreadsheet."""

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from decimal import Decimal

from django.utils import timezone, translation

BOM = "\ufeff"  # without it Excel reads UTF-8 as the ANSI code page and garbles Cyrillic
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 2000


class _Echo:
    def write(self, value):
        return value


def safe_cell(value) -> object:
    """A cell as text a spreadsheet shows and never evaluates (OWASP "CSV injection")."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(value) else value
    if isinstance(value, int | float | Decimal):
        return value
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def csv_rows(fields, queryset) -> Iterator[str]:
    """The export's lines. The response streams them after the view returned, so the request's
    time zone and language (the user's) are captured now and put back around the rows."""
    zone, language = timezone.get_current_timezone(), translation.get_language()

    def rows():
        writer = csv.writer(_Echo())
        with timezone.override(zone), translation.override(language):
            yield BOM + writer.writerow([str(field.label) for field in fields])
            for obj in queryset.iterator(chunk_size=CHUNK):
                yield writer.writerow([safe_cell(field.value(obj)) for field in fields])

    return rows()


def moment_cell(zone) -> Callable:
    """A moment as ``safe_cell`` writes it, in ``zone``, without looking the zone up per value."""

    def cell(value):
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if value is not None else ""

    return cell


def text_cell(value) -> str:
    """``safe_cell`` for a text column: the formula guard only."""
    if not value:
        return ""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def csv_value_lines(labels, rows: Callable[[], Iterable[list]]) -> Iterator[str]:
    """The export's lines from plain rows (``rows()`` yields lists of cells already made safe:
    ``text_cell``, ``moment_cell``, numbers): for exports of many rows, read with
    ``values_list`` and their labels mapped once, not through a model instance and a field
    function per cell. Written ``CHUNK`` rows at a time; the request's time zone and language
    are put back around the rows as in ``csv_rows``."""
    zone, language = timezone.get_current_timezone(), translation.get_language()

    def lines():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        with timezone.override(zone), translation.override(language):
            writer.writerow([str(label) for label in labels])
            yield BOM + buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
            for cells in rows():
                writer.writerow(cells)
                pending += 1
                if pending == CHUNK:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
                    pending = 0
            if pending:
                yield buffer.getvalue()

    return lines()
