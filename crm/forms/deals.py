"""The deal card's forms. They validate input; ``crm.services.deals`` acts on it."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import Company, Contact, Deal, LostReason
from ..services.deals import DEAL_FIELDS, FILE_FIELDS
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
# The deal's file each upload input sets (the names ``deal_settable_fields`` speaks of).
FILE_FIELD_OF = {name: FILE_FIELDS[kind] for name, kind in FILE_INPUTS.items()}


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

    def __init__(self, *args, user, settable=None, **kwargs):
        """``settable``: the fields the user may set (``deal_settable_fields``); the rest are shown
        disabled and keep their values whatever is posted. None: all of them. The company and
        contact are chosen among those ``user`` may read."""
        super().__init__(*args, **kwargs)
        self.limit_to_linkable(
            user, company=Company.objects.order_by("name"), contact=Contact.objects.order_by("full_name")
        )
        if settable is not None:
            for name, field in self.fields.items():
                if FILE_FIELD_OF.get(name, name) not in settable:
                    field.disabled = True

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

    def uploads(self) -> dict:
        return {kind: self.cleaned_data.get(name) for name, kind in FILE_INPUTS.items()}

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
