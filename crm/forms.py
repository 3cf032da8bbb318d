"""Staff forms of the CRM pages. They validate input; the services in ``crm.services`` act on it."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from admin24.normalize import validate_phone

from .models import Company, Contact, Lead, LeadSource
from .services.leads import LEAD_FIELDS


def bootstrap_widgets(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")
        if isinstance(widget, forms.Textarea) and widget.attrs.get("rows") == "10":
            widget.attrs["rows"] = 3  # Django's default of 10 rows dwarfs the rest of a card


def _staff():
    return get_user_model().objects.filter(is_active=True)


class StaffForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "responsible" in self.fields:
            self.fields["responsible"].queryset = _staff()
        bootstrap_widgets(self)

    def service_fields(self) -> dict:
        """The cleaned values under the names the service takes.

        A new card left without a responsible is not sent one: the service then picks it (the
        creator, or the lead distribution).
        """
        fields = {name: self.cleaned_data[name] for name in self.Meta.fields if name in self.cleaned_data}
        if self.instance.pk is None and fields.get("responsible") is None:
            fields.pop("responsible", None)
        return fields


class LeadForm(StaffForm):
    # Staff record calls and emails by hand too; a phone-call lead skips the call-back schedule.
    source = forms.ChoiceField(label=_("Source"), choices=LeadSource.choices, initial=LeadSource.MANUAL)

    class Meta:
        model = Lead
        fields = list(LEAD_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["title"].required = False
        self.fields["title"].help_text = _("Left empty, the company or contact name is used.")
        if self.instance.pk:
            del self.fields["source"]  # where a lead came from does not change

    def clean(self):
        data = super().clean()
        if not data.get("phone") and not data.get("email"):
            raise ValidationError(_("Give the client's phone or email."))
        return data


class QualificationForm(forms.Form):
    """The admin-editable qualification questions, the counts and the client's request."""

    computers = forms.IntegerField(label=_("computers"), min_value=0, max_value=100000)
    servers = forms.IntegerField(label=_("servers"), min_value=0, max_value=10000)
    offices = forms.IntegerField(label=_("offices"), min_value=0, max_value=1000)
    client_request = forms.CharField(label=_("client request"), required=False, widget=forms.Textarea)

    def __init__(self, *args, questions: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        for index, question in enumerate(questions):
            self.fields[f"answer_{index}"] = forms.CharField(
                label=question, required=False, widget=forms.Textarea(attrs={"rows": 2})
            )
        # The questions come first: counts and the request are filled in from the answers.
        self.order_fields([*(f"answer_{i}" for i in range(len(questions))), "computers", "servers", "offices"])
        bootstrap_widgets(self)

    @classmethod
    def for_lead(cls, lead: Lead, questions: list[str], data=None):
        answers = {item.get("question"): item.get("answer", "") for item in lead.qualification or []}
        initial = {
            "computers": lead.computers,
            "servers": lead.servers,
            "offices": lead.offices,
            "client_request": lead.client_request,
            **{f"answer_{i}": answers.get(q, "") for i, q in enumerate(questions)},
        }
        return cls(data, questions=questions, initial=initial)

    def answers(self) -> dict[str, str]:
        return {q: self.cleaned_data.get(f"answer_{i}", "") for i, q in enumerate(self.questions)}


class CompanyForm(StaffForm):
    class Meta:
        model = Company
        fields = ["name", "inn", "kpp", "address", "phones", "emails", "website", "responsible", "notes"]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class ContactForm(StaffForm):
    """A contact with its emails and phones edited as ordered lines: the first email gets invoices."""

    email_lines = forms.CharField(
        label=_("Emails"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line, in order: invoices go to the first one."),
    )
    phone_lines = forms.CharField(
        label=_("Phones"), required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text=_("One per line.")
    )

    class Meta:
        model = Contact
        fields = ["full_name", "position", "company", "telegram", "responsible", "notes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["email_lines"] = "\n".join(e.email for e in self.instance.emails.all())
            self.initial["phone_lines"] = "\n".join(p.phone for p in self.instance.phones.all())

    def clean_email_lines(self) -> list[str]:
        emails = _lines(self.cleaned_data.get("email_lines"))
        for email in emails:
            try:
                validate_email(email)
            except ValidationError:
                raise ValidationError(_("“%(email)s” is not a valid email."), params={"email": email}) from None
        return emails

    def clean_phone_lines(self) -> list[str]:
        phones = _lines(self.cleaned_data.get("phone_lines"))
        for phone in phones:
            try:
                validate_phone(phone)
            except ValidationError:
                raise ValidationError(_("“%(phone)s” is not a phone number."), params={"phone": phone}) from None
        return phones


class TaskCompleteForm(forms.Form):
    comment = forms.CharField(label=_("Result"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap_widgets(self)


class MoveForm(forms.Form):
    to = forms.CharField(max_length=32)
    reason = forms.CharField(required=False, max_length=2000)
