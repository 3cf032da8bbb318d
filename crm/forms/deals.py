"""The deal card's forms. They validate input; ``crm.services.deals`` acts on it."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import Company, Contact, Deal, LostReason
from ..services.deals import DEAL_FIELDS
from .common import StaffForm, bootstrap_widgets

# The card's sections: which fields, and from which stage of «Заключение договора» they matter.
# The first takes every field of DEAL_FIELDS the later ones do not, so each field the service takes
# is shown once (a field the card did not show would be emptied by every save).
_LATER_SECTIONS = [
    (_("Commercial proposal"), "proposal", ["proposal_upload"]),
    (_("Contract"), "contract", ["contract_upload", "contract_date", "contract_end_date"]),
    (_("Payment"), "awaiting_payment", ["payment_received"]),
]
_IN_LATER = {name for _label, _stage, names in _LATER_SECTIONS for name in names}
SECTIONS = [
    (_("Client and terms"), "proposal", [name for name in DEAL_FIELDS if name not in _IN_LATER]),
    *_LATER_SECTIONS,
]
FILE_INPUTS = {"proposal_upload": "proposal", "contract_upload": "contract"}
# The form's fields for the deal's fields a task holder may fill in (``TASK_HOLDER_FIELDS``).
FORM_FIELD_OF = {"contract_file": "contract_upload", "proposal_file": "proposal_upload"}


class DealForm(StaffForm):
    proposal_upload = forms.FileField(
        label=_("Proposal file"), required=False, help_text=_("PDF, DOC, DOCX, ODT or an image; up to 20 MB.")
    )
    contract_upload = forms.FileField(
        label=_("Contract file"), required=False, help_text=_("PDF, DOC, DOCX, ODT or an image; up to 20 MB.")
    )

    class Meta:
        model = Deal
        fields = list(DEAL_FIELDS)
        widgets = {
            "contract_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "contract_end_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, editable: set[str] | None = None, **kwargs):
        """``editable``: the names of the fields the user may change (None: all of them). The
        others are disabled: shown, never taken from the request (their stored values are kept)."""
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = Company.objects.order_by("name")
        self.fields["contact"].queryset = Contact.objects.order_by("full_name")
        if editable is not None:
            for name, field in self.fields.items():
                field.disabled = name not in editable

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

    def uploads(self) -> dict:
        return {
            kind: self.cleaned_data.get(name) for name, kind in FILE_INPUTS.items() if not self.fields[name].disabled
        }

    def sections(self, *, collapsed_before):
        """(label, bound fields, collapsed) per section; ``collapsed_before(stage)`` says which wait."""
        return [(label, [self[name] for name in names], collapsed_before(stage)) for label, stage, names in SECTIONS]


class DealMoveForm(forms.Form):
    to = forms.CharField(max_length=32)
    reason = forms.CharField(max_length=2000, required=False)
    lost_reason = forms.ModelChoiceField(queryset=LostReason.objects.filter(active=True), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap_widgets(self)

    def reason_text(self) -> str:
        """The listed reason first, then the comment: the text the pipeline's guard reads."""
        listed, comment = self.cleaned_data.get("lost_reason"), self.cleaned_data.get("reason", "").strip()
        if listed is None:
            return comment
        return f"{listed.name}: {comment}" if comment else listed.name
