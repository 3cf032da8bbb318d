"""The public ticket form: exactly the fields of SPEC §1, one validation for the page and the API."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from admin24.normalize import normalize_phone, validate_phone

from .. import uploads
from ..models import DeskSettings, Service
from . import snapshot


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


class ServiceChoiceField(forms.ChoiceField):
    """One of the active services, chosen from the process's snapshot instead of a query per post."""

    def __init__(self, *, services: dict[int, Service] | None = None, **kwargs):
        super().__init__(**kwargs)
        self.services = services or {}

    @property
    def services(self) -> dict[int, Service]:
        return self._services

    @services.setter
    def services(self, services: dict[int, Service]) -> None:
        self._services = services
        self.choices = [("", _("Choose a service")), *((pk, s.name) for pk, s in services.items())]

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            return self.services[int(value)]
        except (KeyError, TypeError, ValueError):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice") from None

    def validate(self, value):
        if value is None and self.required:
            raise ValidationError(self.error_messages["required"], code="required")


class PublicTicketForm(forms.Form):
    service = ServiceChoiceField(
        label=_("Service"),
        error_messages={"invalid_choice": _("Choose one of the services in the list.")},
    )
    name = forms.CharField(label=_("Your name"), max_length=300)
    email = forms.EmailField(
        label=_("Email"), max_length=254, error_messages={"invalid": _("Enter an email like name@example.ru.")}
    )
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    company = forms.CharField(label=_("Company"), max_length=300, required=False)
    subject = forms.CharField(label=_("Subject"), max_length=300)
    description = forms.CharField(label=_("Describe the problem in detail"), max_length=20000, widget=forms.Textarea)
    files = MultipleFileField(label=_("Files"), required=False)
    consent_desk = forms.BooleanField(
        label=_("I consent to the processing of my personal data by the Service Desk"),
        error_messages={"required": _("Without this consent we cannot accept the request.")},
    )
    consent_company = forms.BooleanField(
        label=_("I consent to the processing of my personal data by the company"),
        error_messages={"required": _("Without this consent we cannot accept the request.")},
    )
    # Anti-abuse: people never see or fill "website"; "rendered" is the signed moment the form was shown.
    website = forms.CharField(required=False, label=_("Leave this field empty"))
    rendered = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, desk: DeskSettings, **kwargs):
        super().__init__(*args, **kwargs)
        self.desk = desk
        self.fields["service"].services = snapshot.services_for(desk)
        self.fields["phone"].required = desk.phone_required
        self.fields["files"].widget.attrs["multiple"] = True
        for name in ("name", "email", "phone", "company", "subject", "description", "files"):
            self.fields[name].widget.attrs.setdefault("class", "form-control")
        self.fields["service"].widget.attrs["class"] = "form-select"
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["phone"].widget.attrs.update({"autocomplete": "tel", "inputmode": "tel"})
        self.fields["website"].widget.attrs.update({"autocomplete": "off", "tabindex": "-1"})
        for name in ("name", "subject", "description"):
            self.fields[name].error_messages["required"] = {
                "name": _("Tell us your name."),
                "subject": _("Give the request a subject."),
                "description": _("Describe what happened."),
            }[name]
        self.fields["email"].error_messages["required"] = _("Enter your email: we will answer there.")
        self.fields["phone"].error_messages["required"] = _("Enter your phone number.")
        self.fields["service"].error_messages["required"] = _("Choose a service.")

    def clean_name(self):
        return self._not_blank("name", _("Tell us your name."))

    def clean_subject(self):
        return self._not_blank("subject", _("Give the request a subject."))

    def clean_description(self):
        return self._not_blank("description", _("Describe what happened."))

    def _not_blank(self, field: str, message) -> str:
        value = self.cleaned_data[field].strip()
        if not value:
            raise ValidationError(message, code="required")
        return value

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        if phone:
            validate_phone(phone)
            return normalize_phone(phone)
        return ""

    def clean_files(self):
        return uploads.check_files_for(self.cleaned_data["files"], self.desk)
