"""The public «request subscription support» form: one validation for the page and the API."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django_ratelimit.core import is_ratelimited

from admin24.normalize import validate_phone

RATE_GROUP = "crm.public_lead"
RATE = "10/h"


class PublicLeadForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=300)
    company = forms.CharField(label=_("Company"), max_length=300, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False, validators=[validate_phone])
    email = forms.EmailField(label=_("Email"), required=False)
    computers = forms.IntegerField(label=_("Computers"), min_value=0, max_value=100000, required=False)
    servers = forms.IntegerField(label=_("Servers"), min_value=0, max_value=10000, required=False)
    offices = forms.IntegerField(label=_("Offices"), min_value=0, max_value=1000, required=False)
    message = forms.CharField(label=_("Message"), max_length=5000, required=False, widget=forms.Textarea)
    consent = forms.BooleanField(label=_("I agree to the processing of my personal data"), required=True)

    def clean(self):
        data = super().clean()
        if (
            not data.get("phone")
            and not data.get("email")
            and not self.has_error("phone")
            and not self.has_error("email")
        ):
            raise forms.ValidationError(_("Give a phone or an email so that we can reach you."))
        return data


def public_rate_limited(request) -> bool:
    """Count this submission against the client's IP; True once it is over the limit.

    The counter lives in the default cache, which every process shares (Redis, or files).
    """
    return is_ratelimited(request, group=RATE_GROUP, key="ip", rate=RATE, method="POST", increment=True)
