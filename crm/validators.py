"""Checks of Russian company requisites, and of the dates contracts are planned by."""

import datetime
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_INN10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_FIRST = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_SECOND = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _check_digit(digits: list[int], weights: tuple[int, ...]) -> int:
    return sum(d * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def is_valid_inn(value: str) -> bool:
    """A 10-digit (organisation) or 12-digit (person) INN whose check digits match."""
    if not (value.isascii() and value.isdigit()) or len(value) not in (10, 12):
        return False
    digits = [int(c) for c in value]
    if len(digits) == 10:
        return _check_digit(digits, _INN10) == digits[9]
    return _check_digit(digits, _INN12_FIRST) == digits[10] and _check_digit(digits, _INN12_SECOND) == digits[11]


def validate_inn(value: str) -> None:
    if not is_valid_inn(value):
        raise ValidationError(_("The INN must have 10 or 12 digits with correct check digits."), code="invalid_inn")


def validate_kpp(value: str) -> None:
    if not re.fullmatch(r"\d{4}[\dA-Z]{2}\d{3}", value):
        raise ValidationError(_("The KPP must have 9 characters: 4 digits, 2 digits or letters, 3 digits."))


FIRST_CONTRACT_DATE = datetime.date(1990, 1, 1)
LAST_CONTRACT_DATE = datetime.date(2099, 12, 31)


def validate_contract_date(value: datetime.date | None) -> None:
    """Payments, reminders and the renewal are planned from a contract's dates by month and
    working-day arithmetic; a typo such as the year 9999 would overflow it."""
    if value is not None and not FIRST_CONTRACT_DATE <= value <= LAST_CONTRACT_DATE:
        raise ValidationError(
            _("Give a date between %(first)s and %(last)s.")
            % {"first": FIRST_CONTRACT_DATE.strftime("%d.%m.%Y"), "last": LAST_CONTRACT_DATE.strftime("%d.%m.%Y")},
            code="date_out_of_range",
        )
