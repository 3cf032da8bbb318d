"""Issue 13 §1: why an invoice email did not reach the client is read in the reader's language on
the deal's billing box and its history — a bounce's «Returned by the mail server» is ours, what
the server said stays as it said it. (The superseded invoice's reason: test_renewal_billing.)"""

import html
import re

import pytest
import time_machine
from django.utils import translation

from admin24.roles import Role
from crm.services.billing import invoice_attach
from notifications.services import outbox_deliver
from servicedesk.intake.email import ingest
from tests.crm.conftest import msk
from tests.crm.test_regular import invoice_emails, pdf, regular_deal
from tests.factories import UserFactory
from tests.servicedesk.email.test_inbound import _bounce as bounce
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


@pytest.mark.parametrize(
    "written, language, shown",
    [("ru", "en", "Returned by the mail server: "), ("en", "ru", "Возвращено почтовым сервером: ")],
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
        ingest(bounce(message.message_id).as_bytes(), source="pipe")
    message.refresh_from_db()
    said = shown + message.last_error_message["params"]["d"]
    assert said.endswith("550 5.1.1 User unknown")

    client = reader(viewer)
    [listed] = billing_box_emails(client, deal)
    assert listed.endswith(said), listed
    assert history_delivery(client, deal) == [said]


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
