"""A service's refusal on the page's form: under the field it names, else as the form's own."""

import pytest
from django import forms
from django.core.exceptions import ValidationError

from admin24.form_errors import add_errors


class _Form(forms.Form):
    email = forms.CharField()


def test_a_refusal_naming_a_field_the_form_lacks_shows_as_the_forms_own_error():
    form = _Form({"email": "a@b.ru"})
    assert form.is_valid()
    add_errors(form, ValidationError({"email": "Taken.", "client_email_normalized": "Also taken."}))
    assert form.errors["email"] == ["Taken."]
    assert form.non_field_errors() == ["Also taken."]
    # Django's own add_error(None, …) refuses such an error outright: the page would be a 500.
    other = _Form({"email": "a@b.ru"})
    assert other.is_valid()
    with pytest.raises(ValueError, match="no field named"):
        other.add_error(None, ValidationError({"client_email_normalized": "Also taken."}))


def test_a_refusal_of_no_field_is_the_forms_own():
    form = _Form({"email": "a@b.ru"})
    assert form.is_valid()
    add_errors(form, ValidationError("Give the client's phone or email."))
    assert form.non_field_errors() == ["Give the client's phone or email."]
