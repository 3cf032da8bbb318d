from functools import wraps

from django.contrib.admin import AdminSite, ModelAdmin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.exceptions import DisallowedModelAdminToField
from django.contrib.admin.options import TO_FIELD_VAR
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import BadRequest, ValidationError

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


class _KnownIdsOnly:
    """Django's autocomplete widgets look the submitted ids up to draw a refused form again; an id
    the key cannot hold (``parent=abc`` posted by hand) raised ValueError there, a server error in
    Django 5.2. Drawn without it, the form shows the field's own «Select a valid choice»."""

    def optgroups(self, name, value, attr=None):
        remote = self.field.remote_field
        key = remote.model._meta.get_field(getattr(remote, "field_name", None) or remote.model._meta.pk.name)
        return super().optgroups(name, [v for v in value if _holds(key, v)], attr)


def _holds(key, value) -> bool:
    try:
        key.to_python(value)
    except ValidationError:
        return False
    return True


class _SafeAutocompleteSelect(_KnownIdsOnly, AutocompleteSelect):
    pass


class _SafeAutocompleteSelectMultiple(_KnownIdsOnly, AutocompleteSelectMultiple):
    pass


class Admin24ModelAdmin(ModelAdmin):
    """Django's ModelAdmin whose ``autocomplete_fields`` survive hand-made ids (``_KnownIdsOnly``):
    the base of every admin that has them."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = _SafeAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = _SafeAutocompleteSelectMultiple(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ReadOnlyAdmin(ModelAdmin):
    """A log or a state the system keeps (the outbox, the clock, the bot's updates): looked at in
    the admin, changed only by the code that owns it (and by the admin's own actions)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
