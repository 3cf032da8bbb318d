"""Query-string filters of the API lists, read so that a malformed value is a clear 400.

A raw query value reaches the database otherwise: an id past the integer column's range or a date
like 2027-02-30 would each end as a server error. (A NUL byte never gets here:
``admin24.middleware`` refuses it for every request.)
"""

import datetime

from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

MAX_ID = 2**31 - 1
MAX_TEXT = 200


class QueryParams:
    def __init__(self, params):
        self._params = params

    def text(self, name: str) -> str:
        """The stripped value, "" when absent."""
        value = (self._params.get(name) or "").strip()
        if len(value) > MAX_TEXT:
            raise ValidationError({name: _("Use at most %(limit)d characters.") % {"limit": MAX_TEXT}})
        return value

    def slugs(self, name: str) -> list[str]:
        """A comma-separated list (stages, statuses); empty when absent."""
        return [slug.strip() for slug in self.text(name).split(",") if slug.strip()]

    def id(self, name: str) -> int | None:
        value = self.text(name)
        if not value:
            return None
        if not (value.isascii() and value.isdigit()) or not 0 < int(value) <= MAX_ID:
            raise ValidationError({name: _("Give the id as a positive whole number.")})
        return int(value)

    def date(self, name: str) -> datetime.date | None:
        value = self.text(name)
        if not value:
            return None
        try:
            day = parse_date(value)
        except ValueError:
            day = None
        if day is None:
            raise ValidationError({name: _("Use the YYYY-MM-DD format.")})
        return day

    def flag(self, name: str) -> bool:
        return self.text(name).lower() in ("1", "true", "yes")
