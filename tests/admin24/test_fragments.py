"""admin24.fragments writes what Django's templates and date_format write, only faster."""

import copy
import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django import forms
from django.template import engines
from django.template.defaultfilters import floatformat
from django.utils import formats, timezone, translation
from django.utils.translation import pgettext

from admin24.fragments import Fragment, FragmentInput, FragmentSelect, amount_writer, day_writer, moment_writer

ZONES = ["Europe/Moscow", "America/New_York", "Asia/Kamchatka", "UTC"]


def test_a_fragment_escapes_every_value_as_autoescaping_does_and_keeps_safe_ones():
    row = Fragment('<a href="{url}" title="{title}">{text}</a>')
    inner = Fragment("<b>{x}</b>").render(x="1 < 2")
    html = row.render(url="/t/1/?a=1&b=2", title='say "hi"', text=inner)
    assert html == '<a href="/t/1/?a=1&amp;b=2" title="say &quot;hi&quot;"><b>1 &lt; 2</b></a>'
    assert Fragment("{x}").render(x=None) == "" and Fragment("{x}").render(x="O'Brien") == "O&#x27;Brien"


@pytest.mark.parametrize("value", ["", "2", ["2"]])
def test_a_fragment_select_writes_what_the_django_select_writes(value):
    choices = [
        ("", "Любой"),
        ("1", 'Иванов "Иван" <b>'),
        ("2", "O'Brien & Co"),
        ("Группа <x>", [("3", "Три"), ("4", "Четыре")]),
    ]
    attrs = {"class": "form-select form-select-sm", "id": "id_who", "required": True, "disabled": False}
    for widget_class in (forms.Select, forms.SelectMultiple):
        fast_class = type("Fast", (FragmentSelect, widget_class), {})
        expected = widget_class(attrs=attrs, choices=choices).render("who", value)
        assert fast_class(attrs=attrs, choices=choices).render("who", value) == expected


def test_a_board_filter_form_renders_every_widget_as_django_would(engineer_with_board_rights):
    from servicedesk.boards import ticket_board

    data = {"status": "all", "scope": "mine", "q": 'a "b" <c>', "overdue": "1", "created_from": "2026-11-01"}
    form = ticket_board.filter_form(engineer_with_board_rights, data)
    for field in form:
        widget = field.field.widget
        assert isinstance(widget, (FragmentSelect, FragmentInput)), field.name
        slow = copy.copy(widget)
        slow.__class__ = next(base for base in type(widget).__mro__ if base.__module__.startswith("django."))
        assert str(field) == str(field.as_widget(widget=slow)), field.name


@pytest.fixture
def engineer_with_board_rights(db):
    from admin24.roles import Role
    from tests.factories import ServiceFactory, UserFactory

    ServiceFactory(name="Обслуживание <ПК>")
    UserFactory(last_name="О'Брайен", first_name="Анна")
    return UserFactory(roles=[Role.SUPPORT_ENGINEER])


def moments():
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    # Every month, both sides of the daylight-saving changes, midnight and the last minute of a day.
    yield from (start + datetime.timedelta(days=13 * i, hours=7 * i, minutes=11 * i) for i in range(60))
    yield datetime.datetime(2026, 3, 8, 6, 59, tzinfo=datetime.UTC)
    yield datetime.datetime(2026, 11, 1, 5, 30, tzinfo=datetime.UTC)
    yield datetime.datetime(2026, 12, 31, 23, 59, tzinfo=datetime.UTC)


def as_template_writes(value, format_string: str) -> str:
    """``value`` as a page's ``{{ value|date:format }}`` writes it: the template engine converts a
    moment to the reader's zone itself, so this does not go through the writers' own code."""
    return DATE_TEMPLATE.render({"value": value, "format": format_string})


DATE_TEMPLATE = engines["django"].from_string("{{ value|date:format }}")


@pytest.mark.parametrize("language", ["ru", "en"])
@pytest.mark.parametrize("zone", ZONES)
def test_a_moment_writer_writes_what_a_template_writes_in_every_language_and_zone(language, zone):
    with translation.override(language), timezone.override(zoneinfo.ZoneInfo(zone)):
        for format_string in (
            formats.get_format("SHORT_DATETIME_FORMAT"),
            formats.get_format("SHORT_DATE_FORMAT"),
            pgettext("day, month and time on a card", "d.m H:i"),
            "N j, Y, P",  # not one the writer knows: it falls back to dateformat
        ):
            write = moment_writer(format_string)
            for moment in moments():
                assert write(moment) == as_template_writes(moment, format_string)


NOV_1_0530_UTC = datetime.datetime(2026, 11, 1, 5, 30, tzinfo=datetime.UTC)  # New York's last summer morning
NEW_YEARS_EVE = datetime.datetime(2026, 12, 31, 23, 59, tzinfo=datetime.UTC)  # already 2027 in Kamchatka


@pytest.mark.parametrize(
    ("language", "zone", "format_string", "moment", "seen"),
    [
        ("ru", "Europe/Moscow", "SHORT_DATETIME_FORMAT", NOV_1_0530_UTC, "01.11.2026 08:30"),
        ("en", "Europe/Moscow", "SHORT_DATETIME_FORMAT", NOV_1_0530_UTC, "1 Nov 2026 08:30"),
        ("en", "America/New_York", "SHORT_DATETIME_FORMAT", NOV_1_0530_UTC, "1 Nov 2026 01:30"),
        ("ru", "Asia/Kamchatka", "SHORT_DATETIME_FORMAT", NEW_YEARS_EVE, "01.01.2027 11:59"),
        ("en", "Asia/Kamchatka", "SHORT_DATE_FORMAT", NEW_YEARS_EVE, "1 Jan 2027"),
        ("ru", "Europe/Moscow", "d.m H:i", NEW_YEARS_EVE, "01.01 02:59"),
        ("ru", "Europe/Moscow", "j M H:i", NOV_1_0530_UTC, "1 Ноя 08:30"),
        ("ru", "Europe/Moscow", "N j, Y, P", NOV_1_0530_UTC, "Ноя. 1, 2026, 8:30 д.п."),
        ("en", "America/New_York", "N j, Y, P", NEW_YEARS_EVE, "Dec. 31, 2026, 6:59 p.m."),
        ("en", "Asia/Kamchatka", "N j, Y, P", NEW_YEARS_EVE, "Jan. 1, 2027, 11:59 a.m."),
    ],
)
def test_a_moment_writer_writes_what_the_reader_expects(language, zone, format_string, moment, seen):
    with translation.override(language), timezone.override(zoneinfo.ZoneInfo(zone)):
        assert moment_writer(formats.get_format(format_string))(moment) == seen


@pytest.mark.parametrize("language", ["ru", "en"])
def test_a_day_writer_writes_what_a_template_writes(language):
    with translation.override(language):
        for format_string in (formats.get_format("SHORT_DATE_FORMAT"), "F Y", "j M Y"):
            write = day_writer(format_string)
            for moment in moments():
                assert write(moment.date()) == as_template_writes(moment.date(), format_string)


@pytest.mark.parametrize(
    ("language", "format_string", "seen"),
    [
        ("ru", "SHORT_DATE_FORMAT", "08.03.2026"),
        ("en", "SHORT_DATE_FORMAT", "8 Mar 2026"),
        ("ru", "j M Y", "8 Мар 2026"),
        ("ru", "F Y", "Март 2026"),  # not one the writer knows: dateformat's month name
        ("en", "F Y", "March 2026"),
    ],
)
def test_a_day_writer_writes_what_the_reader_expects(language, format_string, seen):
    with translation.override(language):
        assert day_writer(formats.get_format(format_string))(datetime.date(2026, 3, 8)) == seen


@pytest.mark.parametrize("language", ["ru", "en"])
def test_an_amount_writer_writes_what_floatformat_2g_writes(language):
    amounts = ["0", "0.5", "7.25", "999.99", "1000", "15000.00", "1234567.89", "-2500.10", "99999999999.99"]
    with translation.override(language):
        write = amount_writer()
        for amount in map(Decimal, amounts):
            assert write(amount) == floatformat(amount, "2g"), amount
