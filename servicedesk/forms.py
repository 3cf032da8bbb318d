"""The staff's forms: desk settings by section, services, ticket filters, actions and comments."""

import re
from datetime import timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from admin24.boards import BoardFilterForm
from admin24.requisites import validate_ogrn
from crm.models import Company, Contact

from .intake.forms import TEXT_MAX_LENGTH, MultipleFileField
from .models import DeskSettings, Service, TicketStatus
from .standing import Standing

MAX_HOURS = 9999


def _bootstrap(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs.setdefault("class", css)


def _split(value: timedelta | None) -> tuple[int | None, int | None]:
    if value is None:
        return None, None
    minutes = int(value.total_seconds() // 60)
    return minutes // 60, minutes % 60


class DurationsMixin:
    """Working-time durations entered as hours and minutes: ``<name>_hours`` and ``<name>_minutes``.

    ``durations`` names model fields; the cleaned values are put on the instance before the
    model validates it. With ``durations_required`` False both parts may be left empty (the
    global value applies).
    """

    durations: tuple[str, ...] = ()
    durations_required = True

    def add_duration_fields(self) -> None:
        for name in self.durations:
            hours, minutes = _split(getattr(self.instance, name))
            self.fields[f"{name}_hours"] = forms.IntegerField(
                label=_("hours"),
                min_value=0,
                max_value=MAX_HOURS,
                required=False,
                initial=hours,
                widget=forms.NumberInput(attrs={"class": "form-control", "placeholder": "0"}),
            )
            self.fields[f"{name}_minutes"] = forms.IntegerField(
                label=_("minutes"),
                min_value=0,
                max_value=59,
                required=False,
                initial=minutes,
                widget=forms.NumberInput(attrs={"class": "form-control", "placeholder": "0"}),
            )

    def clean_durations(self) -> None:
        for name in self.durations:
            hours = self.cleaned_data.get(f"{name}_hours")
            minutes = self.cleaned_data.get(f"{name}_minutes")
            if f"{name}_hours" in self.errors or f"{name}_minutes" in self.errors:
                continue
            if hours is None and minutes is None:
                if self.durations_required:
                    self.add_error(f"{name}_hours", _("Enter the time in hours and minutes."))
                else:
                    setattr(self.instance, name, None)
                continue
            value = timedelta(hours=hours or 0, minutes=minutes or 0)
            if not value:
                self.add_error(f"{name}_hours", _("The time must be longer than zero."))
                continue
            setattr(self.instance, name, value)

    def other_fields(self) -> list:
        parts = {f"{name}_{part}" for name in self.durations for part in ("hours", "minutes")}
        return [self[name] for name in self.fields if name not in parts]

    def duration_rows(self) -> list[dict]:
        """What the template needs to lay out each duration as one row."""
        rows = []
        for name in self.durations:
            model_field = self.instance._meta.get_field(name)
            hours, minutes = self[f"{name}_hours"], self[f"{name}_minutes"]
            rows.append(
                {
                    "name": name,
                    "label": model_field.verbose_name,
                    "help": model_field.help_text,
                    "hours": hours,
                    "minutes": minutes,
                    "errors": [*hours.errors, *minutes.errors],
                }
            )
        return rows


# --- settings -----------------------------------------------------------------------------------


class SpeedForm(DurationsMixin, forms.ModelForm):
    durations = ("reaction_time", "resolution_time", "deferred_return_time")

    class Meta:
        model = DeskSettings
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_duration_fields()

    def clean(self):
        data = super().clean()
        self.clean_durations()
        reaction, resolution = self.instance.reaction_time, self.instance.resolution_time
        if not self.errors and reaction and resolution and reaction > resolution:
            self.add_error("resolution_time_hours", _("The resolution time cannot be shorter than the reaction time."))
        return data


class RequisitesForm(forms.ModelForm):
    class Meta:
        model = DeskSettings
        fields = ["legal_name", "inn", "kpp", "ogrn", "legal_address", "company_email", "company_phone"]
        widgets = {"legal_address": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)

    def clean_ogrn(self):
        value = self.cleaned_data["ogrn"].strip()
        if value:
            validate_ogrn(value)
        return value


class FormOptionsForm(forms.ModelForm):
    """«Прочее»: what the public form asks and shows, who may embed it, and its file limits."""

    class Meta:
        model = DeskSettings
        fields = [
            "phone_required",
            "header_company_name",
            "allowed_origins",
            "max_files",
            "max_file_mb",
            "max_total_mb",
        ]
        widgets = {"allowed_origins": forms.Textarea(attrs={"rows": 3, "placeholder": "https://example.ru"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)

    def clean_allowed_origins(self):
        lines = [line.strip().rstrip("/") for line in self.cleaned_data["allowed_origins"].splitlines() if line.strip()]
        bad = [line for line in lines if not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:\d{1,5})?", line)]
        if bad:
            raise ValidationError(
                _("Write each site as its origin, like https://example.ru (no path): %(bad)s") % {"bad": ", ".join(bad)}
            )
        return "\n".join(lines)

    def clean(self):
        data = super().clean()
        one, total = data.get("max_file_mb"), data.get("max_total_mb")
        if one and total and one > total:
            self.add_error("max_total_mb", _("All files together cannot be smaller than one file."))
        return data


TELEGRAM_TOKEN = re.compile(r"\d{5,15}:[A-Za-z0-9_-]{30,60}")
TELEGRAM_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,30}bot", re.IGNORECASE)


class TelegramForm(forms.ModelForm):
    """The bot token is a secret: it is never shown again; an empty field keeps the stored one."""

    token = forms.CharField(
        label=_("Telegram bot token"),
        required=False,
        max_length=100,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text=_("From @BotFather, like 123456789:AA… Leave empty to keep the current token."),
    )
    forget_token = forms.BooleanField(label=_("Remove the stored token"), required=False)

    class Meta:
        model = DeskSettings
        fields = ["telegram_username", "telegram_phone"]

    field_order = ["token", "forget_token", "telegram_username", "telegram_phone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.telegram_token:
            del self.fields["forget_token"]
        _bootstrap(self)

    def clean_token(self):
        value = self.cleaned_data["token"].strip()
        if value and not TELEGRAM_TOKEN.fullmatch(value):
            raise ValidationError(_("This does not look like a bot token: digits, a colon, then 30–60 characters."))
        return value

    def clean_telegram_username(self):
        value = self.cleaned_data["telegram_username"].strip().lstrip("@")
        if value and not TELEGRAM_USERNAME.fullmatch(value):
            raise ValidationError(_("A bot username has 5–32 Latin letters, digits or “_” and ends with “bot”."))
        return value

    def save(self, commit=True):
        if self.cleaned_data.get("token"):
            self.instance.telegram_token = self.cleaned_data["token"]
        elif self.cleaned_data.get("forget_token"):
            self.instance.telegram_token = ""
        return super().save(commit=commit)


class FaviconForm(forms.Form):
    icon = forms.FileField(
        label=_("Icon"),
        help_text=_("PNG, ICO or JPEG; it is cut to a square and stored at 32×32 and 180×180."),
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".png,.ico,.jpg,.jpeg"}),
    )


def staff_users():
    return get_user_model().objects.filter(is_active=True).order_by("last_name", "first_name", "username")


class ServiceForm(DurationsMixin, forms.ModelForm):
    durations = ("reaction_time", "resolution_time")
    durations_required = False

    class Meta:
        model = Service
        fields = ["name", "description", "active", "responsible", "order"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = staff_users()
        self.fields["responsible"].empty_label = _("Nobody (tickets stay unassigned)")
        _bootstrap(self)
        self.add_duration_fields()

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError(_("Give the service a name."))
        # Compared in Python: SQLite folds the case of Latin letters only, and services are few.
        others = Service.objects.exclude(pk=self.instance.pk).values_list("name", flat=True)
        if any(other.casefold() == name.casefold() for other in others):
            raise ValidationError(_("There is already a service with this name."))
        return name

    def clean(self):
        data = super().clean()
        self.clean_durations()
        return data


# --- tickets ------------------------------------------------------------------------------------


class StatusFilter:
    """The status filter: «В работе» (the default) hides deferred and done tickets."""

    IN_WORK = ""
    ALL = "all"
    IN_WORK_STATUSES = (TicketStatus.NEW, TicketStatus.IN_PROGRESS)

    @classmethod
    def choices(cls):
        return [(cls.IN_WORK, _("In work")), (cls.ALL, _("All statuses")), *TicketStatus.choices]

    @classmethod
    def statuses(cls, value: str) -> list[str]:
        if value == cls.ALL:
            return list(TicketStatus.values)
        if value in TicketStatus.values:
            return [value]
        return list(cls.IN_WORK_STATUSES)


class TicketFilterForm(BoardFilterForm):
    """The board's filters plus the Service Desk's own: status, service, company, overdue."""

    status = forms.ChoiceField(label=_("Status"), required=False)
    service = forms.ModelChoiceField(label=_("Service"), queryset=Service.objects.none(), required=False)
    company_name = forms.CharField(label=_("Company"), required=False, max_length=200)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    standing = forms.ChoiceField(label=_("Contract"), required=False)
    # Set by the links from CRM cards ("all tickets of this company"); not typed by people.
    company = forms.ModelChoiceField(queryset=Company.objects.all(), required=False, widget=forms.HiddenInput)
    contact = forms.ModelChoiceField(queryset=Contact.objects.all(), required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Statuses are chosen by the status filter; the board's generic "closed stages" box would repeat it.
        del self.fields["closed"]
        del self.fields["stage"]  # the status filter says it
        self.fields["status"].choices = StatusFilter.choices()
        self.fields["service"].queryset = Service.objects.order_by("order", "name")
        self.fields["service"].empty_label = _("Any service")
        self.fields["responsible"].label = _("Assignee")
        self.fields["standing"].choices = [("", _("Any client")), *Standing.choices]
        # The checkbox sits last, after the text fields, like the board's own checkbox did.
        self.order_fields([name for name in self.fields if name != "overdue"] + ["overdue"])

    def clean_q(self):
        # People type ticket numbers as they see them: "#1042".
        return self.cleaned_data["q"].strip().lstrip("#")

    def statuses(self) -> list[str]:
        return StatusFilter.statuses(getattr(self, "cleaned_data", {}).get("status") or "")


class DeferForm(forms.Form):
    return_at = forms.DateTimeField(
        label=_("Return to work at"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%d.%m.%Y %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "class": "form-control form-control-sm"}),
        help_text=_("Empty: after the usual auto-return time."),
    )
    reason = forms.CharField(
        label=_("Why"), required=False, max_length=2000, widget=forms.TextInput(attrs={"class": "form-control"})
    )


class NoteForm(forms.Form):
    """The optional words with «Завершить» (sent to the client) or a reopening."""

    note = forms.CharField(required=False, max_length=5000)


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=None, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff_users()
        self.fields["assignee"].empty_label = _("Nobody")
        self.fields["assignee"].widget.attrs.update(
            {"class": "form-select form-select-sm", "aria-label": _("Assignee")}
        )


class CommentForm(forms.Form):
    class Visibility:
        PUBLIC = "public"
        INTERNAL = "internal"

    body = forms.CharField(
        label=_("Comment"),
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}),
        error_messages={"required": _("Write the text of the comment.")},
    )
    visibility = forms.ChoiceField(
        label=_("Who sees it"),
        choices=[
            (Visibility.PUBLIC, _("The client too (sent by email)")),
            (Visibility.INTERNAL, _("Staff only (internal note)")),
        ],
        initial=Visibility.PUBLIC,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    files = MultipleFileField(label=_("Files"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].widget.attrs.update({"multiple": True, "class": "form-control form-control-sm"})

    @property
    def is_public(self) -> bool:
        return self.cleaned_data["visibility"] == self.Visibility.PUBLIC


class EmailIntakeForm(forms.ModelForm):
    """Email intake and the support mailbox; the password is never shown again (empty keeps it)."""

    password = forms.CharField(
        label=_("Mailbox password"),
        required=False,
        max_length=255,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the stored password."),
    )

    class Meta:
        model = DeskSettings
        fields = [
            "email_service",
            "reopen_window_days",
            "email_tickets_per_hour",
            "email_attach_max_mb",
            "imap_host",
            "imap_port",
            "imap_security",
            "imap_login",
            "imap_folder",
            "imap_processed_folder",
        ]

    field_order = [*Meta.fields[:8], "password", *Meta.fields[8:]]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email_service"].queryset = Service.objects.filter(active=True)
        _bootstrap(self)

    def save(self, commit=True):
        if self.cleaned_data.get("password"):
            self.instance.imap_password = self.cleaned_data["password"]
        changed = {"imap_host", "imap_port", "imap_login", "imap_folder"} & set(self.changed_data)
        if changed or self.cleaned_data.get("password"):
            # Another server or folder: read it from its start, and try it at once.
            self.instance.imap_uidvalidity, self.instance.imap_last_uid = None, 0
            self.instance.imap_failures, self.instance.imap_retry_at = 0, None
        return super().save(commit=commit)
