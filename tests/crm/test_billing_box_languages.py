"""Issue 13 §1: why an invoice email did not reach the client is read in the reader's language on
the deal's billing box and its history — a bounce's «Returned by the mail server» is ours, what
the server said stays as it said it. (The superseded invoice's reason: test_renewal_billing.)"""

import html
import re
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
import time_machine
from django.utils import translation

from admin24.roles import Role
from crm.services.billing import invoice_attach
from notifications.models import OutboxMessage
from notifications.services import outbox_deliver
from servicedesk.intake.email import ingest
from tests.crm.conftest import msk
from tests.crm.test_regular import invoice_emails, pdf, regular_deal
from tests.factories import UserFactory
from tests.test_history_languages import reader

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


def billing_box_emails(client, deal) -> list[str]:
    """The invoice emails the deal's billing box lists, as text."""
    page = client.get(f"/crm/deals/{deal.pk}/").content.decode()
    rows = re.findall(r'<li class="invoice-email-\w+">(.*?)</li>', page, re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", row)).split()) for row in rows]


def history_delivery(client, deal) -> list[str]:
    page = client.get(f"/crm/deals/{deal.pk}/").content.decode()
    return [html.unescape(text) for text in re.findall(r'<span class="text-danger">([^<]*)</span>', page)]


def bounce_of(message: OutboxMessage) -> bytes:
    report = EmailMessage()
    report["From"] = "MAILER-DAEMON@mx.romashka.example (Mail Delivery System)"
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report["Auto-Submitted"] = "auto-replied"
    report["Message-ID"] = make_msgid(domain="mx.romashka.example")
    report.set_content("<buh@romashka.example>: host said: 550 5.1.1 User unknown")
    original = EmailMessage()
    original["Message-ID"] = message.message_id
    original.set_content("x")
    report.add_attachment(original)
    return report.as_bytes()


@pytest.mark.parametrize(
    "written, language, shown",
    [
        ("ru", "en", "Returned by the mail server: <buh@romashka.example>: host said: 550 5.1.1 User unknown"),
        ("en", "ru", "Возвращено почтовым сервером: <buh@romashka.example>: host said: 550 5.1.1 User unknown"),
    ],
)
def test_a_bounced_invoice_email_says_why_in_the_readers_language(
    team, written, language, shown, django_capture_on_commit_callbacks
):
    manager = team["manager"]
    viewer = UserFactory(username=f"viewer-{language}", roles=[Role.ADMINISTRATOR], language=language)
    with time_machine.travel(msk(2027, 3, 1, 10), tick=False):
        deal = regular_deal(manager)
        invoice_attach(deal=deal, by=manager, upload=pdf())
        message = invoice_emails().get()
        outbox_deliver(message_id=message.pk)
    message.refresh_from_db()
    with translation.override(written), django_capture_on_commit_callbacks(execute=True):
        ingest(bounce_of(message), source="pipe")

    client = reader(viewer)
    [listed] = billing_box_emails(client, deal)
    assert listed.endswith(shown), listed
    assert history_delivery(client, deal) == [shown]


def test_a_servers_own_words_stay_as_it_said_them(team, settings):
    manager = team["manager"]
    viewer = UserFactory(username="viewer", roles=[Role.ADMINISTRATOR], language="en")
    with time_machine.travel(msk(2027, 3, 1, 10), tick=False):
        deal = regular_deal(manager)
        invoice_attach(deal=deal, by=manager, upload=pdf())
    message = invoice_emails().get()
    from django.core.files.storage import default_storage

    default_storage.delete(message.attachments[0])
    with time_machine.travel(msk(2027, 3, 1, 10, 1), tick=False), translation.override("ru"):
        outbox_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.last_error_message == {} and "missing" in message.last_error
    [listed] = billing_box_emails(reader(viewer), deal)
    assert listed.endswith(message.last_error)
