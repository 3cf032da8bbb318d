"""HTML repeated many times on one page (a board's cards, a table's rows), rendered without the
template engine.

A template costs per variable, filter, tag and include it meets, for every row: at 200 cards a
board spent more time in the engine than in all of its SQL. A ``Fragment`` is the row's HTML as a
format string, parsed once at import; rendering it is one ``str.format`` with every value escaped
the way the templates' autoescaping does (``html.escape``; a value already marked safe — another
fragment's output — is kept as it is). What the row says is computed beforehand in Python, texts
translated once per page, so a fragment holds no logic and no language.
"""

import datetime
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from html import escape

from django import forms
from django.template.defaultfilters import floatformat
from django.utils import dateformat, dates, formats, timezone
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


def _attributes(attrs: dict) -> str:
    # As django/forms/widgets/attrs.html: False leaves the attribute out, True writes its name alone.
    return "".join(
        f" {name}" if value is True else f' {name}="{escaped(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


class FragmentSelect(forms.Select):
    """A ``Select`` writing the HTML of Django's ``select.html`` in Python: the template includes
    ``select_option.html`` and ``attrs.html`` for every option, and a board's filters (every user
    among the assignees) spent more on their options than the board on its counts."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f'<select name="{escaped(widget["name"])}"{_attributes(widget["attrs"])}>']
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{escaped(group_name)}">')
            parts.extend(
                f'\n  <option value="{escaped(str(option["value"]))}"{_attributes(option["attrs"])}>'
                f"{escaped(option['label'])}</option>\n"  # select_option.html ends with a new line
                for option in options
            )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return SafeString("".join(parts))


class FragmentInput:
    """Mixed into an ``Input`` widget: writes django/forms/widgets/input.html in Python."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        shown = "" if widget["value"] is None else f' value="{escaped(str(widget["value"]))}"'
        return SafeString(
            f'<input type="{escaped(widget["type"])}" name="{escaped(widget["name"])}"{shown}'
            f"{_attributes(widget['attrs'])}>"
        )


# The widgets a page renders many of, by the class Django gives a field: their fragment twins.
FRAGMENT_WIDGETS = {
    forms.Select: FragmentSelect,
    **{
        widget: type(f"Fragment{widget.__name__}", (FragmentInput, widget), {})
        for widget in (forms.TextInput, forms.DateInput, forms.HiddenInput, forms.CheckboxInput, forms.NumberInput)
    },
}


def use_fragment_widgets(form: forms.Form) -> None:
    """Let every field of ``form`` whose widget has a fragment twin render with it (same HTML)."""
    for field in form.fields.values():
        fast = FRAGMENT_WIDGETS.get(type(field.widget))
        if fast is not None:
            field.widget.__class__ = fast  # a subclass that only renders differently


# Django's format characters that are plain numbers, as str.format fields of a datetime (``{0}``);
# ``M`` is the month's short name in the current language (``{1}``).
_NUMERIC = {
    "d": "{0.day:02d}",
    "j": "{0.day}",
    "m": "{0.month:02d}",
    "n": "{0.month}",
    "Y": "{0.year:04d}",
    "H": "{0.hour:02d}",
    "G": "{0.hour}",
    "i": "{0.minute:02d}",
    "s": "{0.second:02d}",
    "M": "{1}",
}


def _compiled(format_string: str) -> Callable | None:
    """``format_string`` as a function of a date or naive datetime, or None when it has more than
    ``_NUMERIC`` (or escapes) and must go through ``dateformat``."""
    pieces = dateformat.re_formatchars.split(format_string)
    if "\\" in format_string or any(piece not in _NUMERIC for piece in pieces[1::2]):
        return None
    template = "".join(
        _NUMERIC[piece] if i % 2 else piece.replace("{", "{{").replace("}", "}}") for i, piece in enumerate(pieces)
    )
    months = [""] + [str(dates.MONTHS_3[month]).title() for month in range(1, 13)]
    return lambda value: template.format(value, months[value.month])


def moment_writer(format_string: str) -> Callable[[datetime.datetime], str]:
    """``lambda moment: dateformat.format(timezone.localtime(moment), format_string)`` for the
    many moments of one page: the time zone and, for the formats the project uses ("d.m.Y H:i",
    "j M H:i"…), the format are read once, where ``date_format`` parses the format, checks the
    zone for ambiguity and looks the names up again for every value (150 µs a card). Other
    formats fall back to ``dateformat`` itself."""
    zone = timezone.get_current_timezone()
    write = _compiled(format_string)
    if write is None:
        return lambda moment: dateformat.format(moment.astimezone(zone), format_string)
    return lambda moment: write(moment.astimezone(zone))


def day_writer(format_string: str) -> Callable[[datetime.date], str]:
    """``lambda day: dateformat.format(day, format_string)`` for many dates (``moment_writer``'s
    way, without a time zone)."""
    return _compiled(format_string) or (lambda day: dateformat.format(day, format_string))


def amount_writer() -> Callable[[Decimal], str]:
    """``lambda amount: floatformat(amount, "2g")`` for the many amounts of one page (two decimal
    places, grouped thousands, in the active language's separators): the separators are read
    once, where ``floatformat`` looks the format settings up again for every value. Grouping
    other than by threes falls back to ``floatformat`` itself."""
    grouping = formats.get_format("NUMBER_GROUPING")
    if grouping not in (0, 3):
        return lambda amount: floatformat(amount, "2g")
    thousands = formats.get_format("THOUSAND_SEPARATOR") if grouping else ""
    decimal = formats.get_format("DECIMAL_SEPARATOR")
    table = str.maketrans({",": thousands, ".": decimal})
    # ROUND_HALF_UP, as floatformat rounds (the amounts are stored with two places anyway).
    cents = Decimal("0.01")
    return lambda amount: f"{Decimal(amount).quantize(cents, ROUND_HALF_UP):,.2f}".translate(table)
