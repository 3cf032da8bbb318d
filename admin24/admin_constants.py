"""Django admin for the global constants: administrators only, a widget per type."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from . import constants
from .constants import SEEDED_IDENTIFIERS, validate_value
from .models import GlobalConstant, User
from .roles import is_administrator

Type = GlobalConstant.Type

VALUE_WIDGETS = {
    Type.NUMBER: lambda: forms.NumberInput(attrs={"min": 0, "step": 1}),
    Type.STRING: lambda: forms.TextInput(attrs={"size": 80}),
    Type.TEXT: lambda: forms.Textarea(attrs={"rows": 14, "cols": 90}),
}


class GlobalConstantForm(forms.ModelForm):
    class Meta:
        model = GlobalConstant
        fields = ("identifier", "name", "type", "value", "user", "description")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "user" in self.fields:
            self.fields["user"].queryset = User.objects.filter(is_active=True)
        if "value" in self.fields and self.instance.type in VALUE_WIDGETS:
            self.fields["value"].widget = VALUE_WIDGETS[self.instance.type]()
        where_used = self.instance.description
        for name in ("value", "user"):
            if where_used and name in self.fields:
                self.fields[name].help_text = where_used

    def clean(self):
        cleaned = super().clean()
        type_ = cleaned.get("type") or self.instance.type
        if not type_:
            return cleaned
        try:
            cleaned["value"] = validate_value(
                type=type_,
                value=cleaned.get("value", ""),
                user=cleaned.get("user"),
                required=self.instance.required,
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        return cleaned


def _administrator(request) -> bool:
    return request.user.is_active and is_administrator(request.user)


@admin.register(GlobalConstant)
class GlobalConstantAdmin(admin.ModelAdmin):
    form = GlobalConstantForm
    list_display = ("identifier", "name", "type", "current_value")
    list_display_links = ("identifier", "name")
    list_select_related = ("user",)
    search_fields = ("identifier", "name")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("identifier", "name", "type", "value", "user", "description")
        value_field = "user" if obj.type == Type.USER else "value"
        return ("identifier", "name", "type", value_field, "description")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        # Robots look constants up by identifier and read them by type: neither may drift.
        return ("identifier", "type") if obj.identifier in SEEDED_IDENTIFIERS else ("type",)

    @admin.display(description=_("current value"))
    def current_value(self, obj):
        if obj.type == Type.USER:
            if obj.user is None:
                return _("— not set —")
            return obj.user.full_name if obj.user.is_active else _("%(name)s (inactive)") % {"name": obj.user}
        return Truncator(obj.value).chars(80) or _("— not set —")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        constants.changed(obj.identifier)

    def get_actions(self, request):
        # Deleting a seeded constant would break the robots that read it; single deletes are checked below.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_module_permission(self, request):
        return _administrator(request)

    def has_view_permission(self, request, obj=None):
        return _administrator(request)

    def has_add_permission(self, request):
        return _administrator(request)

    def has_change_permission(self, request, obj=None):
        return _administrator(request)

    def has_delete_permission(self, request, obj=None):
        return _administrator(request) and not (obj is not None and obj.identifier in SEEDED_IDENTIFIERS)
