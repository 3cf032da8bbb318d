"""Django admin for the automation clock: a read-only view of ScheduledAction and "run now"."""

from celery import schedules
from django import forms
from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_celery_beat.admin import CrontabScheduleAdmin, PeriodicTaskAdmin
from django_celery_beat.admin import PeriodicTaskForm as BasePeriodicTaskForm
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from . import timers
from .admin_site import ReadOnlyAdmin
from .models import ScheduledAction
from .roles import is_administrator

Status = ScheduledAction.Status


class DueNowFilter(admin.SimpleListFilter):
    title = _("due now")
    parameter_name = "due_now"

    def lookups(self, request, model_admin):
        return [("yes", _("Pending and due"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(status=Status.PENDING, due_at__lte=timezone.now())
        return queryset


class ActionNameFilter(admin.SimpleListFilter):
    """Offers the registered names: a DISTINCT over millions of rows would slow every page."""

    title = _("action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return [(name, name) for name in sorted(timers.registered())]

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


def _administrator(request) -> bool:
    return request.user.is_active and is_administrator(request.user)


@admin.register(ScheduledAction)
class ScheduledActionAdmin(ReadOnlyAdmin):
    list_display = ("action", "target_display", "due_at", "status", "attempts", "error_display", "finished_at")
    list_filter = (DueNowFilter, "status", ActionNameFilter, "due_at")
    search_fields = ("action",)
    date_hierarchy = "due_at"
    # Newest first walks the primary key; sorting a million rows by due time on every page would not.
    ordering = ("-id",)
    show_full_result_count = False
    actions = ["run_now"]

    @admin.display(description=_("target"))
    def target_display(self, obj):
        return f"{ContentType.objects.get_for_id(obj.target_type_id).name} #{obj.target_id}"

    @admin.display(description=_("last error"))
    def error_display(self, obj):
        return Truncator(obj.last_error).chars(80)

    @admin.action(description=_("Run the selected pending actions now"), permissions=["run"])
    def run_now(self, request, queryset):
        pending = list(queryset.filter(status=Status.PENDING).values_list("pk", flat=True))
        if not pending:
            self.message_user(request, _("None of the selected actions is pending."), messages.WARNING)
            return
        ran = timers.run_now(pending)
        self.message_user(
            request,
            ngettext("%(count)d action was processed.", "%(count)d actions were processed.", ran) % {"count": ran},
            messages.SUCCESS,
        )

    def has_run_permission(self, request):
        return _administrator(request)

    def has_module_permission(self, request):
        return _administrator(request)

    def has_view_permission(self, request, obj=None):
        return _administrator(request)


class CrontabScheduleForm(forms.ModelForm):
    """django-celery-beat's validators ask python-crontab, which takes what Celery's own parser
    refuses (``-5``): saved, the schedule broke its change list (a 500) and would break beat. The
    whole schedule is read here by Celery's parser, as beat will read it."""

    class Meta:
        model = CrontabSchedule
        fields = ["minute", "hour", "day_of_month", "month_of_year", "day_of_week", "timezone"]

    def clean(self):
        data = super().clean()
        parts = ("minute", "hour", "day_of_week", "day_of_month", "month_of_year")
        if not any(name in self.errors for name in parts):
            try:
                schedules.crontab(**{name: data.get(name) or "*" for name in parts})
            except (ValueError, schedules.ParseException) as error:
                message = _("Celery cannot read this schedule: %(error)s") % {"error": error}
                raise forms.ValidationError(message) from None
        return data


admin.site.unregister(CrontabSchedule)


@admin.register(CrontabSchedule)
class CheckedCrontabScheduleAdmin(CrontabScheduleAdmin):
    form = CrontabScheduleForm
    fields = ("readable", "minute", "hour", "day_of_month", "month_of_year", "day_of_week", "timezone")
    readonly_fields = ("readable",)
    list_display = ("__str__", "readable")

    @admin.display(description=_("Human readable"))
    def readable(self, obj):
        # The form shown again with a refused schedule describes it: Celery's parser raises then.
        try:
            return obj.human_readable
        except schedules.ParseException:
            return str(obj)


class PeriodicTaskForm(BasePeriodicTaskForm):
    """django-celery-beat's form read ``task`` even when its own field had refused it (over 200
    characters): a KeyError, a 500. Refused, it stays refused with the field's error."""

    def clean(self):
        if "task" in self.errors:
            return self.cleaned_data
        return super().clean()


admin.site.unregister(PeriodicTask)


@admin.register(PeriodicTask)
class CheckedPeriodicTaskAdmin(PeriodicTaskAdmin):
    form = PeriodicTaskForm
