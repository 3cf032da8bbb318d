"""Every GET parameter of every staff page, given hostile values, answers without a server error.

The pages are found by walking the URL patterns and following the links of what they show (the
demo data gives every kind of card, board, list and admin change list something to show); a
page's parameters are those its links and GET forms carry plus those its view asks
``request.GET`` for (recorded by a middleware of this test). Each parameter then gets each
hostile value, alone and all together; any 5xx, or an exception while a streamed answer (a CSV
export) is read, is a failure. CI runs this on PostgreSQL, which refuses what SQLite forgives.
"""

import threading
from collections import defaultdict
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
from django.core.management import call_command
from django.http import QueryDict
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import NoReverseMatch, Resolver404

from admin24.models import User

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

HOSTILE = [
    "\x00",
    "99999999999999999999",
    "-1",
    "²",
    "' OR 1=1 --",
    "x" * 10_000,
    "2027-02-30",
    "9999-12-31",
    "0001-01-01",
    "%",
    "",
]
# Not pages: what changes state on GET would be a bug of its own, the rest is not HTML for staff.
SKIP_PREFIXES = ("/static/", "/media/", "/api/", "/logout/", "/i18n/", "/admin/logout/", "/desk/")
SKIP_ROUTES = {"admin/r/<int:content_type_id>/<path:object_id>/"}  # the admin's "view on site" redirect
MAX_PAGES = 600
ADMIN_LIST_PARAMETERS = {"_facets", "_popup", "_to_field", "_changelist_filters", "all", "e", "o", "p", "q"}

_recorded = defaultdict(set)
_recording = threading.local()


class RecordingQueryDict(QueryDict):
    """``request.GET`` that notes the names a view asks for."""

    def _note(self, key):
        route = getattr(_recording, "route", None)
        if route is not None and isinstance(key, str):
            _recorded[route].add(key)

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self._note(key)
        return super().get(key, default)

    def getlist(self, key, default=None):
        self._note(key)
        return super().getlist(key, default)

    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)


class RecordGetParameters:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        _recording.route = _kind_of(request.path_info)
        request.GET = RecordingQueryDict(request.META.get("QUERY_STRING", ""), mutable=True)
        try:
            return self.get_response(request)
        finally:
            _recording.route = None


class Links(HTMLParser):
    """Same-site links, HTMX GETs and GET forms (their action and the names of their fields)."""

    def __init__(self):
        super().__init__()
        self.links, self.forms, self._form = [], [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("href", "hx-get"):
            if attrs.get(name):
                self.links.append(attrs[name])
        if tag == "form" and (attrs.get("method") or "get").lower() == "get":
            self._form = (attrs.get("action") or "", set())
            self.forms.append(self._form)
        elif tag in ("input", "select", "textarea") and self._form is not None and attrs.get("name"):
            self._form[1].add(attrs["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def _routes(resolver=None, prefix=""):
    """(namespaced name, has arguments) of every named URL pattern."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            yield from _routes(pattern, namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield prefix + pattern.name


def _start_paths() -> set[str]:
    paths = set()
    for name in _routes():
        try:
            paths.add(reverse(name))
        except NoReverseMatch:
            continue  # needs arguments: found through the links of the pages that show them
    return paths


def _route_of(path: str) -> str | None:
    try:
        return resolve(path).route
    except Resolver404:
        return None


def _kind_of(path: str) -> str | None:
    """The pages that run the same code with the same parameters: a route, except that the admin's
    add, change, delete and history views are one kind each whatever the model (its change lists,
    with their own filters and searches, stay one per model)."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    if match.namespace == "admin" and match.url_name and not match.url_name.endswith("_changelist"):
        return "admin:" + match.url_name.rsplit("_", 1)[-1]
    return match.route


def _wanted(path: str) -> bool:
    return path.startswith("/") and not path.startswith(SKIP_PREFIXES) and _route_of(path) not in SKIP_ROUTES


def _read(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _crawl(client) -> tuple[dict[str, list[str]], dict[str, set[str]]]:
    """A page of each kind, and the parameters the links and GET forms of that kind carry."""
    pages, params, seen = defaultdict(list), defaultdict(set), set()
    queue = sorted(_start_paths())
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        path = urlsplit(url).path
        route = _route_of(path)
        if url in seen or route is None or not _wanted(path):
            continue
        seen.add(url)
        kind = _kind_of(path)
        params[kind].update(name for name, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True))
        if pages[kind]:
            continue  # one page of each kind is fuzzed
        response = client.get(url)
        body = _read(response)
        assert response.status_code < 500, f"{url} answered {response.status_code}"
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        pages[kind].append(path)
        found = Links()
        found.feed(body.decode("utf-8", "replace"))
        for action, names in found.forms:
            target = urlsplit(urljoin(url, action)).path
            if _kind_of(target) is not None:
                params[_kind_of(target)].update(names)
                queue.append(target)
        for link in found.links:
            parts = urlsplit(urljoin(url, link))  # "?o=1" and "?status__exact=new" belong to this page
            if parts.netloc in ("", "testserver") and parts.path and _wanted(parts.path):
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return pages, params


@pytest.fixture
def recording(settings):
    settings.MIDDLEWARE = [f"{__name__}.RecordGetParameters", *settings.MIDDLEWARE]
    _recorded.clear()
    return _recorded


def test_no_get_parameter_of_any_staff_page_makes_a_server_error(settings, recording):
    settings.DEBUG = True  # seed_demo refuses otherwise; responses are the same
    call_command("seed_demo", verbosity=0)
    settings.DEBUG = False
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(User.objects.get(username="admin"))

    pages, params = _crawl(client)
    for route, names in recording.items():
        params[route].update(names)
    assert len(pages) > 40, sorted(pages)  # the walk reached the boards, lists, cards and admin lists

    failures = []
    requests = 0
    generic_done = False
    for kind, paths in sorted(pages.items()):
        names = params[kind] - {"csrfmiddlewaretoken"}
        if kind.startswith("admin/") and kind.endswith("/"):  # a model's change list
            # Django's own parameters run the same code on every change list: one gets them all.
            names = names - ADMIN_LIST_PARAMETERS if generic_done else names
            generic_done = True
        names = sorted(names)
        if not names:
            continue
        for path in paths:
            for value in HOSTILE:
                queries = [{name: value} for name in names] + [dict.fromkeys(names, value)]
                for query in queries:
                    url = f"{path}?{urlencode(query)}"
                    requests += 1
                    try:
                        response = client.get(url)
                        _read(response)
                    except Exception as error:  # a streamed answer that fails while it is read
                        failures.append(f"{url[:200]}: {error!r}")
                        continue
                    if response.status_code >= 500:
                        failures.append(f"{url[:200]}: {response.status_code}")
    print(f"{len(pages)} kinds of page, {requests} requests")
    assert not failures, "\n".join(failures[:50])
