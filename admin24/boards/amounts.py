"""Money as boards show it: whole units, grouped digits in the reader's locale."""

from decimal import Decimal

from django.utils import formats


def format_amount(value) -> str:
    if value is None:
        return ""
    return formats.number_format(Decimal(value), decimal_pos=0, use_l10n=True, force_grouping=True)
