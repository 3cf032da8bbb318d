import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


def default_week_days():
    return [0, 1, 2, 3, 4]  # Monday..Friday, as date.weekday() numbers


class WorkSchedule(models.Model):
    """The company's working week (one row). Exceptions to it live in CalendarDay."""

    week_days = models.JSONField(
        _("working week days"), default=default_week_days, help_text=_("Monday is 0, Sunday is 6.")
    )
    day_start = models.TimeField(_("working day starts"), default=datetime.time(9, 0))
    day_end = models.TimeField(_("working day ends"), default=datetime.time(18, 0))
    lunch_start = models.TimeField(_("lunch break starts"), null=True, blank=True)
    lunch_end = models.TimeField(_("lunch break ends"), null=True, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default=settings.TIME_ZONE)

    class Meta:
        verbose_name = _("working schedule")
        verbose_name_plural = _("working schedule")

    def __str__(self):
        return str(_("Working schedule"))

    def clean(self):
        if self.day_start >= self.day_end:
            raise ValidationError(_("The working day must end after it starts."))
        if (self.lunch_start is None) != (self.lunch_end is None):
            raise ValidationError(_("Give both the start and the end of the lunch break, or neither."))
        if self.lunch_start and not (self.day_start < self.lunch_start < self.lunch_end < self.day_end):
            raise ValidationError(_("The lunch break must lie inside the working day."))
        if not self.week_days or any(d not in range(7) for d in self.week_days):
            raise ValidationError(_("Working week days are numbers from 0 (Monday) to 6 (Sunday)."))


class CalendarDay(models.Model):
    """A date that differs from the working week: a holiday, a moved day, a short day."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("public holiday")
        DAY_OFF = "day_off", _("extra day off")
        WORKING = "working", _("transferred working day")
        SHORT = "short", _("shortened pre-holiday day")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date:%d.%m.%Y} — {self.get_kind_display()}"
