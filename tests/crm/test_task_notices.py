"""A task's holder hears of it: in the app, by email and in Telegram (the local fake Bot API),
in their language, after the commit through the clock; and once more when it is overdue."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from admin24 import timers
from admin24.models import GlobalConstant
from admin24.roles import Role
from admin24.workflow import move
from crm.models import ContractStage, Task
from crm.services.leads import lead_convert, lead_create
from crm.services.tasks import task_complete, task_create, task_update
from notifications.models import Notification, OutboxMessage
from notifications.staff_telegram import set_kinds
from tests.crm.conftest import msk
from tests.factories import UserFactory
from tests.told import titles as told_titles
from tests.told import told as told_of

pytestmark = pytest.mark.usefixtures("eager_celery")

MONDAY_10 = msk(2028, 1, 10, 10)


@pytest.fixture
def clerk(db):
    clerk = UserFactory(username="clerk", first_name="Анна", last_name="Писарева", roles=[Role.CLERK])
    clerk.telegram_chat_id = 4242
    clerk.save(update_fields=["telegram_chat_id"])
    set_kinds(clerk, ["tasks", "reminders"])
    GlobalConstant.objects.filter(identifier="Clerk").update(user=clerk)
    return clerk


@pytest.fixture
def manager(db):
    return UserFactory(username="walker", first_name="Пётр", last_name="Ходоков", roles=[Role.SALES_MANAGER])


@pytest.fixture
def tick(django_capture_on_commit_callbacks):
    """Run the clock at a moment, delivering what it writes after its commit, as the worker does."""

    def run(moment):
        with time_machine.travel(moment, tick=False), django_capture_on_commit_callbacks(execute=True):
            timers.run_due_until_idle()

    return run


def contract_deal(manager, clerk, moment=MONDAY_10):
    """A deal the manager moves to «Заключение договора»: the robot gives the Clerk the contract task."""
    with time_machine.travel(moment, tick=False):
        lead = lead_create(by=manager, title="Абонентка «Ромашки»", email="olga@romashka.example")
        deal = lead_convert(lead=lead, by=manager)
        move(deal, ContractStage.FEEDBACK, by=manager)
        move(deal, ContractStage.CONTRACT, by=manager)
    return deal, Task.objects.get(deal=deal, kind=Task.Kind.CONTRACT)


def mails_to(user):
    return [m for m in mail.outbox if user.email in m.to]


def test_a_robots_task_reaches_its_holder_in_the_app_by_email_and_in_telegram(telegram_api, manager, clerk, tick):
    deal, _task = contract_deal(manager, clerk)
    assert telegram_api.sent(4242) == []  # nothing before the clock has looked at it

    tick(MONDAY_10 + datetime.timedelta(seconds=30))

    [message] = telegram_api.sent(4242)
    assert message.text.startswith("<b>Новая задача: Подготовить договор: Абонентка «Ромашки»</b>")
    assert "по сделке «Абонентка «Ромашки»»" in message.text
    assert "Срок: 11.01.2028 18:00" in message.text  # the end of the next working day
    assert f'<a href="http://localhost:8000/crm/deals/{deal.pk}/">' in message.text
    [email] = mails_to(clerk)
    assert email.subject == "Новая задача: Подготовить договор: Абонентка «Ромашки»"
    assert "Срок: 11.01.2028 18:00" in email.body and f"/crm/deals/{deal.pk}/" in email.body
    notice = Notification.objects.get(recipient=clerk)
    assert told_of(notice)[0] == "Новая задача: Подготовить договор: Абонентка «Ромашки»"
    assert notice.link == f"/crm/deals/{deal.pk}/"
    assert "Приложите файл договора" in told_of(notice)[1]  # the task's own description

    tick(MONDAY_10 + datetime.timedelta(minutes=5))  # told once
    assert len(telegram_api.sent(4242)) == 1 and len(mails_to(clerk)) == 1


def test_a_holder_who_turned_tasks_off_in_telegram_gets_no_telegram_message(telegram_api, manager, clerk, tick):
    set_kinds(clerk, ["reminders", "sla"])
    contract_deal(manager, clerk)
    tick(MONDAY_10 + datetime.timedelta(seconds=30))

    assert telegram_api.sent(4242) == []
    # The bell and the email are every staff notice's channels; the profile chooses what also goes to Telegram.
    assert sum(t.startswith("Новая задача") for t in told_titles(Notification.objects.filter(recipient=clerk))) == 1
    assert len(mails_to(clerk)) == 1
    assert not OutboxMessage.objects.filter(channel="telegram").exists()


def test_an_english_speaking_holder_is_told_in_english(telegram_api, manager, clerk, tick):
    clerk.language = "en"
    clerk.save(update_fields=["language"])
    contract_deal(manager, clerk)
    tick(MONDAY_10 + datetime.timedelta(seconds=30))

    text = telegram_api.last(4242).text
    assert "New task: Draft the contract: Абонентка «Ромашки»" in text
    assert "You have a new task “Draft the contract: Абонентка «Ромашки»” on the deal “Абонентка «Ромашки»”." in text
    assert "Due: 11 Jan 2028 18:00" in text
    assert mails_to(clerk)[0].subject == "New task: Draft the contract: Абонентка «Ромашки»"


def test_a_task_done_before_the_tick_tells_nobody(telegram_api, manager, clerk, tick):
    with time_machine.travel(MONDAY_10, tick=False):
        task = task_create(title="Позвонить", responsible=clerk, by=manager)
        Task.objects.filter(pk=task.pk).update(status=Task.Status.DONE)
    tick(MONDAY_10 + datetime.timedelta(seconds=30))

    assert telegram_api.sent(4242) == [] and mails_to(clerk) == []


def test_a_task_set_by_a_colleague_names_them_and_one_set_for_oneself_tells_nobody(manager, clerk, tick):
    with time_machine.travel(MONDAY_10, tick=False):
        task_create(title="Проверить реквизиты", responsible=clerk, by=manager)
        task_create(title="Себе на память", responsible=manager, by=manager)
    tick(MONDAY_10 + datetime.timedelta(seconds=30))

    [notice] = Notification.objects.filter(recipient=clerk)
    assert told_of(notice)[1].startswith("Ходоков Пётр поставил(а) вам задачу «Проверить реквизиты».")
    assert not Notification.objects.filter(recipient=manager).exists()


def test_a_task_handed_over_tells_the_new_holder(manager, clerk, tick):
    other = UserFactory(username="other")
    admin = UserFactory(username="boss", roles=[Role.ADMINISTRATOR])
    with time_machine.travel(MONDAY_10, tick=False):
        task = task_create(title="Сверить акты", responsible=other, by=admin)
        task_update(task=task, by=admin, responsible=clerk)
    tick(MONDAY_10 + datetime.timedelta(seconds=30))

    [notice] = Notification.objects.filter(recipient=clerk)
    assert told_of(notice)[0] == "Новая задача: Сверить акты"
    assert told_of(notice)[1].startswith(f"{admin} поставил(а) вам задачу «Сверить акты».")
    assert not Notification.objects.filter(recipient=other).exists()


def test_an_open_task_past_its_deadline_is_told_overdue_once(telegram_api, manager, clerk, tick):
    deal, task = contract_deal(manager, clerk)
    tick(MONDAY_10 + datetime.timedelta(seconds=30))
    deadline = task.deadline

    tick(deadline - datetime.timedelta(seconds=1))
    assert "просрочена" not in telegram_api.last(4242).text
    tick(deadline + datetime.timedelta(seconds=1))
    text = telegram_api.last(4242).text
    assert text.startswith("<b>Задача просрочена: Подготовить договор: Абонентка «Ромашки»</b>")
    assert "по сделке «Абонентка «Ромашки»» прошёл, а она не выполнена" in text
    assert f"/crm/deals/{deal.pk}/" in text
    tick(deadline + datetime.timedelta(hours=2))
    assert sum("просрочена" in t for t in telegram_api.texts(4242)) == 1


def test_a_task_done_in_time_or_moved_on_is_not_told_overdue(manager, clerk, tick):
    with time_machine.travel(MONDAY_10, tick=False):
        done = task_create(title="Сдать отчёт", responsible=clerk, by=clerk, deadline=msk(2028, 1, 11, 12))
        moved = task_create(title="Заказать картриджи", responsible=clerk, by=clerk, deadline=msk(2028, 1, 11, 12))
        task_complete(task=done, by=clerk)
        task_update(task=moved, by=clerk, deadline=msk(2028, 1, 12, 12))
    tick(msk(2028, 1, 11, 12, 1))
    assert not Notification.objects.filter(recipient=clerk).exists()

    tick(msk(2028, 1, 12, 12, 1))
    [notice] = Notification.objects.filter(recipient=clerk)
    assert told_of(notice)[0] == "Задача просрочена: Заказать картриджи"


def test_a_call_task_due_at_once_is_not_told_overdue(manager, tick):
    with time_machine.travel(MONDAY_10, tick=False):
        # From the site (nobody's action): the manager hears of the lead and of its first call.
        lead_create(by=None, title="Звонок с сайта", email="new@client.example", responsible=manager)
    tick(MONDAY_10 + datetime.timedelta(hours=3))

    titles = told_titles(Notification.objects.filter(recipient=manager))
    assert any(title.startswith("Новая задача: Позвонить") for title in titles)
    assert not any("просрочена" in title for title in titles)


def test_the_clock_tells_many_holders_with_as_many_queries_as_it_tells_few(manager):
    def queries_for(count, moment):
        holders = UserFactory.create_batch(count)
        with time_machine.travel(moment, tick=False):
            for holder in holders:
                task_create(title="Инвентаризация", responsible=holder, by=manager)
        with (
            time_machine.travel(moment + datetime.timedelta(seconds=30), tick=False),
            CaptureQueriesContext(connection) as queries,
        ):
            timers.run_due_until_idle()
        assert Notification.objects.filter(recipient__in=holders).count() == count
        return len(queries)

    # 12: SQLite splits a bulk INSERT past 999 parameters, and two channels' rows for 30 pass it.
    assert queries_for(12, MONDAY_10 + datetime.timedelta(hours=1)) == queries_for(3, MONDAY_10)


def test_holders_with_telegram_are_told_with_as_many_queries_however_many(manager):
    """Each holder's Telegram choice is read for them all at once, not per holder."""

    def queries_for(count, moment):
        holders = UserFactory.create_batch(count)
        for number, holder in enumerate(holders):
            holder.telegram_chat_id = 5000 + number + count * 100
            holder.save(update_fields=["telegram_chat_id"])
            set_kinds(holder, ["tasks"])
        with time_machine.travel(moment, tick=False):
            for holder in holders:
                task_create(title="Инвентаризация", responsible=holder, by=manager)
        with (
            time_machine.travel(moment + datetime.timedelta(seconds=30), tick=False),
            CaptureQueriesContext(connection) as queries,
        ):
            timers.run_due_until_idle()
        telegram = OutboxMessage.objects.filter(channel="telegram", recipient_user__in=holders)
        assert telegram.count() == count
        return len(queries)

    # 12: SQLite splits a bulk INSERT past 999 parameters, and two channels' rows for 30 pass it.
    assert queries_for(12, MONDAY_10 + datetime.timedelta(hours=1)) == queries_for(3, MONDAY_10)


def test_creating_a_task_cancels_no_timers_of_its_own(manager, clerk, tick):
    """A task created just now has no notice pending: its creation arms both in one INSERT,
    without an UPDATE of the clock's rows first (it cost two, one per notice, before)."""
    with time_machine.travel(MONDAY_10, tick=False), CaptureQueriesContext(connection) as queries:
        task_create(
            title="Инвентаризация", responsible=clerk, by=manager, deadline=MONDAY_10 + datetime.timedelta(days=1)
        )
    clock_rows = [q["sql"] for q in queries if "admin24_scheduledaction" in q["sql"]]
    assert [sql.split()[0] for sql in clock_rows] == ["INSERT"]
    # Still one notice now and one at the deadline.
    tick(MONDAY_10 + datetime.timedelta(seconds=30))
    tick(MONDAY_10 + datetime.timedelta(days=1, seconds=30))
    titles = told_titles(Notification.objects.filter(recipient=clerk).order_by("pk"))
    assert len(titles) == 2 and "просрочена" in titles[1]
