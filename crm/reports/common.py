"""What the CRM report pages share: their filters and the links into the boards' lists."""

from urllib.parse import urlencode

from django import forms
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from admin24.reports import Period, ReportFilterForm


class CrmReportForm(ReportFilterForm):
    responsible = forms.ModelChoiceField(label=_("Responsible"), queryset=None, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        users = get_user_model().objects.filter(is_active=True).order_by("last_name", "first_name", "username")
        self.fields["responsible"].queryset = users
        self.fields["responsible"].empty_label = _("Anyone")
        self.fields["responsible"].widget.attrs["class"] = "form-select form-select-sm"

    def who(self):
        return (self.cleaned_data if self.is_valid() else {}).get("responsible")


def narrowed(queryset, form: CrmReportForm, owner: str = "responsible"):
    who = form.who()
    return queryset.filter(**{owner: who}) if who is not None else queryset


class Links:
    """URLs of a board's list behind a number, with the report's responsible filter."""

    def __init__(self, url_name: str, form: CrmReportForm, period: Period | None = None):
        self.url = reverse(url_name)
        who = form.who()
        self.base = {"responsible": str(who.pk)} if who is not None else {}
        self.period = period.as_query() if period is not None else {}

    def __call__(self, *, dated: bool = True, **params) -> str:
        query = {**self.base, **(self.period if dated else {}), "closed": "1"}
        query |= {name: str(value) for name, value in params.items() if value not in (None, "")}
        return f"{self.url}?{urlencode(query)}"
