"""Issue 13 "Done when", the Russian direction: on a fresh ``seed_demo``, every demo role reading
in Russian (the default) meets no English sentence of our catalogue on any page it can reach from
its menus and lists — a text shown as its msgid is a string that missed gettext or the catalogue.
What people typed stays as typed (``typed_by_people``)."""

import re
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import translation
from django.utils.translation import trans_real

from admin24.models import User
from tests.test_english_pages_after_demo import typed_by_people

pytestmark = pytest.mark.django_db

PAGES_PER_ROLE = 120
PAGES_PER_KIND = 3  # of the pages one URL pattern makes (/crm/deals/<pk>/ …), the first few found
SKIPPED = ("/logout/", "/admin/", "/api/", "/static/", "/media/", "/i18n/")
ATTRIBUTES = re.compile(r'\b(?:title|placeholder|aria-label|alt|data-confirm)="([^"]*)"')
# Four English words in a row: a sentence whatever the catalogue holds. The catalogue's sentences
# alone miss a string that reached gettext but not the .po files (its msgid is in no catalogue).
ENGLISH_WORDS = re.compile(r"\b[A-Za-z][a-z']+(?:,? [a-z']{2,}){3,}")


def english_sentences() -> set[str]:
    """Our catalogue's English texts that are sentences (not a single word or a product name),
    where Russian says something else."""
    catalog = trans_real.translation("ru")._catalog
    found = set()
    for msgid, msgstr in catalog.items():
        if isinstance(msgid, tuple):
            msgid = msgid[0]
        if not isinstance(msgid, str) or not isinstance(msgstr, str) or msgstr == msgid:
            continue
        for part in re.split(r"%\(\w+\)[sd]|%[sd]|\{\w+\}", msgid.split("\x04")[-1]):
            part = part.strip(" :«»“”\"'.,()—-!?")
            if len(part) >= 9 and " " in part and re.search("[a-z]{3}", part) and not re.search("[а-яё]", part, re.I):
                found.add(part)
    return found


def kind(path: str) -> str:
    return re.sub(r"/\d+(?=/|$)", "/<pk>", path)


def reader_text(html: str) -> str:
    """What a reader sees or hears: the text between tags, and the titles, placeholders and labels."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    shown = " ".join([re.sub(r"<[^>]+>", " ", html), *ATTRIBUTES.findall(html)])
    return " ".join(shown.replace("&nbsp;", " ").split())


def links(html: str) -> list[str]:
    found = []
    for href in re.findall(r'href="([^"#]+)', html):
        href = href.replace("&amp;", "&")
        parts = urlsplit(href)
        if parts.netloc or not parts.path.startswith("/") or parts.path.startswith(SKIPPED):
            continue
        if parts.path.endswith((".csv", ".pdf", ".ics")) or "/download" in parts.path or "/files/" in parts.path:
            continue
        found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def crawl(client: Client):
    """The pages a user reaches from the home page by links (GET only), a few of each kind."""
    queue, seen, kinds = ["/"], set(), {}
    while queue and len(seen) < PAGES_PER_ROLE:
        path = queue.pop(0)
        if path in seen or kinds.get(kind(path.split("?")[0]), 0) >= PAGES_PER_KIND:
            continue
        seen.add(path)
        kinds[kind(path.split("?")[0])] = kinds.get(kind(path.split("?")[0]), 0) + 1
        response = client.get(path)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        yield path, html
        queue += [link for link in links(html) if link not in seen]


def test_every_demo_role_reads_the_demo_in_russian_without_english_system_text(settings):
    settings.DEBUG = True
    with translation.override("ru"):
        call_command("seed_demo")
    data = typed_by_people()
    sentences = {sentence for sentence in english_sentences() if sentence not in data}
    found, visited = {}, {}
    for user in User.objects.filter(is_active=True).order_by("username"):
        client = Client()
        client.force_login(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
        for path, html in crawl(client):
            visited.setdefault(user.username, []).append(path)
            text = reader_text(html)
            for sentence in sentences:
                if sentence in text:
                    found.setdefault(sentence, set()).add(f"{user.username} {path}")
            for words in ENGLISH_WORDS.findall(text):
                if words not in data:
                    found.setdefault(words, set()).add(f"{user.username} {path}")
    assert all(len(paths) > 10 for paths in visited.values()), {u: len(p) for u, p in visited.items()}
    assert not found, {s: sorted(p)[:3] for s, p in found.items()}
