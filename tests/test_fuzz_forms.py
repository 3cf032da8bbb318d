"""Hostile input to the web forms: a clear answer on the page, never a server error, nothing half-saved.

The first tests pin what a sweep of hostile values over every form found; the last one repeats a
bounded sweep over the forms anyone on the internet can reach and the staff's create forms.
"""

import datetime
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from admin24.roles import Role
from crm.models import Company, Contact, Contract, Lead
from servicedesk.emails import ticket_id_from_reply_token
from servicedesk.models import DeskSettings, Ticket
from tests.factories import DealFactory, LeadFactory, ServiceFactory, UserFactory

pytestmark = pytest.mark.django_db

TWENTY_DIGITS = "99999999999999999999"


@pytest.fixture
def admin():
    return UserFactory(roles=[Role.ADMINISTRATOR])


@pytest.fixture
def staff(admin):
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(admin)
    return client


def test_qualification_counts_past_any_office_are_refused(staff, admin):
    lead = LeadFactory(responsible=admin, computers=3)
    response = staff.post(
        reverse("crm:lead-qualification", args=[lead.pk]),
        {"computers": TWENTY_DIGITS, "servers": "1", "offices": "1"},
        follow=True,
    )
    assert response.status_code == 200
    assert "The qualification is not saved" in response.content.decode()
    lead.refresh_from_db()
    assert lead.computers == 3


def test_a_lead_phone_with_too_many_digits_is_refused_on_the_form(staff, admin):
    lead = LeadFactory(responsible=admin, phone="+7 999 123-45-67")
    response = staff.post(
        reverse("crm:lead-edit", args=[lead.pk]), {"title": lead.title, "phone": TWENTY_DIGITS, "email": lead.email}
    )
    assert response.status_code == 200
    assert "10 to 15 digits" in response.content.decode()
    lead.refresh_from_db()
    assert lead.phone == "+7 999 123-45-67"


def test_a_contact_phone_line_with_too_many_digits_is_refused(staff):
    response = staff.post(
        reverse("crm:contact-create"), {"full_name": "Петров Пётр", "phone_lines": f"+7 999 123-45-67\n{TWENTY_DIGITS}"}
    )
    assert response.status_code == 200
    assert "is not a phone number" in response.content.decode()
    assert Contact.objects.count() == 0


HOSTILE = {
    "huge": "Я" * 50_000,
    "nul": "a\x00b",
    "negative": "-5",
    "bigint": TWENTY_DIGITS,
    "float": "1e309",
    "far date": "9999-12-31",
    "impossible date": "2027-02-30",
    "markup": "<script>alert(1)</script>",
    "unicode digit": "²",
}


class _PostForms(HTMLParser):
    """The POST forms of a page with the values they would send as rendered."""

    def __init__(self):
        super().__init__()
        self.forms, self._form, self._select = [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self._form = {"action": attrs.get("action") or "", "fields": {}}
            self.forms.append(self._form)
        elif self._form is None or not attrs.get("name"):
            return
        elif tag == "input" and attrs.get("type") not in ("submit", "file"):
            self._form["fields"].setdefault(attrs["name"], attrs.get("value") or "on")
        elif tag == "textarea":
            self._form["fields"][attrs["name"]] = "Текст"
        elif tag == "select":
            self._select = attrs["name"]
            self._form["fields"][self._select] = ""
        if tag == "option" and self._select and not self._form["fields"][self._select]:
            self._form["fields"][self._select] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def _sweep(client, page_url):
    page = client.get(page_url)
    assert page.status_code == 200, page_url
    parser = _PostForms()
    parser.feed(page.content.decode())
    (form,) = [form for form in parser.forms if (form["action"] or page_url) == page_url]
    server_errors = []
    for field in form["fields"]:
        if field == "csrfmiddlewaretoken":
            continue
        for label, value in HOSTILE.items():
            response = client.post(page_url, {**form["fields"], field: value})
            if response.status_code >= 500:
                server_errors.append((page_url, field, label))
    return server_errors


def test_hostile_values_in_any_field_never_break_a_form(settings, staff):
    settings.SERVICEDESK_FORM_RATE_PER_IP = "100000/h"
    settings.SERVICEDESK_FORM_RATE_PER_EMAIL = "100000/h"
    settings.SERVICEDESK_FORM_MIN_SECONDS = 0
    settings.RATELIMIT_ENABLE = False
    ServiceFactory(name="Обслуживание компьютеров")
    anonymous = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    errors = _sweep(anonymous, reverse("desk:form", args=[DeskSettings.load().form_key]))
    errors += _sweep(anonymous, reverse("crm:public-lead-form"))
    for name in ("crm:lead-create", "crm:contact-create"):
        errors += _sweep(staff, reverse(name))
    assert errors == []
    # What was accepted is whole and clean: numbered tickets, no NUL bytes stored.
    assert not Ticket.objects.filter(number__isnull=True).exists()
    assert not [t for t in Ticket.objects.all() if "\x00" in t.subject + t.description + t.client_name]
    assert not [lead for lead in Lead.objects.all() if "\x00" in lead.title + lead.contact_name]


# str.isdigit() is true for "²", which int() refuses: each of these was a server error.


def test_an_inn_of_superscript_digits_is_refused_on_the_company_form(staff):
    response = staff.post(reverse("crm:company-create"), {"name": "ООО «Ромашка»", "inn": "²" * 10})
    assert response.status_code == 200
    assert "The INN must have 10 or 12 digits" in response.content.decode()
    assert not Company.objects.exists()


def test_the_contract_end_date_form_ignores_a_malformed_way_back(staff, admin):
    contract = Contract.objects.create(number="A-9", responsible=admin, signed_on=datetime.date(2027, 1, 15))
    response = staff.post(reverse("crm:contract-end-date", args=[contract.pk]), {"ends_on": "2028-01-14", "deal": "²"})
    assert response.status_code == 302
    assert response["Location"] == reverse("crm:billing")
    contract.refresh_from_db()
    assert contract.ends_on == datetime.date(2028, 1, 14)


def test_the_calendar_admin_ignores_a_malformed_year(staff):
    response = staff.get(reverse("admin:admin24_calendarday_changelist"), {"year": "²⁰²⁷"})
    assert response.status_code == 200


def test_a_reply_token_with_superscript_digits_names_no_ticket():
    assert ticket_id_from_reply_token("t²-abc") is None


def test_a_deal_card_with_a_contract_date_in_the_year_9999_shows_the_error_on_the_field(staff, admin):
    deal = DealFactory(responsible=admin, title="Сделка")
    fields = {"title": "Сделка", "amount": "20000", "currency": "RUB", "computers": 5, "servers": 1, "offices": 1}
    response = staff.post(
        reverse("crm:deal-save", args=[deal.pk]), {**fields, "responsible": admin.pk, "contract_date": "9999-12-31"}
    )
    assert response.status_code == 200
    assert "Give a date between 1 Jan 1990 and 31 Dec 2099." in response.content.decode()
    deal.refresh_from_db()
    assert deal.contract_date is None
