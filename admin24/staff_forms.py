"""The forms of the staff page and of a user's profile. They validate; ``admin24.staff`` acts."""

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.models import Group
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .models import Department, User
from .roles import Role
from .timezones import time_zone_choices


def _bootstrap(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxSelectMultiple):
            continue
        if isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")


class RoleChoiceField(forms.ModelMultipleChoiceField):
    """The roles by the names their users read (groups are stored in English)."""

    def __init__(self, **kwargs):
        super().__init__(
            queryset=Group.objects.order_by("name"),
            widget=forms.CheckboxSelectMultiple,
            required=False,
            label=_("Roles"),
            **kwargs,
        )

    def label_from_instance(self, obj):
        return str(Role.LABELS.get(obj.name, obj.name))


class _StaffFields(forms.Form):
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    patronymic = forms.CharField(label=_("Patronymic"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"))
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.order_by("name"), required=False, empty_label="—"
    )
    roles = RoleChoiceField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)


class InviteForm(_StaffFields):
    language = forms.ChoiceField(
        label=_("Language of the invitation"), choices=settings.LANGUAGES, initial=settings.LANGUAGE_CODE
    )

    field_order = ["email", "last_name", "first_name", "patronymic", "department", "roles", "language"]


class StaffEditForm(_StaffFields):
    @classmethod
    def for_user(cls, user: User, data=None):
        initial = {
            "last_name": user.last_name,
            "first_name": user.first_name,
            "patronymic": user.patronymic,
            "email": user.email,
            "department": user.department_id,
            "roles": list(user.groups.values_list("pk", flat=True)),
        }
        return cls(data, initial=initial)


class ProfileForm(forms.ModelForm):
    """What a user changes about themselves: the name, the language and the time zone."""

    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices)

    class Meta:
        model = User
        fields = ["last_name", "first_name", "patronymic", "language", "time_zone"]
        labels = {"last_name": _("Last name"), "first_name": _("First name")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's form; the email is written in the account's own language, not the browser's."""

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        language = getattr(context.get("user"), "language", "") or settings.LANGUAGE_CODE
        with translation.override(language):
            super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)
