"""System texts stored as what happened — a message key and its parameters — and rendered in the
language of whoever reads them.

A robot's task title, a history entry, a reminder is never stored as text in the language that
happened to be active when it was written. Each app registers its keys with a lazy gettext
template of named parameters (``messages.register("crm.invoice_sent", _("The invoice is sent to
%(address)s."))``); the code that writes a row stores ``Message(key, **params).stored`` (JSON:
``{"key": …, "params": …}``) and whoever shows it calls ``render`` — a page and the API in the
request's language, emails and in-app notifications inside ``translation.override`` of the
recipient's language. ``str(message)`` renders in the active language, so a ``Message`` can be
given wherever text is expected (``notify_staff``'s title and text).

A parameter keeps what it means, not a rendering of it:

* a system label that is a choice (a stage, a status: ``LeadStage.UNREACHABLE``) is kept as its
  code and shown as that choice's label in the reader's language;
* a lazy gettext string (a field's verbose name) is kept as its msgid and translated when shown;
* a date or datetime is kept in ISO form and formatted by the reader's language's short format;
* a user is kept as their id and name (names are what people typed, in no language);
* a ``Message`` nests (a reminder's title inside its history entry);
* anything else is kept as text or number as it is.

Rows written before a key existed keep their text: ``render`` falls back to it when there is no
key, the key is unknown, or the parameters no longer fit the template. Data administrators type
(qualification questions, lost reasons, checklist templates) is data, not a message.
"""

from __future__ import annotations

import datetime
import enum
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext, pgettext

log = logging.getLogger(__name__)

_TEMPLATES: dict[str, Promise | str] = {}


def register(key: str, template: Promise | str) -> str:
    """Make ``key`` render as ``template`` (a lazy gettext string with ``%(name)s`` parameters)."""
    if key in _TEMPLATES and str(_TEMPLATES[key]) != str(template):
        raise ValueError(f"message key {key!r} is registered twice with different templates")
    _TEMPLATES[key] = template
    return key


def is_registered(key: str) -> bool:
    return key in _TEMPLATES


@dataclass(frozen=True)
class Message:
    """A registered key and its parameters; ``str()`` renders it in the active language."""

    key: str
    params: dict

    def __init__(self, key: str, /, **params):
        if key not in _TEMPLATES:
            raise KeyError(f"message key {key!r} is not registered")
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "params", stored_params(params))

    @classmethod
    def from_stored(cls, stored: dict | None) -> Message | None:
        """The message ``stored`` holds again (None when empty or its key is not registered)."""
        if not stored or stored.get("key") not in _TEMPLATES:
            return None
        message = cls.__new__(cls)
        object.__setattr__(message, "key", stored["key"])
        object.__setattr__(message, "params", dict(stored.get("params") or {}))
        return message

    @property
    def stored(self) -> dict:
        """The JSON a model keeps: ``{"key": …, "params": …}``."""
        return {"key": self.key, "params": self.params}

    def __str__(self) -> str:
        return render(self.key, self.params)


def render(key: str, params: dict | None = None, *, fallback: str = "") -> str:
    """The text of ``key`` with ``params`` in the active language; ``fallback`` for an old row.

    Never raises: an unknown key or parameters that do not fit give ``fallback`` (or the key).
    """
    template = _TEMPLATES.get(key or "")
    if template is None:
        return fallback or (key or "")
    try:
        return str(template) % {name: _shown(value) for name, value in (params or {}).items()}
    except (KeyError, TypeError, ValueError):
        log.warning("message %r: parameters %r do not fit its template", key, params)
        return fallback or key


def render_stored(stored: dict | None, *, fallback: str = "") -> str:
    """``render`` for the JSON ``Message.stored`` wrote (empty or missing: ``fallback``)."""
    stored = stored or {}
    if not stored.get("key"):
        return fallback
    return render(stored["key"], stored.get("params"), fallback=fallback)


def site_text(text) -> str:
    """``text`` (a ``Message``, a lazy string) in the site's language (``LANGUAGE_CODE``): the copy
    a text column keeps beside its message, for search and the Django admin — the same whoever
    happened to be active when it was written."""
    return site_texts([text])[0]


def site_texts(texts) -> list[str]:
    """``site_text`` of each of ``texts``, in one switch of language (a batch's)."""
    with translation.override(settings.LANGUAGE_CODE):
        return [str(text) for text in texts]


def user_param(user) -> dict | None:
    """A person as a parameter: their id and the name shown (None stays None)."""
    if user is None:
        return None
    return {"user": user.pk, "name": str(user)}


def stored_params(params: dict) -> dict:
    """``params`` as JSON that keeps what each means (the rules above): what a row stores."""
    return {name: _stored(value) for name, value in params.items()}


def live_params(stored: dict | None) -> dict:
    """What ``stored_params`` kept, back as values for a template in the active language: a message
    rendered, a label translated, a date as a date, a person as their name."""
    return {name: _live(value) for name, value in (stored or {}).items()}


def _stored(value):
    if isinstance(value, enum.Enum) and hasattr(value, "label"):
        # A choice (a stage, a status): its code, labelled in the reader's language when shown.
        kind = type(value)
        return {"choice": f"{kind.__module__}.{kind.__qualname__}", "value": value.value}
    if isinstance(value, Message):
        return {"message": value.key, "params": value.params}
    if isinstance(value, Promise):
        # A lazy gettext string keeps its msgid (and context) so that it is translated when shown.
        args = getattr(value, "_args", ())
        if len(args) == 1 and isinstance(args[0], str):
            return {"msgid": args[0]}
        if len(args) == 2 and all(isinstance(arg, str) for arg in args):
            return {"msgid": args[1], "context": args[0]}
        return str(value)
    if isinstance(value, datetime.datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"date": value.isoformat()}
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "_meta") and getattr(value._meta, "label_lower", "") and hasattr(value, "get_username"):
        return user_param(value)
    if isinstance(value, (list, tuple)):
        return [_stored(item) for item in value]
    if value is None or isinstance(value, (str, int, float, bool, dict)):
        return value
    return str(value)


def _live(value):
    if isinstance(value, list):
        return [_live(item) for item in value]
    if not isinstance(value, dict):
        return value
    if "message" in value:
        return render(value["message"], value.get("params"))
    if "msgid" in value:
        return pgettext(value["context"], value["msgid"]) if value.get("context") else gettext(value["msgid"])
    if "choice" in value:
        return _choice_label(value["choice"], value.get("value"))
    if "date" in value:
        return datetime.date.fromisoformat(value["date"])
    if "datetime" in value:
        return datetime.datetime.fromisoformat(value["datetime"])
    if "user" in value:
        return value.get("name") or f"#{value['user']}"
    return value


def _choice_label(path: str, code) -> str:
    try:
        return str(import_string(path)(code).label)
    except (ImportError, ValueError, TypeError, AttributeError):
        return str(code)  # a choice since removed: its code rather than nothing


def _shown(value):
    return _formatted(_live(value))


def _formatted(value):
    if isinstance(value, list):
        return ", ".join(str(_formatted(item)) for item in value)
    if value is None:
        return "—"
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return formats.date_format(value, "SHORT_DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, dict):
        return str(value)
    return value
