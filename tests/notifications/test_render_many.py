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


def alone(requests):
    return [render(t, context, language=language, recipient=recipient) for t, context, language, recipient in requests]


def test_a_batch_of_confirmations_renders_its_template_once_per_language(renders):
    nameless = ("servicedesk/ticket_received", ticket_context(9, "Без имени", client_name=""), "ru", "x@example.ru")
    requests = [*requests_for("servicedesk/ticket_received"), nameless]
    expected = alone(requests)
    renders.clear()
    assert render_many(requests) == expected
    # Once with stand-ins and once to check them, per language: not once per ticket. The subject on
    # two lines is checked with stand-ins on two lines: alone in its group, it is rendered alone,
    # as is the request whose values differ in more than texts and numbers (an empty name).
    assert renders["notifications/servicedesk/ticket_received/body.html"] == 2 * (2 + 1) + 1
    assert all(str(number) in done.text for number, done in zip([1000, 1001], expected, strict=False))
    assert "Ромашка &amp; Co &lt;b&gt;" in expected[1].html and "Ромашка & Co <b>" in expected[1].text


def test_a_template_with_its_own_telegram_part_and_a_user_recipient_render_as_alone(renders):
    engineers = [UserFactory(language="en", time_zone="Asia/Vladivostok", last_name=f"Инженер {n}") for n in range(4)]
    requests = [
        ("servicedesk/ticket_started", ticket_context(n, subject), "en", engineer)
        for n, (engineer, subject) in enumerate(zip(engineers, SUBJECTS, strict=False))
    ]
    expected = alone(requests)
    renders.clear()
    assert render_many(requests) == expected
    # Shared by the three one-line subjects; the one on two lines alone.
    assert renders["notifications/servicedesk/ticket_started/telegram.html"] == 2 + 1
    assert expected[1].telegram.startswith("Our specialist has started work")


def test_a_template_that_changes_a_value_is_rendered_for_each_request(renders):
    # ``comment|striptags``: the check's stand-ins show the value is not printed as it is.
    requests = requests_for("servicedesk/ticket_comment", comment="")
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
