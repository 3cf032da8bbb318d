"""The Russian production calendar ("производственный календарь") as data.

The `holidays` package (pinned 0.109) knows the public holidays of art. 112 of the Labour Code,
the Government's transfers of days off for 2025–2027 and the days off moved by art. 112 when a
holiday falls on a weekend. It has no shortened pre-holiday days (art. 95) and leaves working
Saturdays implicit, so for the years below we ship every exception to the Monday–Friday week
ourselves, each with the decree it comes from; tests/admin24/test_worktime.py checks that the
package and this data agree on every day off, so a package upgrade that disagrees is noticed.
Years not listed here fall back to the package plus the art. 95 rule (the working day right
before a public holiday is one hour shorter).

Sources, checked against copies of the official calendar (ConsultantPlus, xmlcalendar.ru data):
- 2025: Постановление Правительства РФ от 04.10.2024 № 1335 «О переносе выходных дней в 2025 году».
- 2026: Постановление Правительства РФ от 24.09.2025 № 1466 «О переносе выходных дней в 2026 году».
- 2027: Постановление Правительства РФ от 17.09.2026 № 1187 «О переносе выходных дней в 2027 году»
  (ConsultantPlus document LAW_544706, the source the `holidays` package cites for its 2027 data).
"""

import datetime
import functools
from dataclasses import dataclass

import holidays
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

HOLIDAY = "holiday"
DAY_OFF = "day_off"
WORKING = "working"
SHORT = "short"

D = datetime.date

DECREES = {
    2025: "Постановление Правительства РФ от 04.10.2024 № 1335",
    2026: "Постановление Правительства РФ от 24.09.2025 № 1466",
    2027: "Постановление Правительства РФ от 17.09.2026 № 1187",
}

# (the day off, the weekend day or holiday it was moved from), as the decree lists them.
# A moved day that was an ordinary Saturday becomes a working day.
TRANSFERS = {
    2025: [
        (D(2025, 5, 2), D(2025, 1, 4)),
        (D(2025, 12, 31), D(2025, 1, 5)),
        (D(2025, 5, 8), D(2025, 2, 23)),
        (D(2025, 6, 13), D(2025, 3, 8)),
        (D(2025, 11, 3), D(2025, 11, 1)),
    ],
    2026: [
        (D(2026, 1, 9), D(2026, 1, 3)),
        (D(2026, 12, 31), D(2026, 1, 4)),
    ],
    2027: [
        (D(2027, 11, 5), D(2027, 1, 2)),
        (D(2027, 12, 31), D(2027, 1, 3)),
        (D(2027, 2, 22), D(2027, 2, 20)),
    ],
}

# Art. 112 part 2: a holiday on a weekend moves the day off to the next working day by itself
# (the decree moves the rest). (the day off, the holiday that moved it)
MOVED_BY_LAW = {
    2025: [],
    2026: [(D(2026, 3, 9), D(2026, 3, 8)), (D(2026, 5, 11), D(2026, 5, 9))],
    2027: [(D(2027, 5, 3), D(2027, 5, 1)), (D(2027, 5, 10), D(2027, 5, 9)), (D(2027, 6, 14), D(2027, 6, 12))],
}

# Art. 95: the working day right before a public holiday is one hour shorter. A transferred
# working Saturday keeps the length of the day it swapped with (Minzdravsotsrazvitiya order
# 588n), which is why 1 Nov 2025 (swapped with 3 Nov, the eve of 4 Nov) and 20 Feb 2027
# (swapped with 22 Feb, the eve of 23 Feb) are short. For 1 Nov 2025 ConsultantPlus's note on
# the 2025 norm lists only three short days, while the Government's and Rostrud's explanations
# (reported by Kommersant and RIA, October 2025) shorten it too; we follow the latter.
SHORT_DAYS = {
    2025: [D(2025, 3, 7), D(2025, 4, 30), D(2025, 6, 11), D(2025, 11, 1)],
    2026: [D(2026, 4, 30), D(2026, 5, 8), D(2026, 6, 11), D(2026, 11, 3)],
    2027: [D(2027, 2, 20), D(2027, 4, 30), D(2027, 6, 11), D(2027, 11, 3)],
}

SHIPPED_YEARS = frozenset(DECREES)


@dataclass(frozen=True)
class ProductionDay:
    kind: str
    note: str  # lazily translated: resolved in the language active when it is shown


def production_day(day: datetime.date) -> ProductionDay | None:
    """The production calendar's word on a date, or None when the ordinary working week applies."""
    return _year(day.year).get(day)


@functools.cache
def _year(year: int) -> dict[datetime.date, ProductionDay]:
    if year not in SHIPPED_YEARS:
        return _from_package(year)
    # Only the holidays themselves come from the package here: observed=False leaves out the
    # days off it moves by art. 112, and the Government's transfers are replaced below.
    moved = {day for day, _source in TRANSFERS[year] + MOVED_BY_LAW[year]}
    holidays_only = holidays.country_holidays("RU", years=year, observed=False)
    days = {day: ProductionDay(HOLIDAY, _holiday_name(day)) for day in holidays_only if day not in moved}
    decree = DECREES[year]
    for day_off, source in TRANSFERS[year]:
        days[day_off] = ProductionDay(
            DAY_OFF, format_lazy(_("Day off moved from {date} ({decree})"), date=_dmy(source), decree=decree)
        )
        if source not in days and source.weekday() >= 5:
            days[source] = ProductionDay(
                WORKING, format_lazy(_("Working day, the day off moved to {date}"), date=_dmy(day_off))
            )
    for day_off, holiday in MOVED_BY_LAW[year]:
        days[day_off] = ProductionDay(
            DAY_OFF, format_lazy(_("Day off for the holiday of {date} (Labour Code art. 112)"), date=_dmy(holiday))
        )
    moved_to = {source: day_off for day_off, source in TRANSFERS[year]}
    for day in SHORT_DAYS[year]:
        note = _("Pre-holiday day, one hour shorter (Labour Code art. 95)")
        if day.weekday() >= 5:
            note = format_lazy(
                _("Working day, the day off moved to {date}; one hour shorter, as that day would be"),
                date=_dmy(moved_to[day]),
            )
        days[day] = ProductionDay(SHORT, note)
    return days


def _from_package(year: int) -> dict[datetime.date, ProductionDay]:
    package = holidays.country_holidays("RU", years=year, language="ru")
    days = {}
    for day, name in package.items():
        # The package names every moved day off with a parenthesis: «Выходной (перенесено с
        # 04.01.2025)», «День Победы (выходной)»; the holidays themselves have none.
        days[day] = ProductionDay(DAY_OFF if "(" in name else HOLIDAY, _holiday_name(day))
    for day in package.weekend_workdays:
        days[day] = ProductionDay(WORKING, _("Working day by a transfer of days off"))
    for day, entry in list(days.items()):
        eve = day - datetime.timedelta(days=1)
        if entry.kind == HOLIDAY and eve.year == year and eve.weekday() < 5 and eve not in days:
            days[eve] = ProductionDay(SHORT, _("Pre-holiday day, one hour shorter (Labour Code art. 95)"))
    return days


@functools.cache
def _names(year: int, language: str) -> dict[datetime.date, str]:
    return dict(holidays.country_holidays("RU", years=year, language=language).items())


def _holiday_name_now(day: datetime.date) -> str:
    language = "ru" if (get_language() or "ru").startswith("ru") else "en_US"
    return _names(day.year, language).get(day, "")


_holiday_name = lazy(_holiday_name_now, str)


def _dmy(day: datetime.date) -> str:
    return day.strftime("%d.%m.%Y")
