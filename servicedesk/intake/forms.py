"""The public ticket form: exactly the fields of SPEC §1, one validation for the page and the API."""

import copy

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import ErrorDict
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


def _text(**attrs) -> forms.TextInput:
    return forms.TextInput(attrs={"class": "form-control", **attrs})


# The longest text a person sends in one go: the form's description, a comment from the staff's
# card or the API, a reply from the client's page.
TEXT_MAX_LENGTH = 20000


class ClientReplyForm(forms.Form):
    """The client's page's reply: only its length is the form's; ``add_comment`` judges the rest."""

    body = forms.CharField(max_length=TEXT_MAX_LENGTH, required=False, strip=False)


class PublicTicketForm(forms.Form):
    # Everything that is the same for every desk is declared here, once per process;
    # ``fields_for`` sets what depends on the desk (its services, whether the phone is required).
    service = ServiceChoiceField(
        label=_("Service"),
        widget=forms.Select(attrs={"class": "form-select"}),
        error_messages={
            "required": _("Choose a service."),
            "invalid_choice": _("Choose one of the services in the list."),
        },
    )
    name = forms.CharField(
        label=_("Your name"), max_length=300, widget=_text(), error_messages={"required": _("Tell us your name.")}
    )
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"class": "form-control", "autocomplete": "email"}),
        error_messages={
            "required": _("Enter your email: we will answer there."),
            "invalid": _("Enter an email like name@example.ru."),
        },
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        required=False,
        widget=_text(autocomplete="tel", inputmode="tel"),
        error_messages={"required": _("Enter your phone number.")},
    )
    company = forms.CharField(label=_("Company"), max_length=300, required=False, widget=_text())
    subject = forms.CharField(
        label=_("Subject"),
        max_length=300,
        widget=_text(),
        error_messages={"required": _("Give the request a subject.")},
    )
    description = forms.CharField(
        label=_("Describe the problem in detail"),
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"class": "form-control"}),
        error_messages={"required": _("Describe what happened.")},
    )
    files = MultipleFileField(
        label=_("Files"), required=False, widget=MultipleFileInput(attrs={"class": "form-control", "multiple": True})
    )
    consent_desk = forms.BooleanField(
        label=_("I consent to the processing of my personal data by the Service Desk"),
        error_messages={"required": _("Without this consent we cannot accept the request.")},
    )
    consent_company = forms.BooleanField(
        label=_("I consent to the processing of my personal data by the company"),
        error_messages={"required": _("Without this consent we cannot accept the request.")},
    )
    # Anti-abuse: people never see or fill "website"; "rendered" is the signed moment the form was shown.
    website = forms.CharField(
        required=False,
        label=_("Leave this field empty"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    rendered = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, desk: DeskSettings, **kwargs):
        self.base_fields = fields_for(desk)  # Django deep-copies them into ``self.fields``: see there
        super().__init__(*args, **kwargs)
        self.desk = desk

    def full_clean(self):
        """Django's cleaning, but a post that is plainly valid skips its per-field machinery (a
        bound field and a widget per field, 13 per post): ``_clean_plain`` cleans it by the same
        steps. Any other post, and every error, goes the usual way, so the messages are Django's."""
        if not self.is_bound or self.empty_permitted or not _clean_plain(self):
            super().full_clean()
            return
        self._errors = ErrorDict(renderer=self.renderer)
        self._clean_form()
        self._post_clean()

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


def _clean_plain(form: PublicTicketForm) -> bool:
    """Fill ``form.cleaned_data`` as Django's ``_clean_fields`` would, for a post whose every value
    is a string the usual way accepts — a text stripped (``to_python``), then the field's own
    validators and the form's ``clean_<field>``; a service by its plain decimal key; a consent
    sent as "on"; no files — and say True. False at the first value that is anything else (an
    error, a number or a list from the API, "true" for a consent, a file): the caller then cleans
    the whole form the usual way, which gives that value's meaning or message."""
    data = form.data
    if form.files:
        return False
    form.cleaned_data = cleaned = {}
    try:
        for name, field in form.fields.items():
            value = data.get(name)
            if field.disabled:  # Django takes its initial value instead
                return False
            if isinstance(field, MultipleFileField):
                if field.required:
                    return False
                value = []
            elif isinstance(field, forms.BooleanField):
                if value != "on":
                    return False
                value = True
            elif not isinstance(value, str):
                return False
            elif isinstance(field, ServiceChoiceField):
                if not (value.isascii() and value.isdigit()) or int(value) not in field.services:
                    return False
                value = field.services[int(value)]
            elif type(field) in (forms.CharField, forms.EmailField) and field.strip:
                value = value.strip()
                if not value:
                    if field.required:
                        return False
                    value = field.empty_value
                else:
                    field.run_validators(value)
            else:
                return False
            cleaned[name] = value
            clean_field = getattr(form, f"clean_{name}", None)
            if clean_field is not None:
                cleaned[name] = clean_field()
    except ValidationError:
        return False
    return True


class _SharedFields(dict):
    """One desk's form fields, shared by all its forms: their deep copy is the same dict."""

    def __deepcopy__(self, memo):
        return self


_shared: tuple[DeskSettings, _SharedFields] | None = None


def fields_for(desk: DeskSettings) -> dict:
    """The fields of ``desk``'s form. Django gives every form instance deep copies of its fields,
    13 per post here; but a post only reads them (cleaning and showing the form change nothing in
    a field, and nothing here sets one after this), so the forms of the process's current desk
    snapshot share one set, built again when the snapshot is (a changed desk or service). A desk
    object from elsewhere, which its holder may change, gets copies of its own for each form."""
    global _shared
    shared = _shared
    if shared is not None and shared[0] is desk:
        return shared[1]
    fields = _SharedFields(copy.deepcopy(PublicTicketForm.base_fields))
    fields["service"].services = snapshot.services_for(desk)
    fields["phone"].required = desk.phone_required
    if snapshot.is_current(desk):
        _shared = (desk, fields)
    return fields
