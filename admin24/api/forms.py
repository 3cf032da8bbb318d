"""API endpoints that run a Django form, so a client gets the same checks as the web page."""

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError


def form_values(data, form_class) -> dict:
    """The form's fields out of a request body; a body that is not an object (a JSON list, a
    string, null) is a 400 rather than a crash."""
    if not hasattr(data, "get"):
        raise ValidationError({"non_field_errors": [_("Send the fields as one object.")]})
    return {name: data.get(name) for name in form_class.base_fields if data.get(name) is not None}
