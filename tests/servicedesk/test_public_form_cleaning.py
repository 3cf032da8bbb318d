"""The public form's plain path (``forms._clean_plain``) against Django's own cleaning, value for value."""

import pytest
from django import forms
from django.http import QueryDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicedesk.intake.forms import PublicTicketForm

from .conftest import valid_post

pytestmark = pytest.mark.django_db

FIELDS = [
    "service",
    "name",
    "email",
    "phone",
    "company",
    "subject",
    "description",
    "consent_desk",
    "consent_company",
    "website",
    "rendered",
]
SPACES = [" ", "\t", "\n", "\u00a0", "\u2003", "\u3000", "\x1c", "\ufeff"]
HOSTILE = [
    "",
    *SPACES,
    "\x00",
    "a\x00b",
    "on",
    "On",
    "ON",
    "true",
    "True",
    "1",
    "0",
    "false",
    "off",
    "+5",
    "-1",
    "1_0",
    "1e3",
    "０",
    "٣",
    "²",
    "99999999999999999999999",
    "a@b.ru",
    " A@B.RU ",
    "a@b",
    "a..b@c.ru",
    "a@пример.рф",
    "пётр@пример.рф",
    "a@xn--e1afmkfd.xn--p1ai",
    "x" * 243 + "@client.ru",
    "x" * 244 + "@client.ru",
    "+7 (999) 123-45-67",
    "8 999 123 45 67",
    "12345",
    "+" + "1" * 16,
    "телефон",
    "x" * 300,
    "x" * 301,
    " " + "x" * 300 + " ",
    "x" * 20000,
    "x" * 20001,
    "<script>alert(1)</script>",
    "Пётр",
]


def values(service_pk: int):
    own = [str(service_pk), f" {service_pk}", f"{service_pk} ", f"0{service_pk}", f"{service_pk}\n"]
    padded = st.sampled_from(SPACES).map(lambda space: space + "x")
    one = st.one_of(st.sampled_from(HOSTILE + own), st.text(max_size=12), padded)
    # None: the field is not posted at all; a list of two: posted twice (QueryDict keeps the last).
    return st.one_of(st.none(), one.map(lambda v: [v]), st.lists(one, min_size=2, max_size=2))


def post(service, changes: dict) -> QueryDict:
    base = valid_post(service)
    data = QueryDict(mutable=True)
    for name in FIELDS:
        posted = changes.get(name, [base[name]])
        if posted is not None:
            data.setlist(name, posted)
    return data


def test_a_plain_post_is_cleaned_without_a_bound_field_and_as_django_would(desk, service):
    data = post(service, {"email": [" Petr@Client.RU "], "company": ["  "], "phone": ["8 999 123 45 67"]})
    plain, usual = PublicTicketForm(data, desk=desk), PublicTicketForm(data, desk=desk)
    forms.Form.full_clean(usual)
    assert plain.is_valid()
    assert plain._bound_fields_cache == {}  # Django's per-field path was not taken
    assert plain.cleaned_data == usual.cleaned_data
    assert plain.cleaned_data["phone"] == "+79991234567"
    assert plain.cleaned_data["service"] == service


def test_a_post_with_an_error_is_cleaned_the_usual_way(desk, service):
    form = PublicTicketForm(post(service, {"consent_company": None}), desk=desk)
    assert not form.is_valid()
    assert list(form.errors) == ["consent_company"]
    assert form._bound_fields_cache  # Django's own path, its own message


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), phone_required=st.booleans())
def test_any_post_gets_the_same_errors_and_values_as_djangos_own_cleaning(desk, service, data, phone_required):
    desk.phone_required = phone_required  # not saved: this desk object gets fields of its own
    changes = data.draw(st.dictionaries(st.sampled_from(FIELDS), values(service.pk), max_size=3))
    posted = post(service, changes)
    plain, usual = PublicTicketForm(posted, desk=desk), PublicTicketForm(posted, desk=desk)
    forms.Form.full_clean(usual)
    assert plain.errors.get_json_data() == usual.errors.get_json_data()
    assert plain.cleaned_data == usual.cleaned_data
