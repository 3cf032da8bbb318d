"""HTML repeated many times on one page (a board's cards, a table's rows), rendered without the
template engine.

A template costs per variable, filter, tag and include it meets, for every row: at 200 cards a
board spent more time in the engine than in all of its SQL. A ``Fragment`` is the row's HTML as a
format string, parsed once at import; rendering it is one ``str.format`` with every value escaped
the way the templates' autoescaping does (``html.escape``; a value already marked safe — another
fragment's output — is kept as it is). What the row says is computed beforehand in Python, texts
translated once per page, so a fragment holds no logic and no language.
"""

from html import escape

from django.utils.safestring import SafeData, SafeString


def escaped(value) -> str:
    """``value`` as the templates' ``{{ value }}`` writes it: none is empty, safe text is kept."""
    if isinstance(value, SafeData):
        return value
    return escape("" if value is None else str(value), quote=True)


class Fragment:
    """``Fragment('<a href="{url}">{title}</a>').render(url=…, title=…)``: safe HTML, values escaped."""

    __slots__ = ("_format",)

    def __init__(self, source: str):
        self._format = source.format

    def render(self, **values) -> SafeString:
        return SafeString(self._format(**{name: escaped(value) for name, value in values.items()}))


def joined(parts) -> SafeString:
    """Rendered fragments one after the other, as safe HTML."""
    return SafeString("".join(parts))
