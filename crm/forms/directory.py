"""The company and contact cards' forms."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from admin24.normalize import validate_phone

from ..models import Company, Contact
from .common import StaffForm


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

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit_to_linkable(user, company=Company.objects.order_by("name"))
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
