"""The task card's form: completing it with a result."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .common import bootstrap_widgets


class TaskCompleteForm(forms.Form):
    comment = forms.CharField(label=_("Result"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap_widgets(self)
