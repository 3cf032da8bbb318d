"""Checks of the dates contracts are planned by (the requisites are checked by ``admin24.requisites``)."""

import datetime

from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext_lazy as _

FIRST_CONTRACT_DATE = datetime.date(1990, 1, 1)
LAST_CONTRACT_DATE = datetime.date(2099, 12, 31)


def validate_contract_date(value: datetime.date | None) -> None:
    """Payments, reminders and the renewal are planned from a contract's dates by month and
    working-day arithmetic; a typo such as the year 9999 would overflow it."""
    if value is not None and not FIRST_CONTRACT_DATE <= value <= LAST_CONTRACT_DATE:
        raise ValidationError(
            _("Give a date between %(first)s and %(last)s.")
            % {
                "first": formats.date_format(FIRST_CONTRACT_DATE, "SHORT_DATE_FORMAT"),
                "last": formats.date_format(LAST_CONTRACT_DATE, "SHORT_DATE_FORMAT"),
            },
            code="date_out_of_range",
        )
