"""Issue 13 "Done when": on a fresh ``seed_demo`` (made while the site spoke Russian), every demo
role reading in English sees no sentence of the Russian catalogue on the pages it works with —
system texts are stored as what happened and rendered in the reader's language; only what people
typed (the demo's names, titles and comments) stays Russian."""

import re
import sys

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import trans_real

from admin24.models import User
from crm.models import Deal, Lead, Task
from servicedesk.models import Ticket

pytestmark = pytest.mark.django_db

CARDS_OF_EACH_KIND = 8


def russian_sentences() -> set[str]:
    """The Russian catalogue's translations that are sentences (not single words a name may hold)."""
    catalog = trans_real.translation("ru")._catalog
    found = set()
    for msgid, msgstr in catalog.items():
        if not isinstance(msgid, str) or not isinstance(msgstr, str) or msgstr == msgid:
            continue
        for part in re.split(r"%\(\w+\)[sd]|\{\w+\}", msgstr):
            part = part.strip(" :«»“”.,()—-")
            if len(part) >= 9 and " " in part and re.search("[а-яё]", part):
                found.add(part)
    return found


def typed_by_people() -> str:
    """What people typed, which stays as typed: the demo's own data (its modules' constants: names,
    titles, comments, the reasons its people gave) and what administrators entered (lost reasons,
    departments, services)."""
    from admin24 import demo as kernel_demo
    from admin24.models import Department
    from crm import demo as crm_demo
    from crm.models import LostReason
    from servicedesk import demo as desk_demo
    from servicedesk.models import Service

    texts = [*LostReason.objects.values_list("name", flat=True), *Department.objects.values_list("name", flat=True)]
    texts += Service.objects.values_list("name", flat=True)
    modules = [
        kernel_demo,
        *(sys.modules[name] for name in list(sys.modules) if name.startswith(("crm.demo.", "servicedesk.demo."))),
    ]
    for module in [*modules, crm_demo, desk_demo]:
        texts += _strings(vars(module).values())
    return "\n".join(texts)


def _strings(values) -> list[str]:
    found = []
    for value in values:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            found += _strings([*value.keys(), *value.values()])
        elif isinstance(value, (list, tuple, set)):
            found += _strings(value)
    return found


def pages() -> list[str]:
    """The home page, the lists (notifications too), and cards of each kind: closed ones (a reason,
    task results) and the latest."""
    n = CARDS_OF_EACH_KIND
    leads = [*Lead.objects.exclude(closing_reason="").order_by("pk")[:n], *Lead.objects.order_by("-pk")[:n]]
    deals = [*Deal.objects.exclude(closing_reason="").order_by("pk")[:n], *Deal.objects.order_by("-pk")[:n]]
    tickets = Ticket.objects.order_by("-pk")[:n]
    tasks = [*Task.objects.exclude(result="").order_by("pk")[:n], *Task.objects.order_by("-pk")[:n]]
    # The bell's list and its API: the robots' notices to each demo user, written in Russian.
    paths = ["/", "/crm/tasks/", reverse("servicedesk:board"), reverse("notifications:list"), "/api/v1/notifications/"]
    paths += [card.get_absolute_url() for card in [*leads, *deals, *tickets]]
    paths += [reverse("crm:task-detail", args=[task.pk]) for task in tasks]
    return list(dict.fromkeys(paths))


def test_every_demo_role_reads_the_demo_in_english_without_russian_system_text(settings):
    settings.DEBUG = True
    with translation.override("ru"):
        call_command("seed_demo")
    data = typed_by_people()
    sentences = {sentence for sentence in russian_sentences() if sentence not in data}
    found = {}
    for user in User.objects.filter(is_active=True).order_by("username"):
        client = Client()
        client.force_login(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        for path in pages():
            response = client.get(path)
            if response.status_code != 200:
                continue
            text = re.sub(r"<[^>]+>", " ", response.content.decode())
            text = " ".join(text.split())
            for sentence in sentences:
                if sentence in text:
                    found.setdefault(sentence, set()).add(path)
    assert not found, {s: sorted(p)[:3] for s, p in found.items()}
