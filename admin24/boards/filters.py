import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from admin24.fragments import use_fragment_widgets


class Scope(models.TextChoices):
    ALL = "all", _("All")
    MINE = "mine", _("Mine")
    DEPARTMENT = "department", _("My department")


# The dates a board may be filtered by: a day's start and end stay valid moments in every time zone
# (9999-12-31 has no next day, 0001-01-01 no UTC instant before Moscow's midnight).
EARLIEST_DAY, LATEST_DAY = datetime.date(1900, 1, 1), datetime.date(2999, 12, 31)
DAY_VALIDATORS = [MinValueValidator(EARLIEST_DAY), MaxValueValidator(LATEST_DAY)]
# The same span for moments (the reports' links), a day inside it so that every zone's reading fits.
MOMENT_VALIDATORS = [
    MinValueValidator(
        datetime.datetime.combine(EARLIEST_DAY + datetime.timedelta(days=1), datetime.time(), datetime.UTC)
    ),
    MaxValueValidator(
        datetime.datetime.combine(LATEST_DAY - datetime.timedelta(days=1), datetime.time(), datetime.UTC)
    ),
]


class BoardFilterForm(forms.Form):
    """The filters shared by a board, its list and its CSV export (read from the query string).
    Every page of a board renders them: their widgets write their HTML in Python
    (``admin24.fragments.use_fragment_widgets``)."""

    scope = forms.ChoiceField(label=_("Whose"), choices=Scope.choices, required=False)
    responsible = forms.ModelChoiceField(label=_("Responsible"), queryset=None, required=False)
    source = forms.ChoiceField(label=_("Source"), required=False)
    created_from = forms.DateField(
        label=_("Created from"),
        required=False,
        validators=DAY_VALIDATORS,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    created_to = forms.DateField(
        label=_("Created to"), required=False, validators=DAY_VALIDATORS, widget=forms.DateInput(attrs={"type": "date"})
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    closed = forms.BooleanField(label=_("Show closed stages"), required=False)
    # Set by the links from the reports ("12 deals stuck at «Обратная связь»"); not typed by people.
    stage = forms.ChoiceField(required=False, widget=forms.HiddenInput)
    entered_after = forms.DateTimeField(required=False, validators=MOMENT_VALIDATORS, widget=forms.HiddenInput)
    entered_before = forms.DateTimeField(required=False, validators=MOMENT_VALIDATORS, widget=forms.HiddenInput)

    def __init__(self, *args, board, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = get_user_model().objects.filter(is_active=True)
        self.fields["responsible"].empty_label = _("Anyone")
        self.fields["stage"].choices = [("", ""), *[(stage.slug, stage.label) for stage in board.stages()]]
        sources = board.source_choices()
        if sources:
            self.fields["source"].choices = [("", _("Any source")), *sources]
        else:
            del self.fields["source"]
        for form_field in self.fields.values():
            widget = form_field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select form-select-sm"
            else:
                css = "form-control form-control-sm"
            widget.attrs.setdefault("class", css)
        use_fragment_widgets(self)

    def clean(self):
        data = super().clean()
        start, end = data.get("created_from"), data.get("created_to")
        if start and end and start > end:
            self.add_error("created_to", _("The end date is before the start date."))
        return data

    def active_querystring(self) -> str:
        """The filters as a query string, to carry them to column pages, the list and the CSV."""
        data = getattr(self, "cleaned_data", {})
        params = {}
        for name, value in data.items():
            if value in (None, "", False) or name in self.errors:
                continue
            if value is True:
                params[name] = "1"
            elif hasattr(value, "pk"):
                params[name] = str(value.pk)
            else:
                params[name] = str(value)
        query = QueryDict(mutable=True)
        query.update(params)
        return query.urlencode()
