from functools import wraps

from django.contrib.admin import AdminSite, ModelAdmin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.exceptions import DisallowedModelAdminToField
from django.contrib.admin.options import TO_FIELD_VAR
from django.core.exceptions import BadRequest

from .roles import is_administrator


class Admin24AdminSite(AdminSite):
    """The Django admin, open to users with the Administrator role as well as to staff flags."""

    site_header = "Admin24"
    site_title = "Admin24"

    def has_permission(self, request):
        user = request.user
        return user.is_active and (user.is_staff or is_administrator(user))

    def admin_view(self, view, cacheable=False):
        """Django's wrapper, with two query strings Django 5.2 answers with a server error made 400s:
        an empty ``?_to_field=`` (it looks up the field "") and a date filter out of range
        (``?due_at__year=99999999999999999999`` or ``?due_at__gte=0001-01-01``, which has no UTC
        instant in Moscow): Django's change list catches only ValueError and ValidationError."""

        @wraps(view)
        def checked(request, *args, **kwargs):
            if request.GET.get(TO_FIELD_VAR, None) == "" or request.POST.get(TO_FIELD_VAR, None) == "":
                raise DisallowedModelAdminToField(f"The field {TO_FIELD_VAR}= is empty.")
            try:
                return view(request, *args, **kwargs)
            except OverflowError as error:
                raise BadRequest(f"A filter value is out of range: {error}") from None

        return super().admin_view(checked, cacheable)


class Admin24AdminConfig(AdminConfig):
    default_site = "admin24.admin_site.Admin24AdminSite"


class ReadOnlyAdmin(ModelAdmin):
    """A log or a state the system keeps (the outbox, the clock, the bot's updates): looked at in
    the admin, changed only by the code that owns it (and by the admin's own actions)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
