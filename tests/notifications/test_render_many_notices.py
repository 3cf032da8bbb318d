"""The clock's notices (``reminder``, ``crm/task``: a title and text that are messages, a deadline)
rendered by ``render_many`` are what ``render`` gives each alone — in Russian and English, in
time zones either side of a daylight-saving change, with what HTML escapes and texts on several
lines — and a batch of them renders its template a bounded number of times, not once a notice."""

import datetime as dt
import itertools

import pytest

from admin24.messages import Message
from admin24.models import User
from notifications.services import render, render_many

pytestmark = pytest.mark.django_db

TEMPLATES = ["reminder", "crm/task"]
ZONES = ["Europe/Moscow", "America/New_York", "Europe/London", "Asia/Vladivostok"]
# Either side of the spring and autumn changes in New York and London, and a plain day.
DUES = [
    dt.datetime(2026, 3, 8, 6, 59, tzinfo=dt.UTC),
    dt.datetime(2026, 3, 8, 7, 1, tzinfo=dt.UTC),
    dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC),
    dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC),
    dt.datetime(2026, 11, 1, 5, 30, tzinfo=dt.UTC),
    dt.datetime(2026, 12, 31, 21, 0, tzinfo=dt.UTC),
]
TASK_NAMES = ["Позвонить клиенту", "Ромашка & Co <b>\"срочно\"</b> 'да'", "100% / ?x=1&y=2", "Сверка"]


def reader(n: int, language: str, zone: str) -> User:
    name = {"first_name": "Анна", "last_name": f"O'Брайен & {n}"}
    return User(username=f"reader{n}", **name, language=language, time_zone=zone)


def task_context(n: int, *, due=None, description: str = "") -> dict:
    name = TASK_NAMES[n % len(TASK_NAMES)] + f" {n}"
    card = Message("crm.task.notice.on.deal", title=f"Сделка <{n}>")
    text = Message("crm.task.notice.new.text", task=name, card=card)
    if description:
        text = Message("crm.task.notice.described", text=text, description=description)
    context = {"title": Message("crm.task.notice.new", task=name), "text": text, "link": f"/crm/tasks/{n}/?a=1&b=2"}
    if due is not None:
        context["due"] = due
    return context


def alone(requests):
    return [render(t, context, language=language, recipient=who) for t, context, language, who in requests]


@pytest.mark.parametrize("template", TEMPLATES)
def test_the_clocks_notices_render_in_a_batch_as_each_alone(template):
    requests = []
    for n, (language, zone, due) in enumerate(itertools.product(("ru", "en"), ZONES, [None, *DUES])):
        # Three of each language and zone, so that they are rendered together.
        for copy in range(3):
            description = "Первая строка\nвторая & <третья>" if (n + copy) % 5 == 0 else ""
            requests.append((template, task_context(n * 3 + copy, due=due, description=description), language,
                             reader(n, language, zone)))  # fmt: skip
    expected = alone(requests)
    assert render_many(requests) == expected
    # What a reader sees: the deadline in their own time zone, the escaped name, the lines kept.
    in_new_york = next(r for r, (_t, c, lang, who) in zip(expected, requests, strict=True)
                       if c.get("due") == DUES[1] and who.time_zone == "America/New_York" and lang == "en")  # fmt: skip
    assert "Due: 8 Mar 2026 03:01" in in_new_york.text  # EDT, a minute after the change
    assert "Ромашка &amp; Co &lt;b&gt;" in expected[1].html and "Ромашка & Co <b>" in expected[1].text
    described = next(r for r, (_t, c, _l, _w) in zip(expected, requests, strict=True) if "\n" in str(c["text"]))
    assert "<br>вторая &amp; &lt;третья&gt;" in described.html


def test_a_hundred_reminders_render_their_template_twice_per_language_and_zone(renders):
    requests = [
        ("reminder", task_context(n, due=DUES[n % len(DUES)]), language, reader(n, language, zone))
        for n in range(100)
        for language, zone in [("ru", "Europe/Moscow"), ("en", "America/New_York")]
    ]
    expected = alone(requests)
    renders.clear()
    assert render_many(requests) == expected
    # Once with stand-ins and once to check them, per language and time zone.
    assert renders["notifications/reminder/body.html"] == 2 * 2


@pytest.fixture
def own_template(settings, tmp_path):
    """A notification template ``probe`` whose HTML part is the given text (the others print the title)."""

    def write(html: str) -> str:
        folder = tmp_path / "notifications" / "probe"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "subject.txt").write_text("{{ title }}")
        (folder / "body.txt").write_text("{{ title }}")
        (folder / "body.html").write_text(html)
        settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
        return "probe"

    return write


@pytest.mark.parametrize(
    "html",
    [
        '{{ due|date:"j E Y, H:i" }}',
        "{% if due.year < 2100 %}soon{% endif %} {{ title }}",
        '{% if due|date:"U" > "1800000000" %}later{% endif %}',
        "{{ title|capfirst }}",
        "{{ title|truncatechars:20 }}",
    ],
)
def test_a_template_that_formats_compares_or_changes_a_value_renders_each_notice_alone(own_template, renders, html):
    template = own_template(html)
    requests = [
        (template, {"title": Message("crm.task.notice.new", task=f"задача {n}"), "due": DUES[n % len(DUES)]}, "ru",
         reader(n, "ru", "Europe/Moscow"))
        for n in range(10)
    ]  # fmt: skip
    expected = alone(requests)
    renders.clear()
    assert render_many(requests) == expected
    assert renders["notifications/probe/body.html"] == 2 + len(requests)


@pytest.mark.parametrize(
    "html",
    [
        "{{ count }} file{{ count|pluralize }}",
        "{% if count > 1 %}several{% else %}one or none{% endif %} ({{ count }})",
        "{% if count %}{{ count }} waiting{% else %}nothing waits{% endif %}",
    ],
)
def test_a_template_that_counts_gets_each_notices_own_count(own_template, html):
    template = own_template(html)
    requests = [
        (template, {"title": f"задача {n}", "count": count}, "en", reader(n, "en", "Europe/Moscow"))
        for n, count in enumerate([0, 1, 2, 7, 1, 0, -3, 12])
    ]
    assert render_many(requests) == alone(requests)
