"""A service's refusal shown on the page's form: the one way views put a ``ValidationError`` there."""

from django.core.exceptions import ValidationError


def add_errors(form, error: ValidationError) -> None:
    """``error``'s messages on ``form``: each under its field where the form has that field, the
    rest (and an error of no field) as the form's own. Django's ``add_error(None, error)`` raises
    instead for a field the form lacks."""
    by_field = error.error_dict if hasattr(error, "error_dict") else {None: error.error_list}
    for name, errors in by_field.items():
        form.add_error(name if name in form.fields else None, errors)
