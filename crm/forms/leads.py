"""The lead pages' forms: the card, the qualification questions and a move."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ..models import Lead, LeadSource
from ..services.leads import LEAD_FIELDS
from .common import StaffForm, bootstrap_widgets


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
    def for_lead(cls, lead: Lead, questions: list[str], data=None, *, editable: bool = True):
        """The form filled in with the lead's answers; disabled for a user who may only read it."""
        form = cls._for_lead(lead, questions, data)
        for field in form.fields.values():
            field.disabled = not editable
        return form

    @classmethod
    def _for_lead(cls, lead: Lead, questions: list[str], data=None):
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


class LeadMoveForm(forms.Form):
    to = forms.CharField(max_length=32)
    reason = forms.CharField(required=False, max_length=2000)
