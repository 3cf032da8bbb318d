"""API endpoints that run a Django form, so a client gets the same checks as the web page."""

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError


def form_values(data, form_class) -> dict:
    """The form's fields out of a request body; a body that is not an object (a JSON list, a
    string, null) is a 400 rather than a crash.

    A form coerces whatever it is given to text, so a JSON body's values are checked for their
    JSON type first (a list is not a name, ``"yes"`` is not ``true``); a form or multipart body
    holds only text and is left to the form. ``null`` counts as absent.
    """
    if not hasattr(data, "get"):
        raise ValidationError({"non_field_errors": [_("Send the fields as one object.")]})
    values = {name: data.get(name) for name in form_class.base_fields if data.get(name) is not None}
    if not isinstance(data, QueryDict):
        wrong = {
            name: [message]
            for name, value in values.items()
            if (message := _json_type_error(form_class.base_fields[name], value)) is not None
        }
        if wrong:
            raise ValidationError(wrong)
    return values


def _json_type_error(field: forms.Field, value) -> str | None:
    """What is wrong with the JSON type of ``value`` for ``field``, or None."""
    if isinstance(field, forms.BooleanField):
        return None if isinstance(value, bool) else _("Send true or false.")
    if isinstance(field, forms.IntegerField):
        return None if isinstance(value, int) and not isinstance(value, bool) else _("Send a whole number.")
    if isinstance(field, forms.FileField):
        return _("Send files as multipart/form-data.")
    if isinstance(field, forms.ChoiceField):
        # A choice's id may come as a number or as the text of one.
        return None if isinstance(value, str | int) and not isinstance(value, bool) else _("Send one of the choices.")
    return None if isinstance(value, str) else _("Send a string.")
