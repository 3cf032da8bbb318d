"""The working calendar with real Russian dates: what a deadline or a reminder time will be."""

import datetime
import time
from zoneinfo import ZoneInfo

import holidays
import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st

from admin24 import calendar_data, worktime
from admin24.models import CalendarDay, WorkSchedule
from admin24.worktime import Schedule, WorkCalendar

MSK = ZoneInfo("Europe/Moscow")
VLADIVOSTOK = ZoneInfo("Asia/Vladivostok")
H = datetime.timedelta(hours=1)
D = datetime.date


def msk(*args):
    return datetime.datetime(*args, tzinfo=MSK)


@pytest.fixture
def cal():
    """The default schedule (Mon–Fri 09:00–18:00, Moscow) on the shipped production calendar."""
    return WorkCalendar(Schedule())


@pytest.fixture
def lunch_cal():
    return WorkCalendar(Schedule(lunch=(datetime.time(13), datetime.time(14))))


# --- holidays and transfers -------------------------------------------------------------------


@pytest.mark.parametrize(
    "day",
    [D(2025, 1, d) for d in range(1, 9)] + [D(2026, 1, d) for d in range(1, 10)] + [D(2027, 1, d) for d in range(1, 9)],
)
def test_the_new_year_holidays_are_days_off(cal, day):
    assert not cal.is_working_day(day)


def test_work_resumes_after_the_new_year_holidays(cal):
    assert cal.is_working_day(D(2025, 1, 9))
    assert cal.is_working_day(D(2026, 1, 12))
    assert cal.next_working_moment(msk(2025, 12, 30, 18, 0)) == msk(2026, 1, 12, 9, 0)


@pytest.mark.parametrize(
    ("holiday", "day_after"),
    [
        (D(2026, 2, 23), D(2026, 2, 24)),  # Defender of the Fatherland Day, a Monday
        (D(2027, 2, 23), D(2027, 2, 24)),  # with 22 Feb 2027 moved off from Saturday 20 Feb
        (D(2027, 3, 8), D(2027, 3, 9)),  # Women's Day on a Monday
        (D(2026, 3, 9), D(2026, 3, 10)),  # 8 March 2026 is a Sunday: Monday is off by art. 112
        (D(2026, 5, 1), D(2026, 5, 4)),  # Spring and Labour Day, a Friday
        (D(2025, 5, 9), D(2025, 5, 12)),  # Victory Day, with 8 May 2025 moved off too
        (D(2026, 5, 11), D(2026, 5, 12)),  # 9 May 2026 is a Saturday
        (D(2026, 6, 12), D(2026, 6, 15)),  # Russia Day, a Friday
        (D(2025, 11, 4), D(2025, 11, 5)),  # Unity Day, a Tuesday after the moved 3 Nov
        (D(2026, 11, 4), D(2026, 11, 5)),
    ],
)
def test_public_holidays_are_days_off_and_work_resumes_after(cal, holiday, day_after):
    assert not cal.is_working_day(holiday)
    assert cal.is_working_day(day_after)
    assert cal.next_working_moment(msk(holiday.year, holiday.month, holiday.day, 10)) == msk(
        day_after.year, day_after.month, day_after.day, 9
    )


@pytest.mark.parametrize("day", [D(2025, 5, 2), D(2025, 5, 8), D(2025, 6, 13), D(2025, 11, 3), D(2025, 12, 31)])
def test_the_2025_decree_moves_days_off_onto_weekdays(cal, day):
    assert day.weekday() < 5
    assert not cal.is_working_day(day)


def test_saturday_1_november_2025_is_a_working_day(cal):
    saturday = D(2025, 11, 1)
    assert saturday.weekday() == 5
    assert cal.is_working_day(saturday)
    assert cal.day(saturday).source == "production"
    # A Friday-evening wait picks up on the working Saturday, not on Monday (3 Nov is off).
    assert cal.next_working_moment(msk(2025, 10, 31, 18, 0)) == msk(2025, 11, 1, 9, 0)
    # …and it keeps the length of the Monday it swapped with, the eve of 4 November: it ends at 17:00.
    assert cal.working_time_between(msk(2025, 11, 1), msk(2025, 11, 2)) == 8 * H
    assert not cal.is_working_time(msk(2025, 11, 1, 17, 0))


def test_an_ordinary_saturday_is_not_working(cal):
    assert not cal.is_working_day(D(2025, 11, 8))
    assert cal.next_working_moment(msk(2025, 11, 8, 12, 0)) == msk(2025, 11, 10, 9, 0)


def test_a_pre_holiday_day_ends_at_17(cal):
    eve = D(2026, 4, 30)
    assert cal.day(eve).kind == CalendarDay.Kind.SHORT
    assert cal.is_working_time(msk(2026, 4, 30, 16, 59))
    assert not cal.is_working_time(msk(2026, 4, 30, 17, 0))
    # 30 minutes left on Thursday, then 1 May (holiday) and the weekend.
    assert cal.add_working_time(msk(2026, 4, 30, 16, 30), H) == msk(2026, 5, 4, 9, 30)


@pytest.mark.parametrize(
    ("year", "working_days", "norm_hours"),
    [(2025, 247, 1972), (2026, 247, 1972), (2027, 247, 1972)],
)
def test_a_year_has_the_official_number_of_working_days_and_hours(lunch_cal, year, working_days, norm_hours):
    # The official norm is for an 8-hour day: 09:00–18:00 with an hour's lunch.
    days = [D(year, 1, 1) + datetime.timedelta(days=i) for i in range(365)]
    assert sum(lunch_cal.is_working_day(day) for day in days) == working_days
    assert lunch_cal.working_time_between(msk(year, 1, 1), msk(year + 1, 1, 1)) == norm_hours * H


@pytest.mark.parametrize("year", sorted(calendar_data.SHIPPED_YEARS))
def test_the_shipped_data_agrees_with_the_holidays_package(cal, year):
    package = holidays.country_holidays("RU", years=year)
    days = [D(year, 1, 1) + datetime.timedelta(days=i) for i in range(365)]
    weekday_days_off = {day for day in days if day.weekday() < 5 and not cal.is_working_day(day)}
    assert weekday_days_off == {day for day in package if day.weekday() < 5}
    working_weekend_days = {day for day in days if day.weekday() >= 5 and cal.is_working_day(day)}
    assert working_weekend_days == set(package.weekend_workdays)


def test_a_year_without_shipped_data_falls_back_to_the_package(cal):
    assert not cal.is_working_day(D(2028, 2, 23))
    assert cal.day(D(2028, 2, 22)).kind == CalendarDay.Kind.SHORT  # the eve of a holiday
    assert cal.is_working_day(D(2028, 2, 24))


# --- boundaries ---------------------------------------------------------------------------------


def test_the_day_starts_at_9_and_its_end_is_not_working_time(cal):
    assert cal.is_working_time(msk(2026, 11, 20, 9, 0))
    assert cal.is_working_time(msk(2026, 11, 20, 17, 59, 59))
    assert not cal.is_working_time(msk(2026, 11, 20, 18, 0))
    assert not cal.is_working_time(msk(2026, 11, 20, 8, 59, 59))


def test_next_working_moment_is_the_moment_itself_during_working_hours(cal):
    moment = msk(2026, 11, 18, 11, 15, 7)
    assert cal.next_working_moment(moment) == moment


def test_friday_at_18_moves_to_monday_at_9(cal):
    assert cal.next_working_moment(msk(2026, 11, 20, 18, 0)) == msk(2026, 11, 23, 9, 0)


def test_a_wait_that_ends_at_the_end_of_the_day_ends_then(cal):
    assert cal.add_working_time(msk(2026, 11, 20, 17, 0), H) == msk(2026, 11, 20, 18, 0)


def test_a_wait_started_friday_at_1730_crosses_the_weekend(cal):
    start = msk(2026, 11, 20, 17, 30)
    assert cal.add_working_time(start, H) == msk(2026, 11, 23, 9, 30)
    assert cal.add_working_time(start, 8 * H) == msk(2026, 11, 23, 16, 30)
    assert cal.working_time_between(start, msk(2026, 11, 23, 9, 30)) == H


def test_counting_starts_at_the_next_working_moment(cal):
    sunday_night = msk(2026, 11, 22, 23, 0)
    assert cal.add_working_time(sunday_night, 2 * H) == msk(2026, 11, 23, 11, 0)
    assert cal.add_working_time(sunday_night, datetime.timedelta(0)) == msk(2026, 11, 23, 9, 0)


def test_working_time_between_is_negative_backwards(cal):
    a, b = msk(2026, 11, 18, 10), msk(2026, 11, 18, 12)
    assert cal.working_time_between(b, a) == -2 * H


def test_a_negative_delta_is_refused(cal):
    with pytest.raises(ValueError, match="negative"):
        cal.add_working_time(msk(2026, 11, 18, 10), -H)


def test_a_lunch_break_is_not_working_time(lunch_cal):
    assert not lunch_cal.is_working_time(msk(2026, 11, 18, 13, 0))
    assert not lunch_cal.is_working_time(msk(2026, 11, 18, 13, 59))
    assert lunch_cal.is_working_time(msk(2026, 11, 18, 14, 0))
    assert lunch_cal.next_working_moment(msk(2026, 11, 18, 13, 10)) == msk(2026, 11, 18, 14, 0)
    assert lunch_cal.add_working_time(msk(2026, 11, 18, 12, 0), 2 * H) == msk(2026, 11, 18, 15, 0)
    assert lunch_cal.working_time_between(msk(2026, 11, 18), msk(2026, 11, 19)) == 8 * H


def test_a_short_day_with_lunch_loses_the_hour_at_the_end(lunch_cal):
    assert lunch_cal.working_time_between(msk(2026, 4, 30), msk(2026, 5, 1)) == 7 * H
    assert not lunch_cal.is_working_time(msk(2026, 4, 30, 17, 0))


def test_a_client_in_another_time_zone_gets_the_same_instant(cal):
    moscow = msk(2026, 11, 20, 17, 30)
    vladivostok = moscow.astimezone(VLADIVOSTOK)  # Saturday 00:30 there
    utc = moscow.astimezone(datetime.UTC)
    results = {cal.add_working_time(start, 3 * H) for start in (moscow, vladivostok, utc)}
    assert results == {msk(2026, 11, 23, 11, 30)}
    assert all(result.tzinfo == MSK for result in results)
    assert cal.next_working_moment(vladivostok).utcoffset() == datetime.timedelta(hours=3)
    assert cal.is_working_time(msk(2026, 11, 20, 10, 0).astimezone(VLADIVOSTOK))


def test_days_are_calendar_days_then_aligned(cal):
    # Tuesday 30 Dec 2025 + 1 day is 31 Dec, a day off; the holidays run to Sunday 11 January.
    assert cal.add_days_then_align(msk(2025, 12, 30, 10, 0), 1) == msk(2026, 1, 12, 9, 0)
    # Friday 17:30 + 1 day is Saturday 17:30: the reminder waits for Monday morning.
    assert cal.add_days_then_align(msk(2026, 11, 20, 17, 30), 1) == msk(2026, 11, 23, 9, 0)
    # A day that lands in working hours stays at the same wall-clock time.
    assert cal.add_days_then_align(msk(2026, 11, 16, 11, 0), 10) == msk(2026, 11, 26, 11, 0)
    assert cal.add_days_then_align(msk(2026, 11, 26, 11, 0), -3) == msk(2026, 11, 23, 11, 0)


def test_the_working_day_starts_at_9_or_on_the_next_working_day(cal, lunch_cal):
    assert cal.start_of_working_day(D(2026, 11, 18)) == msk(2026, 11, 18, 9, 0)  # a Wednesday
    assert cal.start_of_working_day(D(2026, 11, 21)) == msk(2026, 11, 23, 9, 0)  # Saturday → Monday
    assert cal.start_of_working_day(D(2026, 2, 23)) == msk(2026, 2, 24, 9, 0)  # a Monday holiday
    assert cal.start_of_working_day(D(2026, 1, 1)) == msk(2026, 1, 12, 9, 0)  # the New Year holidays
    assert cal.start_of_working_day(D(2025, 11, 1)) == msk(2025, 11, 1, 9, 0)  # a working Saturday
    assert lunch_cal.start_of_working_day(D(2026, 11, 18)) == msk(2026, 11, 18, 9, 0)


def test_the_working_day_starts_in_the_schedules_zone_and_hours():
    far_east = WorkCalendar(Schedule(day_start=datetime.time(8, 30), time_zone="Asia/Vladivostok"))
    start = far_east.start_of_working_day(D(2026, 11, 22))  # a Sunday
    assert start == datetime.datetime(2026, 11, 23, 8, 30, tzinfo=VLADIVOSTOK)
    assert start.tzinfo == VLADIVOSTOK


def test_the_end_of_the_nth_working_day_after_a_moment(cal):
    friday_evening = msk(2026, 11, 20, 23, 0)
    assert cal.end_of_working_day_after(friday_evening) == msk(2026, 11, 23, 18, 0)
    assert cal.end_of_working_day_after(msk(2026, 11, 20, 8, 0)) == msk(2026, 11, 23, 18, 0)  # its own day never counts
    assert cal.end_of_working_day_after(friday_evening, 5) == msk(2026, 11, 27, 18, 0)
    assert cal.end_of_working_day_after(msk(2026, 11, 22, 12, 0)) == msk(2026, 11, 23, 18, 0)  # from a Sunday
    assert cal.end_of_working_day_after(friday_evening, 0) == msk(2026, 11, 23, 18, 0)  # at least one day


def test_the_end_of_a_working_day_skips_holidays_and_a_short_day_ends_at_17(cal):
    # Thursday 30 April 2026 is shortened before 1 May; Friday 1 May is a holiday.
    assert cal.end_of_working_day_after(msk(2026, 4, 29, 12, 0)) == msk(2026, 4, 30, 17, 0)
    assert cal.end_of_working_day_after(msk(2026, 4, 29, 12, 0), 2) == msk(2026, 5, 4, 18, 0)
    # 31 December 2025 is off by the decree and the holidays run to Sunday 11 January.
    assert cal.end_of_working_day_after(msk(2025, 12, 30, 10, 0)) == msk(2026, 1, 12, 18, 0)


def test_counting_working_days_fails_loudly_on_a_calendar_without_any():
    every_day_off = WorkCalendar(Schedule(), production=lambda day: calendar_data.ProductionDay("holiday", ""))
    with pytest.raises(ValueError, match="no working time"):
        every_day_off.end_of_working_day_after(msk(2026, 11, 20, 10))


@pytest.mark.parametrize(
    ("date", "months", "expected"),
    [
        (D(2027, 1, 31), 1, D(2027, 2, 28)),
        (D(2028, 1, 31), 1, D(2028, 2, 29)),  # a leap year
        (D(2027, 3, 31), 1, D(2027, 4, 30)),
        (D(2027, 1, 31), 2, D(2027, 3, 31)),  # counted from the date, not from the clamped February
        (D(2027, 12, 15), 1, D(2028, 1, 15)),
        (D(2027, 11, 30), 3, D(2028, 2, 29)),
        (D(2027, 1, 31), 12, D(2028, 1, 31)),
        (D(2027, 3, 31), -1, D(2027, 2, 28)),
        (D(2028, 3, 30), -1, D(2028, 2, 29)),
        (D(2027, 1, 15), -1, D(2026, 12, 15)),
        (D(2027, 5, 10), 0, D(2027, 5, 10)),
        (D(2027, 2, 28), -24, D(2025, 2, 28)),
    ],
)
def test_months_are_added_with_the_day_clamped_to_the_months_end(date, months, expected):
    assert worktime.add_months(date, months) == expected


def test_adding_1000_working_hours_takes_milliseconds(cal):
    start = msk(2026, 1, 12, 9, 0)
    cal.is_working_day(D(2026, 1, 1))  # the year's production data is built once per process
    began = time.perf_counter()
    end = cal.add_working_time(start, 1000 * H)
    between = cal.working_time_between(start, end)
    elapsed = time.perf_counter() - began
    assert between == 1000 * H
    assert end.date() == D(2026, 6, 23)
    assert elapsed < 0.1, f"1,000 working hours took {elapsed * 1000:.1f} ms"


def test_a_calendar_without_working_time_fails_loudly():
    every_day_off = WorkCalendar(Schedule(), production=lambda day: calendar_data.ProductionDay("holiday", ""))
    with pytest.raises(ValueError, match="no working time"):
        every_day_off.next_working_moment(msk(2026, 11, 20, 10))


@pytest.mark.parametrize("bad_zone", ["Mars/Olympus", ""])
def test_an_unknown_time_zone_is_refused(bad_zone):
    with pytest.raises(ValueError, match="time zone"):
        Schedule(time_zone=bad_zone)


# --- properties -----------------------------------------------------------------------------

ZONES = st.sampled_from([MSK, VLADIVOSTOK, datetime.UTC, ZoneInfo("Europe/Kaliningrad")])
MOMENTS = st.datetimes(
    min_value=datetime.datetime(2024, 12, 1), max_value=datetime.datetime(2028, 1, 31), timezones=ZONES
)
DELTAS = st.timedeltas(min_value=datetime.timedelta(0), max_value=datetime.timedelta(hours=3000))
CALENDARS = st.sampled_from(
    [WorkCalendar(Schedule()), WorkCalendar(Schedule(lunch=(datetime.time(13), datetime.time(14, 30))))]
)


@settings(max_examples=300, deadline=None)
@given(calendar=CALENDARS, start=MOMENTS, delta=DELTAS)
def test_working_time_between_undoes_add_working_time(calendar, start, delta):
    end = calendar.add_working_time(start, delta)
    assert calendar.working_time_between(start, end) == delta
    assert end >= start


@settings(max_examples=300, deadline=None)
@given(calendar=CALENDARS, moment=MOMENTS)
def test_next_working_moment_is_idempotent_and_never_earlier(calendar, moment):
    following = calendar.next_working_moment(moment)
    assert following >= moment
    assert calendar.is_working_time(following)
    assert calendar.next_working_moment(following) == following
    assert calendar.working_time_between(moment, following) == datetime.timedelta(0)


# --- the module functions on the database calendar ----------------------------------------------

FUNCTIONS_TAKING_A_DATETIME = [
    lambda dt: worktime.is_working_time(dt),
    lambda dt: worktime.next_working_moment(dt),
    lambda dt: worktime.add_working_time(dt, H),
    lambda dt: worktime.working_time_between(dt, dt),
    lambda dt: worktime.add_days_then_align(dt, 1),
    lambda dt: worktime.is_working_day(dt),
    lambda dt: worktime.end_of_working_day_after(dt),
    lambda dt: worktime.not_before_now(dt),
]


@pytest.mark.django_db
@pytest.mark.parametrize("function", FUNCTIONS_TAKING_A_DATETIME)
def test_a_naive_datetime_is_refused(function):
    with pytest.raises(ValueError, match="naive"):
        function(datetime.datetime(2026, 11, 20, 10, 0))


@pytest.mark.django_db
def test_the_module_functions_use_the_default_schedule_created_on_first_use():
    WorkSchedule.objects.all().delete()
    assert worktime.next_working_moment(msk(2026, 11, 20, 18, 0)) == msk(2026, 11, 23, 9, 0)
    row = WorkSchedule.objects.get()
    assert (row.week_days, row.day_start, row.day_end, row.lunch_start) == (
        [0, 1, 2, 3, 4],
        datetime.time(9),
        datetime.time(18),
        None,
    )
    assert row.time_zone == "Europe/Moscow"
    assert worktime.is_working_day(D(2025, 11, 1))
    assert worktime.add_working_time(msk(2026, 11, 20, 17, 30), H) == msk(2026, 11, 23, 9, 30)
    assert worktime.working_time_between(msk(2026, 11, 20, 17, 30), msk(2026, 11, 23, 9, 30)) == H
    assert worktime.add_days_then_align(msk(2026, 11, 20, 17, 30), 1) == msk(2026, 11, 23, 9, 0)


@pytest.mark.django_db
def test_the_working_day_helpers_run_on_the_database_calendar():
    CalendarDay.objects.create(date=D(2026, 11, 23), kind=CalendarDay.Kind.DAY_OFF, note="санитарный день")
    assert worktime.start_of_working_day(D(2026, 11, 21)) == msk(2026, 11, 24, 9, 0)
    assert worktime.end_of_working_day_after(msk(2026, 11, 20, 12, 0)) == msk(2026, 11, 24, 18, 0)


@pytest.mark.django_db
def test_a_moment_not_yet_past_is_due_then_or_at_the_next_working_moment():
    friday_noon = msk(2026, 11, 20, 12, 0)
    assert worktime.not_before_now(msk(2026, 11, 20, 15, 0), now=friday_noon) == msk(2026, 11, 20, 15, 0)
    assert worktime.not_before_now(msk(2026, 11, 21, 15, 0), now=friday_noon) == msk(2026, 11, 23, 9, 0)
    assert worktime.not_before_now(friday_noon, now=friday_noon) == friday_noon


@pytest.mark.django_db
def test_a_moment_already_past_is_due_at_the_next_working_moment_from_now():
    assert worktime.not_before_now(msk(2026, 11, 2, 10, 0), now=msk(2026, 11, 20, 17, 30)) == msk(2026, 11, 20, 17, 30)
    assert worktime.not_before_now(msk(2026, 11, 2, 10, 0), now=msk(2026, 11, 20, 18, 0)) == msk(2026, 11, 23, 9, 0)
    with time_machine.travel(msk(2026, 11, 21, 12, 0), tick=False):  # a Saturday: the clock's own now
        assert worktime.not_before_now(msk(2026, 11, 2, 10, 0)) == msk(2026, 11, 23, 9, 0)
        assert worktime.not_before_now(msk(2026, 11, 24, 11, 0)) == msk(2026, 11, 24, 11, 0)


@pytest.mark.django_db
def test_an_admin_override_beats_the_shipped_calendar():
    assert not worktime.is_working_day(D(2026, 1, 9))
    override = CalendarDay.objects.create(date=D(2026, 1, 9), kind=CalendarDay.Kind.WORKING, note="аврал")
    assert worktime.is_working_day(D(2026, 1, 9))
    assert worktime.next_working_moment(msk(2026, 1, 8, 12, 0)) == msk(2026, 1, 9, 9, 0)

    CalendarDay.objects.create(date=D(2026, 11, 20), kind=CalendarDay.Kind.DAY_OFF)
    assert worktime.add_working_time(msk(2026, 11, 19, 17, 30), H) == msk(2026, 11, 23, 9, 30)

    override.delete()
    assert not worktime.is_working_day(D(2026, 1, 9))


@pytest.mark.django_db
def test_an_admin_can_shorten_a_day_the_decree_left_whole():
    CalendarDay.objects.create(date=D(2026, 12, 30), kind=CalendarDay.Kind.SHORT)
    assert not worktime.is_working_time(msk(2026, 12, 30, 17, 30))


@pytest.mark.django_db
def test_a_changed_schedule_applies_at_once():
    row = worktime.ensure_schedule()
    row.lunch_start, row.lunch_end = datetime.time(13), datetime.time(14)
    row.save()
    assert not worktime.is_working_time(msk(2026, 11, 18, 13, 30))
    row.week_days = [0, 1, 2, 3, 4, 5]
    row.save()
    assert worktime.is_working_day(D(2026, 11, 21))


@pytest.mark.django_db
def test_the_calendar_is_loaded_once_and_reloaded_when_another_process_changes_it(django_assert_num_queries):
    first = worktime.current_calendar()
    with django_assert_num_queries(0):
        assert worktime.current_calendar() is first
        worktime.is_working_time(msk(2026, 11, 18, 10))

    # Another process writes a row and bumps the shared version; we see its write on our next call.
    CalendarDay.objects.bulk_create([CalendarDay(date=D(2026, 11, 18), kind=CalendarDay.Kind.HOLIDAY)])
    assert worktime.is_working_day(D(2026, 11, 18)), "bulk_create sends no signal: still the loaded calendar"
    from django.core.cache import cache

    cache.set(worktime.VERSION_KEY, "written by another process", timeout=None)
    assert not worktime.is_working_day(D(2026, 11, 18))
    assert worktime.current_calendar() is not first


@pytest.mark.django_db
def test_a_saved_override_tells_other_processes_again_once_committed(django_capture_on_commit_callbacks):
    from django.core.cache import cache

    worktime.current_calendar()
    before = cache.get(worktime.VERSION_KEY)
    with django_capture_on_commit_callbacks() as callbacks:
        CalendarDay.objects.create(date=D(2026, 11, 18), kind=CalendarDay.Kind.HOLIDAY)
        during = cache.get(worktime.VERSION_KEY)
    assert during != before
    assert len(callbacks) == 1
    callbacks[0]()
    assert cache.get(worktime.VERSION_KEY) not in (before, during)


@pytest.mark.django_db
def test_seed_demo_makes_sure_the_schedule_exists():
    from config.demo import seed_demo

    WorkSchedule.objects.all().delete()
    seed_demo()
    seed_demo()
    row = WorkSchedule.objects.get()
    assert (row.day_start, row.day_end, row.time_zone) == (datetime.time(9), datetime.time(18), "Europe/Moscow")
