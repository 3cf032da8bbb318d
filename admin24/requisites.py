"""Checks of Russian company requisites: INN, KPP and OGRN."""

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


OGRN_LENGTHS = {13: 11, 15: 13}  # length -> divisor of the check digit (OGRN, OGRNIP)


def validate_ogrn(value: str) -> None:
    divisor = OGRN_LENGTHS.get(len(value))
    if not (value.isascii() and value.isdigit()) or divisor is None or int(value[:-1]) % divisor % 10 != int(value[-1]):
        raise ValidationError(
            _("The OGRN must have 13 digits (15 for a sole proprietor) with a correct check digit."),
            code="invalid_ogrn",
        )
