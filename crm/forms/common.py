"""What the CRM's staff forms share: Bootstrap widgets and the responsible chosen among active staff."""

from django import forms
from django.contrib.auth import get_user_model

from admin24 import access


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

    def limit_to_linkable(self, user, **querysets) -> None:
        """Each named foreign key chosen among the rows ``user`` may read (``access.linkable``),
        keeping the one the card holds already."""
        for name, queryset in querysets.items():
            current = getattr(self.instance, f"{name}_id", None)
            self.fields[name].queryset = access.linkable(user, queryset, current=current)

    def service_fields(self) -> dict:
        """The cleaned values under the names the service takes.

        A new card left without a responsible is not sent one: the service then picks it (the
        creator, or the lead distribution).
        """
        fields = {name: self.cleaned_data[name] for name in self.Meta.fields if name in self.cleaned_data}
        if self.instance.pk is None and fields.get("responsible") is None:
            fields.pop("responsible", None)
        return fields
