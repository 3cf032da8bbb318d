"""Normalised forms of emails and phones, so look-ups ignore case and formatting; what a phone number is."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_NON_DIGITS = re.compile(r"\D")


def normalize_email(value: str | None) -> str:
    return (value or "").strip().lower()


def normalize_phone(value: str | None) -> str:
    """E.164-like digits: `+7 (999) 123-45-67`, `89991234567` and `9991234567` all give `+79991234567`.

    Russian numbers are written with a leading 8 or without the country code at all, so both
    are read as +7. Anything without digits gives an empty string.
    """
    digits = _NON_DIGITS.sub("", value or "")
    if not digits:
        return ""
    if len(digits) == 10:
        digits = "7" + digits
    elif len(digits) == 11 and digits[0] == "8":
        digits = "7" + digits[1:]
    return "+" + digits


def validate_phone(value: str) -> None:
    digits = normalize_phone(value)[1:]
    if not 10 <= len(digits) <= 15:
        raise ValidationError(_("Enter a phone number with 10 to 15 digits."), code="invalid_phone")
