"""admin24.fragments writes what Django's templates and date_format write, only faster."""

import copy
import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django import forms
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


@pytest.mark.parametrize("language", ["ru", "en"])
@pytest.mark.parametrize("zone", ZONES)
def test_a_moment_writer_writes_what_date_format_writes_in_every_language_and_zone(language, zone):
    with translation.override(language), timezone.override(zoneinfo.ZoneInfo(zone)):
        for format_string in (
            formats.get_format("SHORT_DATETIME_FORMAT"),
            formats.get_format("SHORT_DATE_FORMAT"),
            pgettext("day, month and time on a card", "d.m H:i"),
            "N j, Y, P",  # not one the writer knows: it falls back to dateformat
        ):
            write = moment_writer(format_string)
            for moment in moments():
                assert write(moment) == formats.date_format(timezone.localtime(moment), format_string)


@pytest.mark.parametrize("language", ["ru", "en"])
def test_a_day_writer_writes_what_date_format_writes(language):
    with translation.override(language):
        for format_string in (formats.get_format("SHORT_DATE_FORMAT"), "F Y", "j M Y"):
            write = day_writer(format_string)
            for moment in moments():
                assert write(moment.date()) == formats.date_format(moment.date(), format_string)


@pytest.mark.parametrize("language", ["ru", "en"])
def test_an_amount_writer_writes_what_floatformat_2g_writes(language):
    amounts = ["0", "0.5", "7.25", "999.99", "1000", "15000.00", "1234567.89", "-2500.10", "99999999999.99"]
    with translation.override(language):
        write = amount_writer()
        for amount in map(Decimal, amounts):
            assert write(amount) == floatformat(amount, "2g"), amount
