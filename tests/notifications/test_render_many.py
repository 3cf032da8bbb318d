"""``render_many`` renders a batch's template once per language (and values the requests share)
and gives each request exactly what ``render`` gives it alone: subject, text, HTML, Telegram."""

import datetime as dt

import pytest

from admin24.messages import Message
from notifications.services import render, render_many
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SUBJECTS = [
    "Не печатает принтер",
    "Ромашка & Co <b>\"срочно\"</b> 'да'",
    "Две  строки\nи  пробелы",
    "100% / ?x=1&y=2",
    "1 234",
]


def ticket_context(n: int, subject: str, **more) -> dict:
    return {
        "ticket_number": 1000 + n,
        "subject": subject,
        "client_name": f"Клиент {n}",
        "status": "Новая",
        "link": f"https://desk.example/t/{n}:abc/?a=1&b=2",
        **more,
    }


def requests_for(template: str, **more) -> list[tuple]:
    found = []
    for language in ("ru", "en"):
        for n, subject in enumerate(SUBJECTS):
            found.append((template, ticket_context(n, subject, **more), language, f"client{n}@example.ru"))
    return found


def one_ticket(requests) -> list[tuple]:
    """``requests`` about one ticket (the same number): a number is shared only with its equals."""
    return [(template, {**context, "ticket_number": 1000}, *rest) for template, context, *rest in requests]


def alone(requests):
    return [render(t, context, language=language, recipient=recipient) for t, context, language, recipient in requests]


def test_a_batch_of_confirmations_renders_its_template_once_per_language(renders):
    nameless = ("servicedesk/ticket_received", ticket_context(9, "Без имени", client_name=""), "ru", "x@example.ru")
    requests = one_ticket([*requests_for("servicedesk/ticket_received"), nameless])
    expected = alone(requests)
    renders.clear()
    assert render_many(requests) == expected
    # Once with stand-ins and once to check them, per language: not once per request. The subject
    # on two lines is checked with stand-ins on two lines: alone in its group, it is rendered alone,
    # as is the request whose values differ in more than texts (an empty name).
    assert renders["notifications/servicedesk/ticket_received/body.html"] == 2 * (2 + 1) + 1
    assert "1000" in expected[0].text
    assert "Ромашка &amp; Co &lt;b&gt;" in expected[1].html and "Ромашка & Co <b>" in expected[1].text


def test_requests_with_different_numbers_are_rendered_each_with_its_own(renders):
    requests = requests_for("servicedesk/ticket_received")
    expected = alone(requests)
    renders.clear()
    assert render_many(requests) == expected
    assert renders["notifications/servicedesk/ticket_received/body.html"] == len(requests)
    assert all(str(1000 + n % len(SUBJECTS)) in done.text for n, done in enumerate(expected))


# Thresholds above 1 that both of the old stand-ins (10**15 and 1) fall outside: a band, a value.
THRESHOLD = {
    "subject.txt": "{% if n > 5 and n < 100 %}Many{% else %}Few{% endif %}: {{ n }} {{ name }}",
    "body.txt": "{{ name }}: {{ n }}{% if n == 12 %} (a dozen){% endif %}",
    "body.html": "<p>{{ name }}: {{ n }}{% if n > 5 and n < 100 %} (more than five){% endif %}</p>",
}


def test_a_template_comparing_a_number_with_a_threshold_is_told_each_number_exactly(settings, tmp_path, renders):
    folder = tmp_path / "notifications" / "threshold"
    folder.mkdir(parents=True)
    for name, text in THRESHOLD.items():
        (folder / name).write_text(text)
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], tmp_path]}]
    # Stand-ins for numbers (a large one, then 1 for the check) agree with each other on the band
    # and on the dozen, and with 3, not with 7 or 12: only values of their own tell them apart.
    requests = [("threshold", {"n": n, "name": f"Заявка {k}"}, "ru", f"c{k}@example.ru")
                for k, n in enumerate([3, 7, 3, 7, 12, 3])]  # fmt: skip
    expected = alone(requests)
    assert [done.subject for done in expected][:2] == ["Few: 3 Заявка 0", "Many: 7 Заявка 1"]
    assert expected[4].text.startswith("Заявка 4: 12 (a dozen)")
    renders.clear()
    assert render_many(requests) == expected
    # Three requests of 3 share a rendering (with its check); 7 twice and 12 once render alone.
    assert renders["notifications/threshold/body.html"] == 2 + 3


def test_a_template_with_its_own_telegram_part_and_a_user_recipient_render_as_alone(renders):
    engineers = [UserFactory(language="en", time_zone="Asia/Vladivostok", last_name=f"Инженер {n}") for n in range(4)]
    requests = one_ticket(
        [
            ("servicedesk/ticket_started", ticket_context(n, subject), "en", engineer)
            for n, (engineer, subject) in enumerate(zip(engineers, SUBJECTS, strict=False))
        ]
    )
    expected = alone(requests)
    renders.clear()
    assert render_many(requests) == expected
    # Shared by the three one-line subjects; the one on two lines alone.
    assert renders["notifications/servicedesk/ticket_started/telegram.html"] == 2 + 1
    assert expected[1].telegram.startswith("Our specialist has started work")


def test_a_template_that_changes_a_value_is_rendered_for_each_request(renders):
    # ``comment|striptags``: the check's stand-ins show the value is not printed as it is.
    requests = one_ticket(requests_for("servicedesk/ticket_comment", comment=""))
    for n, (_template, context, _language, _recipient) in enumerate(requests):
        context["comment"] = f"<p>Ответ {n}: <i>проверьте</i></p>"
    expected = alone(requests)
    renders.clear()
    assert render_many(requests) == expected
    assert renders["notifications/servicedesk/ticket_comment/body.html"] == 2 * 2 + len(requests)
    assert "Ответ 3: проверьте" in expected[3].text


def test_messages_and_dates_are_rendered_for_each_request():
    due = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)
    requests = [
        ("reminder", {"title": Message("servicedesk.deferral_over"), "text": f"Текст {n}", "due": due, "link": "/x/"},
         language, "boss@example.ru")
        for n in range(3) for language in ("ru", "en")
    ]  # fmt: skip
    assert render_many(requests) == alone(requests)
