"""Issue 13 §1–§2: what the system writes is read in each reader's language, and the history says
what happened — a reminder names its recipient, a move its stages — the same way on every card."""

import re

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from admin24 import activity, workflow
from admin24.models import Activity
from admin24.roles import Role
from crm.models import ContractStage, LeadStage, Task
from crm.services.billing import invoice_attach
from notifications.models import Notification, OutboxMessage
from servicedesk.models import TicketStatus
from tests.crm.conftest import msk
from tests.crm.test_billing import regular_deal
from tests.factories import DealFactory, LeadFactory, UserFactory
from tests.servicedesk.conftest import desk, engineer, service, support_head  # noqa: F401
from tests.told import email as told_email

pytestmark = pytest.mark.django_db

MARCH_1 = msk(2027, 3, 1, 10)
HISTORY = re.compile(r'<ul class="list-unstyled small timeline" id="history">(.*?)</ul>', re.S)


def history_html(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    (found,) = HISTORY.findall(response.content.decode())  # one history, drawn by the one partial
    return " ".join(found.split())


def history_text(client, path: str) -> str:
    """The history as the reader reads it (no markup)."""
    return re.sub(r"\s*<[^>]+>\s*", " ", history_html(client, path)).replace(" :", ":")


def reader(user) -> "Client":  # noqa: F821
    """A test client signed in as ``user`` in their language, as the login leaves it (the cookie)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = user.language
    return client


@pytest.fixture
def manager(db):
    return UserFactory(username="anna", first_name="Анна", last_name="Петрова", roles=[Role.SALES_MANAGER])


@pytest.fixture
def english(db):
    return UserFactory(username="john", first_name="John", last_name="Smith", roles=[Role.ADMINISTRATOR], language="en")


@pytest.fixture
def russian(db):
    return UserFactory(username="ivan", first_name="Иван", last_name="Орлов", roles=[Role.ADMINISTRATOR], language="ru")


@pytest.fixture
def invoiced_deal(manager):
    """A regular deal whose robot set the invoice task and reminded its manager, created in Russian."""
    with translation.override("ru"), time_machine.travel(MARCH_1, tick=False):
        deal = regular_deal(manager)
    return deal


def test_a_reminder_reads_as_a_reminder_to_its_person_not_as_a_stage_move(invoiced_deal, russian, english):
    english_history = history_text(reader(english), f"/crm/deals/{invoiced_deal.pk}/")
    russian_history = history_text(reader(russian), f"/crm/deals/{invoiced_deal.pk}/")

    assert "Reminder sent to Петрова Анна: Attach the invoice: ООО «Ромашка»: 03.2027" in english_history
    assert "Отправлено напоминание (кому: Петрова Анна): Прикрепить счёт: ООО «Ромашка»: 03.2027" in russian_history
    assert f"→ {invoiced_deal.responsible.pk}" not in english_history + russian_history
    assert "( →" not in english_history + russian_history


def test_stage_moves_show_the_stage_labels_in_the_readers_language(invoiced_deal, russian, english):
    """A contract deal moved by its manager while the site spoke Russian."""
    deal = DealFactory(responsible=invoiced_deal.responsible, stage=ContractStage.PROPOSAL)
    with translation.override("ru"):
        workflow.move(deal, ContractStage.FEEDBACK, by=deal.responsible)

    english_history = history_text(reader(english), f"/crm/deals/{deal.pk}/")
    russian_history = history_text(reader(russian), f"/crm/deals/{deal.pk}/")

    with translation.override("en"):
        moved = f"Moved: {ContractStage.PROPOSAL.label} → {ContractStage.FEEDBACK.label}"
    with translation.override("ru"):
        перемещение = f"Перемещение: {ContractStage.PROPOSAL.label} → {ContractStage.FEEDBACK.label}"
    assert moved in english_history and перемещение not in english_history
    assert перемещение in russian_history and moved not in russian_history


def test_the_robots_texts_are_in_each_readers_language_on_pages_and_through_the_api(invoiced_deal, russian, english):
    with translation.override("ru"):
        invoice_attach(
            deal=invoiced_deal,
            by=invoiced_deal.responsible,
            upload=SimpleUploadedFile("schet.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf"),
        )
    task = Task.objects.get(deal=invoiced_deal, title__startswith="Прикрепить счёт")

    english_history = history_text(reader(english), f"/crm/deals/{invoiced_deal.pk}/")
    russian_history = history_text(reader(russian), f"/crm/deals/{invoiced_deal.pk}/")
    assert "Invoice attached: schet.pdf" in english_history
    assert "Email sent to buh@romashka.example: The invoice is sent to buh@romashka.example." in english_history
    assert "Счёт" not in english_history and "Прикрепить" not in english_history
    assert "Счёт прикреплён: schet.pdf" in russian_history and "Invoice attached" not in russian_history

    english_task = reader(english).get(reverse("crm:task-detail", args=[task.pk])).content.decode()
    russian_task = reader(russian).get(reverse("crm:task-detail", args=[task.pk])).content.decode()
    assert "Attach the invoice: ООО «Ромашка»: 03.2027" in english_task and "Прикрепить счёт" not in english_task
    assert "it goes to the client by email at once" in english_task
    assert "Прикрепить счёт: ООО «Ромашка»: 03.2027" in russian_task

    for user, language, title in (
        (english, "en", "Attach the invoice: ООО «Ромашка»: 03.2027"),
        (russian, "ru", "Прикрепить счёт: ООО «Ромашка»: 03.2027"),
    ):
        api = APIClient(HTTP_ACCEPT_LANGUAGE=language)
        api.force_authenticate(user)
        assert api.get(f"/api/v1/tasks/{task.pk}/").json()["title"] == title


def test_a_reminder_is_told_in_its_recipients_language_whatever_language_the_robot_ran_in(db):
    english_manager = UserFactory(username="kate", first_name="Kate", roles=[Role.SALES_MANAGER], language="en")
    russian_manager = UserFactory(username="olga", first_name="Ольга", roles=[Role.SALES_MANAGER], language="ru")
    with translation.override("ru"), time_machine.travel(MARCH_1, tick=False):
        regular_deal(english_manager)
    with translation.override("en"), time_machine.travel(MARCH_1, tick=False):
        regular_deal(russian_manager, company=DealFactory().company)

    # In-app, each reads it in the language they read in (tests/notifications/test_reader_language.py).
    told_in_english = Notification.objects.get(recipient=english_manager)
    told_in_russian = Notification.objects.get(recipient=russian_manager)
    with translation.override("en"):
        assert told_in_english.shown_title.startswith("Attach the invoice: ")
    with translation.override("ru"):
        assert told_in_russian.shown_title.startswith("Прикрепить счёт: ")
    english_email = told_email(OutboxMessage.objects.get(recipient_user=english_manager))
    russian_email = told_email(OutboxMessage.objects.get(recipient_user=russian_manager))
    assert (
        english_email.subject.startswith("Attach the invoice: ") and "Attach the invoice for" in english_email.body_text
    )
    assert (
        russian_email.subject.startswith("Прикрепить счёт: ") and "Прикрепите к сделке счёт" in russian_email.body_text
    )
    assert english_email.language == "en" and russian_email.language == "ru"


def test_the_same_renderer_draws_the_lead_deal_and_ticket_histories(russian, manager, desk, service):  # noqa: F811
    from tests.servicedesk.staff_helpers import new_ticket

    lead = LeadFactory(responsible=manager)
    deal = DealFactory(responsible=manager, stage=ContractStage.PROPOSAL)
    ticket = new_ticket(service, subject="Не работает почта")
    with translation.override("en"):
        workflow.move(lead, LeadStage.IN_PROGRESS, by=manager)
        workflow.move(deal, ContractStage.FEEDBACK, by=manager)
        workflow.move(ticket, "in_progress", by=russian)

    client = reader(russian)
    pages = {
        "lead": (f"/crm/leads/{lead.pk}/", LeadStage.NEW.label, LeadStage.IN_PROGRESS.label),
        "deal": (f"/crm/deals/{deal.pk}/", ContractStage.PROPOSAL.label, ContractStage.FEEDBACK.label),
        "ticket": (
            reverse("servicedesk:ticket", args=[ticket.pk]),
            TicketStatus.NEW.label,
            TicketStatus.IN_PROGRESS.label,
        ),
    }
    with translation.override("ru"):
        for path, before, after in pages.values():
            drawn = history_html(client, path)
            assert '<li class="mb-1" data-kind="moved">' in drawn
            assert f"<span data-what>Перемещение: {before} → {after}</span>" in drawn


def test_an_old_row_without_a_key_shows_the_text_it_was_stored_with(russian, manager):
    deal = DealFactory(responsible=manager)
    activity.record(target=deal, verb=Activity.Verb.NOTE, text="Договор 2026-00012 зарегистрирован.")
    assert "Note: Договор 2026-00012 зарегистрирован." in history_text(
        reader(UserFactory(roles=[Role.ADMINISTRATOR], language="en")), f"/crm/deals/{deal.pk}/"
    )
    assert "Договор 2026-00012 зарегистрирован." in history_html(reader(russian), f"/crm/deals/{deal.pk}/")
