"""Issue 13 §1: a robot's task result and the reason it closed a card are stored as what happened
(a message key and its parameters) and read in each reader's language — on the task page, the
card's task list and card, through the API and in the notification; what a person typed stays as
typed; and no robot stores words of whichever language happened to be active."""

import re

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from admin24.models import Activity
from admin24.roles import Role
from admin24.workflow import move
from crm.models import ContractStage, Deal, Lead, LeadStage, RegularStage, Task
from crm.services.deals import deal_update
from crm.services.tasks import task_complete
from notifications.models import Notification, OutboxMessage
from tests.crm.conftest import msk
from tests.crm.lifecycle import first_contract
from tests.crm.test_callback_ladder import FIVE_CALLS, create_lead, fail_call
from tests.factories import CompanyFactory, DealFactory, UserFactory
from tests.test_history_languages import reader
from tests.told import told

pytestmark = pytest.mark.django_db


@pytest.fixture
def english(db):
    return UserFactory(username="john", first_name="John", roles=[Role.ADMINISTRATOR], language="en")


@pytest.fixture
def russian(db):
    return UserFactory(username="ivan", first_name="Иван", roles=[Role.ADMINISTRATOR], language="ru")


def api_for(user):
    api = APIClient(HTTP_ACCEPT_LANGUAGE=user.language)
    api.force_authenticate(user)
    return api


def page_text(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def task_results(client, path: str) -> list[str]:
    """The results the card's task list shows, top to bottom."""
    return re.findall(r"<span[^>]*data-result>([^<]*)</span>", client.get(path).content.decode())


def unreachable_lead(manager, *, language="ru") -> Lead:
    """Five failed calls while the site spoke ``language``: the robot closes the lead."""
    with translation.override(language):
        lead = create_lead(FIVE_CALLS[0], manager, title="Заявка с сайта")
        for when in FIVE_CALLS:
            lead = fail_call(lead, manager, when)
    assert lead.stage == LeadStage.UNREACHABLE
    return lead


def test_a_robots_task_result_is_read_in_each_readers_language(manager, english, russian):
    lead = unreachable_lead(manager)
    first_call = Task.objects.filter(lead=lead, kind=Task.Kind.CALL).order_by("pk").first()

    english_task = page_text(reader(english), reverse("crm:task-detail", args=[first_call.pk]))
    russian_task = page_text(reader(russian), reverse("crm:task-detail", args=[first_call.pk]))
    assert "Result No answer." in english_task and "Не дозвонились" not in english_task
    assert "Результат Не дозвонились." in russian_task and "No answer." not in russian_task

    # The lead card's task list says why each call task was closed.
    for user, result in ((english, "No answer."), (russian, "Не дозвонились.")):
        assert task_results(reader(user), f"/crm/leads/{lead.pk}/") == [result] * 5

    for user, result in ((english, "No answer."), (russian, "Не дозвонились.")):
        shown = api_for(user).get(f"/api/v1/tasks/{first_call.pk}/").json()
        assert (shown["result"], shown["result_key"]) == (result, "crm.task.no_answer")


def test_the_reason_a_robot_closed_a_card_is_read_in_each_readers_language(manager, english, russian):
    lead = unreachable_lead(manager)

    english_card = page_text(reader(english), f"/crm/leads/{lead.pk}/")
    russian_card = page_text(reader(russian), f"/crm/leads/{lead.pk}/")
    assert "Closing reason The client did not answer 5 calls." in english_card
    assert "Клиент не ответил" not in english_card
    assert "Причина закрытия Клиент не ответил на звонки (5)." in russian_card

    for user, reason in (
        (english, "The client did not answer 5 calls."),
        (russian, "Клиент не ответил на звонки (5)."),
    ):
        shown = api_for(user).get(f"/api/v1/leads/{lead.pk}/").json()
        assert (shown["closing_reason"], shown["closing_reason_key"]) == (reason, "crm.lead.unreachable")


def test_the_manager_is_told_the_robots_closing_reason_in_their_own_language(english):
    kate = UserFactory(username="kate", first_name="Kate", roles=[Role.SALES_MANAGER], language="en")
    lead = unreachable_lead(kate, language="ru")

    told = [n for n in api_for(kate).get("/api/v1/notifications/").json()["results"] if n["title"].startswith("Lead")]
    assert [n["body"] for n in told] == [
        f"The lead “{lead.title}” is closed as «Unreachable»: The client did not answer 5 calls."
    ]


def test_what_a_person_typed_stays_as_typed_for_every_reader(manager, english, russian):
    deal = DealFactory(responsible=manager, stage=ContractStage.FEEDBACK)
    with translation.override("en"):
        move(deal, ContractStage.LOST, by=manager, reason="Дорого")
    task = Task.objects.create(title="Позвонить", responsible=manager, deal=deal)
    with translation.override("en"):
        task_complete(task=task, by=manager, comment="Договорились о встрече")

    for user in (english, russian):
        assert "Договорились о встрече" in page_text(reader(user), reverse("crm:task-detail", args=[task.pk]))
        assert "Дорого" in page_text(reader(user), f"/crm/deals/{deal.pk}/")
        api = api_for(user)
        shown = api.get(f"/api/v1/tasks/{task.pk}/").json()
        assert (shown["result"], shown["result_key"]) == ("Договорились о встрече", "")
        shown = api.get(f"/api/v1/deals/{deal.pk}/").json()
        assert (shown["closing_reason"], shown["closing_reason_key"]) == ("Дорого", "")


# --- no robot path stores a translated string ----------------------------------------------


def _robots_at_work(manager) -> None:
    """The robot paths that write results, closing reasons, move reasons and notices: the call
    ladder to «Не выходит на связь», a payment flag, a deal won by the clock into regular payments,
    its invoice paid and its closing documents received."""
    unreachable_lead(manager, language=translation.get_language())
    with time_machine.travel(FIVE_CALLS[0], tick=False):
        spam = create_lead(FIVE_CALLS[0], manager, title="Реклама")
        move(spam, LeadStage.SPAM, by=manager, reason="Реклама курсов")
    deal = DealFactory(
        title="Сопровождение «Лютика»",
        company=CompanyFactory(name="ООО «Лютик»"),
        responsible=manager,
        stage=ContractStage.AWAITING_PAYMENT,
        contract_date=msk(2027, 1, 11).date(),
    )
    with time_machine.travel(msk(2027, 1, 11, 12), tick=False):
        deal_update(deal=deal, by=manager, payment_received=True)
    life = first_contract(manager, signed=msk(2027, 1, 11).date(), ends=msk(2028, 1, 10).date())
    life.run_until(msk(2027, 3, 20, 12))
    assert Deal.objects.filter(stage=RegularStage.CLOSING_DOCS, closing_docs_received=True).exists()


def _stored() -> list[tuple]:
    """Every text and message the scenario stored, in the order written (ids left out)."""
    rows = []
    for task in Task.objects.order_by("pk"):
        rows.append(
            (
                "task",
                task.title,
                task.title_message,
                task.description,
                task.description_message,
                task.result,
                task.result_message,
            )
        )
    for model in (Lead, Deal):
        rows += [
            (model.__name__, card.closing_reason, card.closing_reason_message) for card in model.objects.order_by("pk")
        ]
    rows += [("activity", a.verb, a.key, a.params, a.text) for a in Activity.objects.order_by("created_at", "pk")]
    rows += [("notification", *told(n), n.template, n.context) for n in Notification.objects.order_by("pk")]
    # The outbox's context without its link (the card's id, which PostgreSQL's sequences move on);
    # the invoice email's is the administrator's texts with the deal's numbers filled in.
    rows += [
        ("outbox", m.template, {k: v for k, v in m.context.items() if k != "link"})
        for m in OutboxMessage.objects.exclude(template="invoice").order_by("pk")
    ]
    return rows


# The invoices are named by their deal's id and the storage adds a random suffix to a name it has
# stored before; PostgreSQL's id and contract number sequences go on after a rollback: none is language.
STORED_NAME = re.compile(r"-\d+(?:_[A-Za-z0-9]{7})?(\.pdf)")
CONTRACT_NUMBER = re.compile(r"\b\d{4}-\d{5}\b")


def _stored_while(language: str, manager) -> list[str]:
    """What the scenario stores with ``language`` active; rolled back, so the next run starts alike."""
    with transaction.atomic():
        with translation.override(language):
            _robots_at_work(manager)
        stored = [CONTRACT_NUMBER.sub("N", STORED_NAME.sub(r"\1", repr(row))) for row in _stored()]
        transaction.set_rollback(True)
    return stored


def test_robots_store_the_same_whatever_language_is_active(manager):
    in_english, in_russian = _stored_while("en", manager), _stored_while("ru", manager)

    assert len(in_english) > 40, len(in_english)
    kinds = {re.match(r"\('(\w+)'", row)[1] for row in in_english}
    assert kinds == {"task", "Lead", "Deal", "activity", "notification", "outbox"}
    keys = set(re.findall(r"'(crm\.[\w.]+)'", " ".join(in_english)))
    assert {"crm.task.no_answer", "crm.lead.closed_tasks", "crm.lead.unreachable", "crm.deal.payment_received"} <= keys
    assert {"crm.deal.won", "crm.invoice.paid", "crm.task.stage_left", "crm.closing_docs.received"} <= keys
    for english_row, russian_row in zip(in_english, in_russian, strict=True):
        assert english_row == russian_row
