"""Django admin for the working calendar: the schedule (one row), day overrides and a month view."""

import calendar
import datetime
import zoneinfo

from django import forms
from django.contrib import admin
from django.contrib.admin import widgets
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dates import MONTHS, WEEKDAYS_ABBR
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from . import worktime
from .models import CalendarDay, WorkSchedule

WEEK_DAY_CHOICES = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]

KIND_LABELS = {
    worktime.WORKDAY: _("working day"),
    worktime.WEEKEND: _("weekend"),
    **dict(CalendarDay.Kind.choices),
}

SOURCE_LABELS = {
    "override": _("set by an administrator"),
    "production": _("Russian production calendar"),
    "week": _("working week"),
}


class WorkScheduleForm(forms.ModelForm):
    week_days = forms.TypedMultipleChoiceField(
        choices=WEEK_DAY_CHOICES, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    time_zone = forms.ChoiceField()

    class Meta:
        model = WorkSchedule
        fields = ["week_days", "day_start", "day_end", "lunch_start", "lunch_end", "time_zone"]
        widgets = {
            name: widgets.AdminTimeWidget(format="%H:%M")
            for name in ("day_start", "day_end", "lunch_start", "lunch_end")
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("week_days", "time_zone"):
            self.fields[name].label = capfirst(WorkSchedule._meta.get_field(name).verbose_name)
        self.fields["time_zone"].choices = [(name, name) for name in sorted(zoneinfo.available_timezones())]

    def clean_week_days(self):
        return sorted(self.cleaned_data["week_days"])


@admin.register(WorkSchedule)
class WorkScheduleAdmin(admin.ModelAdmin):
    form = WorkScheduleForm
    list_display = ("__str__", "day_start", "day_end", "lunch_start", "lunch_end", "time_zone")

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not WorkSchedule.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        # There is one schedule: the list would show a single line, so open it straight away.
        row = worktime.ensure_schedule()
        return HttpResponseRedirect(reverse("admin:admin24_workschedule_change", args=[row.pk]))


class YearListFilter(admin.SimpleListFilter):
    title = _("year")
    parameter_name = "year"

    def lookups(self, request, model_admin):
        years = CalendarDay.objects.dates("date", "year", order="DESC")
        return [(str(day.year), str(day.year)) for day in years]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if not (value.isascii() and value.isdigit()) or len(value) != 4:
            return queryset.none()
        return queryset.filter(date__year=int(value))


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "week_day", "kind", "note")
    list_filter = ("kind", YearListFilter)
    search_fields = ("note",)
    date_hierarchy = "date"

    @admin.display(description=_("day of the week"))
    def week_day(self, obj):
        return WEEKDAYS_ABBR[obj.date.weekday()]

    def get_urls(self):
        view = self.admin_site.admin_view(self.month_view)
        return [
            path("month/", view, name="admin24_calendarday_month"),
            path("month/<int:year>/<int:month>/", view, name="admin24_calendarday_month"),
            *super().get_urls(),
        ]

    def month_view(self, request, year=None, month=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        today = timezone.localdate()
        if year is None:
            year, month = today.year, today.month
        if not (1 <= month <= 12 and datetime.MINYEAR < year < datetime.MAXYEAR):
            raise Http404(_("There is no such month."))
        work_calendar = worktime.current_calendar()
        weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
        overrides = {row.date: row for row in CalendarDay.objects.filter(date__range=(weeks[0][0], weeks[-1][-1]))}
        can_change = self.has_change_permission(request)
        can_add = self.has_add_permission(request)
        first = datetime.date(year, month, 1)
        previous = first - datetime.timedelta(days=1)
        following = first + datetime.timedelta(days=32)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Working calendar: %(month)s %(year)s") % {"month": MONTHS[month], "year": year},
            "month_name": MONTHS[month],
            "year": year,
            "week_day_names": [WEEKDAYS_ABBR[i] for i in range(7)],
            "weeks": [
                [
                    self._cell(work_calendar, day, overrides.get(day), day.month == month, can_add, can_change)
                    for day in week
                ]
                for week in weeks
            ],
            "legend": [(kind, KIND_LABELS[kind]) for kind in KIND_LABELS],
            "schedule": work_calendar.schedule,
            "previous_url": reverse("admin:admin24_calendarday_month", args=[previous.year, previous.month]),
            "next_url": reverse("admin:admin24_calendarday_month", args=[following.year, following.month]),
            "today_url": reverse("admin:admin24_calendarday_month"),
        }
        return TemplateResponse(request, "admin/admin24/calendar_month.html", context)

    def _cell(self, work_calendar, date, override, in_month, can_add, can_change):
        day = work_calendar.day(date)
        tz = work_calendar.tz
        hours = [
            f"{start.astimezone(tz):%H:%M}–{end.astimezone(tz):%H:%M}" for start, end in work_calendar.intervals(date)
        ]
        edit_url = add_url = None
        if override is not None and can_change:
            edit_url = reverse("admin:admin24_calendarday_change", args=[override.pk])
        elif override is None and can_add:
            add_url = reverse("admin:admin24_calendarday_add") + "?" + urlencode({"date": date.isoformat()})
        return {
            "date": date,
            "in_month": in_month,
            "kind": day.kind,
            "kind_label": KIND_LABELS.get(day.kind, day.kind),
            "source_label": SOURCE_LABELS[day.source],
            "is_override": day.source == "override",
            "note": day.note,
            "hours": hours,
            "edit_url": edit_url,
            "add_url": add_url,
        }
