"""Issue 13 §1: an in-app notification is stored as what happened (its template and parameters)
and shown in the language of whoever reads it — on the page and in the API — while the email
copy is told in the recipient's language when it is sent."""

import datetime
import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from crm.models import LeadStage
from crm.texts import say
from notifications.models import Notification, OutboxMessage
from notifications.services import StaffNotice, notify_staff, notify_staff_many
from tests.factories import LeadFactory, UserFactory

pytestmark = pytest.mark.django_db

DUE = datetime.datetime(2026, 11, 3, 9, 30, tzinfo=datetime.UTC)


def text_of(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def tell_unreachable(user, lead):
    """What the lead pipeline tells a manager when their lead closes as unreachable: a stage as a
    parameter, a nested robot message, a deadline; written while the site speaks Russian."""
    with translation.override("ru"):
        notify_staff(
            lead,
            to=user,
            title=say("crm.lead.closed.title", title=lead.title),
            text=say(
                "crm.lead.closed.text",
                title=lead.title,
                stage=LeadStage.UNREACHABLE,
                reason=say("crm.lead.closed_tasks"),
            ),
            due=DUE,
            key=f"test:{lead.pk}:{user.pk}",
        )


def reading_in(client, user, language: str):
    """``user`` signs in and chooses ``language`` with the language selector (which keeps it on
    their account, for the emails they are sent from then on)."""
    client.force_login(user)
    client.post(reverse("set_language"), {"language": language, "next": "/"})
    user.refresh_from_db()
    assert user.language == language
    return client


def api_in(user, language: str) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    api.credentials(HTTP_ACCEPT_LANGUAGE=language)
    return api


ENGLISH_TITLE = "Lead closed: Ромашка"
ENGLISH_TEXT = "The lead “Ромашка” is closed as «Unreachable»: The lead is closed."
RUSSIAN_TITLE = "Лид закрыт: Ромашка"
RUSSIAN_TEXT = "Лид «Ромашка» закрыт со статусом «Не выходит на связь»: Лид закрыт."


def test_a_notice_written_in_russian_is_read_in_english_after_the_user_switches(client):
    user = UserFactory(language="ru", time_zone="Europe/Moscow")
    lead = LeadFactory(title="Ромашка", responsible=user)
    tell_unreachable(user, lead)

    reading_in(client, user, "en")
    page = text_of(client.get(reverse("notifications:list")))
    assert ENGLISH_TITLE in page
    assert ENGLISH_TEXT in page
    assert "Due: 3 Nov 2026 12:30" in page  # the reader's date format and time zone
    assert "Лид" not in page and "Срок" not in page

    [item] = api_in(user, "en").get("/api/v1/notifications/").json()["results"]
    assert item["title"] == ENGLISH_TITLE
    assert item["body"].startswith(ENGLISH_TEXT)
    assert item["template"] == "reminder"


def test_a_notice_written_for_an_english_reader_is_read_in_russian_after_the_user_switches(client):
    user = UserFactory(language="en", time_zone="Europe/Moscow")
    lead = LeadFactory(title="Ромашка", responsible=user)
    tell_unreachable(user, lead)
    reading_in(client, user, "en")
    assert ENGLISH_TITLE in text_of(client.get(reverse("notifications:list")))

    reading_in(client, user, "ru")
    page = text_of(client.get(reverse("notifications:list")))
    assert RUSSIAN_TITLE in page
    assert RUSSIAN_TEXT in page
    assert "Срок: 03.11.2026 12:30" in page
    assert "Lead closed" not in page
    [item] = api_in(user, "ru").get("/api/v1/notifications/").json()["results"]
    assert (item["title"], item["body"].split("\n")[0]) == (RUSSIAN_TITLE, RUSSIAN_TEXT)


def test_the_email_is_still_told_in_the_recipients_language_when_it_is_sent(django_capture_on_commit_callbacks):
    english = UserFactory(language="en")
    russian = UserFactory(language="ru")
    lead = LeadFactory(title="Ромашка")
    with django_capture_on_commit_callbacks(execute=True):
        tell_unreachable(english, lead)
        tell_unreachable(russian, lead)
    sent = {email.to[0]: email for email in mail.outbox}
    assert sent[english.email].subject == ENGLISH_TITLE
    assert ENGLISH_TEXT in sent[english.email].body
    assert sent[russian.email].subject == RUSSIAN_TITLE
    assert RUSSIAN_TEXT in sent[russian.email].body
    emails = {m.recipient_user_id: m for m in OutboxMessage.objects.filter(channel="email")}
    # The record of what went out, kept on the row once sent.
    assert (emails[english.pk].status, emails[english.pk].subject) == ("sent", ENGLISH_TITLE)
    # From the same template the in-app notification is shown with.
    assert {m.template for m in emails.values()} == set(Notification.objects.values_list("template", flat=True))


def test_a_notice_of_the_clocks_batch_is_read_in_each_readers_language(client):
    user = UserFactory(language="ru")
    lead = LeadFactory(title="Ромашка")
    with translation.override("ru"):
        notify_staff_many(
            [StaffNotice(target=lead, to=user, title=say("crm.lead.closed.title", title=lead.title), text="", key=None)]
        )
    reading_in(client, user, "en")
    assert ENGLISH_TITLE in text_of(client.get(reverse("notifications:list")))


@pytest.mark.django_db(transaction=True)
def test_an_old_notification_stored_as_text_is_still_shown_as_it_was(client, migrate):
    # Written before notifications kept their parameters (0005 added them): only its texts.
    old = migrate([("notifications", "0005_notification_context")])
    user = UserFactory(language="en")
    old.get_model("notifications", "Notification").objects.create(
        recipient_id=user.pk, template="deal_feedback_reminder", title="Сделка ждёт ответа",
        body="Позвоните клиенту.", link="/crm/",
    )  # fmt: skip
    migrate()
    reading_in(client, user, "en")
    page = text_of(client.get(reverse("notifications:list")))
    assert "Сделка ждёт ответа" in page and "Позвоните клиенту." in page
    [item] = api_in(user, "en").get("/api/v1/notifications/").json()["results"]
    assert (item["title"], item["body"]) == ("Сделка ждёт ответа", "Позвоните клиенту.")


def test_the_list_reads_as_many_queries_for_30_notifications_as_for_3(client):
    user = UserFactory(language="en")
    few, many = LeadFactory(title="Ромашка"), LeadFactory(title="Лютик")
    reading_in(client, user, "en")

    def queries(lead, count) -> int:
        Notification.objects.filter(recipient=user).delete()
        for number in range(count):
            with translation.override("ru"):
                notify_staff(
                    lead,
                    to=user,
                    title=say("crm.lead.closed.title", title=f"{lead.title} {number}"),
                    text=say("crm.lead.closed.text", title=lead.title, stage=LeadStage.SPAM, reason="—"),
                    due=DUE,
                    key=None,
                )
        with CaptureQueriesContext(connection) as captured:
            page = client.get(reverse("notifications:list"))
        assert "Lead closed:" in page.content.decode()
        return len(captured)

    assert queries(few, 3) == queries(many, 30)
