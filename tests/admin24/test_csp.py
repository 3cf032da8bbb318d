"""Every response carries one Content-Security-Policy that runs only our own script files.

What it does in a browser (nothing refused on any page, an injected script refused) is
tests/browser/test_csp.py; this checks the header on every kind of response and that no
template brings back an inline script, event handler or style.
"""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from admin24.roles import Role
from servicedesk.models import DeskSettings
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def directives(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"{response.request['PATH_INFO']} has no Content-Security-Policy"
    parts = (part.split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in parts}


def assert_strict(response):
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', no other site
    assert policy["style-src"] == ["'self'"]  # style sheets: ours only, no <style> element
    assert policy["style-src-attr"] == ["'unsafe-inline'"]  # the browsable API's style attributes
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    return policy


def test_every_kind_of_response_carries_the_policy(client):
    admin = UserFactory(roles=[Role.ADMINISTRATOR], is_staff=True, is_superuser=True)
    desk = DeskSettings.load()
    anonymous = [
        reverse("login"),
        reverse("desk:form", args=[desk.form_key]),
        reverse("desk:consent"),
        reverse("crm:public-lead-form"),
        "/no-such-page/",
        "/static/admin24/app.css",
        "/healthz",
    ]
    for path in anonymous:
        assert_strict(client.get(path))
    client.force_login(admin)
    staff = [
        reverse("home"),
        reverse("servicedesk:board"),
        reverse("servicedesk:settings"),
        reverse("servicedesk:reports"),
        reverse("crm:reports"),
        reverse("crm:company-list"),
        reverse("crm:public-lead-form-embed"),
        reverse("notifications:list"),
        reverse("staff"),
        reverse("admin:index"),
        reverse("admin:servicedesk_ticket_changelist"),
        reverse("api-docs"),
        reverse("api-docs") + "?script=",
        reverse("api-schema"),
        "/api/v1/",
    ]
    for path in staff:
        response = client.get(path)
        assert response.status_code == 200, path
        policy = assert_strict(response)
        assert policy["frame-ancestors"] == ["'none'"], path
        assert response["X-Frame-Options"] == "DENY", path


def test_the_ticket_form_may_be_framed_only_by_the_listed_sites(client):
    desk = DeskSettings.load()
    form = reverse("desk:form", args=[desk.form_key])
    assert directives(client.get(form))["frame-ancestors"] == ["'none'"]
    desk.allowed_origins = "https://client.example"
    desk.save()
    response = client.get(form + "?embed=1")
    policy = assert_strict(response)
    assert policy["frame-ancestors"] == ["'self'", "https://client.example"]
    assert "X-Frame-Options" not in response


def test_the_lead_form_may_be_framed_by_any_site(client):
    response = client.get(reverse("crm:public-lead-form"), {"embed": "1"})
    assert assert_strict(response)["frame-ancestors"] == ["'self'", "*"]
    assert "X-Frame-Options" not in response


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"<style\b|<[a-z][^>]*\sstyle\s*=", re.I)
# Templates that are not pages of ours: emails (no policy in a mail reader; inline styles are how
# email HTML is written) and embed.js (a script other sites load).
NOT_PAGES = ("templates/notifications/", "templates/registration/password_reset_email.html")


def test_no_template_has_an_inline_script_handler_or_style():
    found = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith(NOT_PAGES):
            continue
        text = path.read_text()
        for pattern in (INLINE_SCRIPT, HANDLER, INLINE_STYLE):
            found += [f"{relative}: {match.group(0)[:60]}" for match in pattern.finditer(text)]
    assert found == []
