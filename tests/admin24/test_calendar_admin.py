"""The working calendar in Django admin: the schedule, day overrides and the month view."""

import datetime
import re

import pytest
from django.urls import reverse

from admin24 import worktime
from admin24.models import CalendarDay, WorkSchedule
from admin24.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(roles=[Role.ADMINISTRATOR], is_staff=True, is_superuser=True))
    return client


def month_url(year, month):
    return reverse("admin:admin24_calendarday_month", args=[year, month])


def cell(body, day):
    match = re.search(rf'<td class="([^"]*)"\s+data-date="{day.isoformat()}" data-kind="([^"]*)"(.*?)</td>', body, re.S)
    assert match, f"no cell for {day}"
    return {"classes": match.group(1), "kind": match.group(2), "html": match.group(3)}


def test_the_month_view_colours_each_day_by_kind(admin_client):
    response = admin_client.get(month_url(2026, 1))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="ru"' in body
    assert cell(body, D(2026, 1, 1))["kind"] == "holiday"
    assert "wt-holiday" in cell(body, D(2026, 1, 7))["classes"]
    assert cell(body, D(2026, 1, 9))["kind"] == "day_off"
    assert "24.09.2025 № 1466" in cell(body, D(2026, 1, 9))["html"]
    assert cell(body, D(2026, 1, 12))["kind"] == "workday"
    assert "09:00–18:00" in cell(body, D(2026, 1, 12))["html"]
    assert cell(body, D(2026, 1, 17))["kind"] == "weekend"
    assert "wt-outside" in cell(body, D(2025, 12, 31))["classes"]  # the grid starts on Monday 29 Dec


def test_the_month_view_shows_shortened_and_transferred_days(admin_client):
    body = admin_client.get(month_url(2025, 11)).content.decode()
    saturday = cell(body, D(2025, 11, 1))
    assert saturday["kind"] == "short"
    assert "09:00–17:00" in saturday["html"]
    assert cell(body, D(2025, 11, 3))["kind"] == "day_off"
    assert cell(body, D(2025, 11, 4))["kind"] == "holiday"


def test_the_month_view_navigates_between_months(admin_client):
    body = admin_client.get(month_url(2026, 1)).content.decode()
    assert month_url(2025, 12) in body
    assert month_url(2026, 2) in body
    december = admin_client.get(month_url(2026, 12)).content.decode()
    assert month_url(2027, 1) in december
    assert admin_client.get(reverse("admin:admin24_calendarday_month")).status_code == 200


@pytest.mark.parametrize("month", [0, 13])
def test_a_month_that_does_not_exist_is_not_found(admin_client, month):
    assert admin_client.get(month_url(2026, month)).status_code == 404


def test_the_month_view_links_to_adding_and_editing_overrides(admin_client):
    override = CalendarDay.objects.create(date=D(2026, 11, 20), kind=CalendarDay.Kind.DAY_OFF, note="Субботник")
    body = admin_client.get(month_url(2026, 11)).content.decode()
    friday = cell(body, D(2026, 11, 20))
    assert friday["kind"] == "day_off"
    assert "wt-override" in friday["classes"]
    assert "Субботник" in friday["html"]
    assert reverse("admin:admin24_calendarday_change", args=[override.pk]) in friday["html"]
    add_link = reverse("admin:admin24_calendarday_add") + "?date=2026-11-19"
    assert add_link in cell(body, D(2026, 11, 19))["html"]
    form = admin_client.get(add_link).content.decode()
    assert 'value="2026-11-19"' in form or 'value="19.11.2026"' in form


def test_the_month_view_is_refused_to_non_staff(client):
    client.force_login(UserFactory(roles=[Role.SALES_MANAGER]))
    response = client.get(month_url(2026, 1))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_the_month_view_is_refused_to_anonymous_visitors(client):
    response = client.get(month_url(2026, 1))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_the_schedule_list_opens_the_single_schedule(admin_client):
    WorkSchedule.objects.all().delete()
    response = admin_client.get(reverse("admin:admin24_workschedule_changelist"))
    row = WorkSchedule.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:admin24_workschedule_change", args=[row.pk])


def test_a_second_schedule_cannot_be_added_and_the_schedule_cannot_be_deleted(admin_client):
    row = worktime.ensure_schedule()
    assert admin_client.get(reverse("admin:admin24_workschedule_add")).status_code == 403
    assert admin_client.get(reverse("admin:admin24_workschedule_delete", args=[row.pk])).status_code == 403


def schedule_form(**changes):
    data = {
        "week_days": ["0", "1", "2", "3", "4"],
        "day_start": "09:00",
        "day_end": "18:00",
        "lunch_start": "",
        "lunch_end": "",
        "time_zone": "Europe/Moscow",
    }
    data.update(changes)
    return data


def test_an_administrator_sets_a_lunch_break_and_the_calendar_follows(admin_client):
    row = worktime.ensure_schedule()
    url = reverse("admin:admin24_workschedule_change", args=[row.pk])
    response = admin_client.post(url, schedule_form(lunch_start="13:00", lunch_end="14:00"))
    assert response.status_code == 302
    msk = datetime.datetime(2026, 11, 18, 13, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=3)))
    assert not worktime.is_working_time(msk)
    assert worktime.is_working_time(msk + datetime.timedelta(minutes=30))


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"time_zone": "Mars/Olympus"}, "Mars/Olympus"),
        ({"day_start": "18:00", "day_end": "09:00"}, ""),
        ({"lunch_start": "13:00"}, ""),
        ({"week_days": []}, ""),
    ],
)
def test_a_bad_schedule_is_refused_with_a_message(admin_client, changes, error):
    row = worktime.ensure_schedule()
    url = reverse("admin:admin24_workschedule_change", args=[row.pk])
    response = admin_client.post(url, schedule_form(**changes))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert error in response.content.decode()
    row.refresh_from_db()
    assert (row.day_start, row.lunch_start, row.time_zone) == (datetime.time(9), None, "Europe/Moscow")


def test_calendar_days_are_filtered_by_kind_and_year_and_searched_by_note(admin_client):
    CalendarDay.objects.create(date=D(2026, 12, 30), kind=CalendarDay.Kind.SHORT, note="Корпоратив")
    CalendarDay.objects.create(date=D(2027, 1, 11), kind=CalendarDay.Kind.DAY_OFF, note="Каникулы продлены")
    CalendarDay.objects.create(date=D(2026, 11, 20), kind=CalendarDay.Kind.DAY_OFF, note="Субботник")
    url = reverse("admin:admin24_calendarday_changelist")

    def shown(**params):
        response = admin_client.get(url, params)
        assert response.status_code == 200
        return {day.date for day in response.context["cl"].result_list}

    assert shown(year="2026") == {D(2026, 12, 30), D(2026, 11, 20)}
    assert shown(kind="day_off") == {D(2027, 1, 11), D(2026, 11, 20)}
    assert shown(kind="day_off", year="2027") == {D(2027, 1, 11)}
    assert shown(q="продлены") == {D(2027, 1, 11)}
    assert reverse("admin:admin24_calendarday_month") in admin_client.get(url).content.decode()


def test_saving_an_override_in_admin_changes_the_calendar(admin_client):
    response = admin_client.post(
        reverse("admin:admin24_calendarday_add"), {"date": "09.01.2026", "kind": "working", "note": "Аврал"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert worktime.is_working_day(D(2026, 1, 9))


def test_the_month_view_speaks_english_when_asked(admin_client):
    body = admin_client.get(month_url(2026, 1), headers={"accept-language": "en"}).content.decode()
    assert "Working calendar: January 2026" in body
    assert "New Year Holidays" in cell(body, D(2026, 1, 2))["html"]


def test_the_month_view_names_russian_holidays_in_russian(admin_client):
    body = admin_client.get(month_url(2026, 1), headers={"accept-language": "ru"}).content.decode()
    assert "Январь 2026" in body
    assert "Новогодние каникулы" in cell(body, D(2026, 1, 2))["html"]
