"""«My tasks», the task card, completing with requirements, reopening, the count in the navigation."""

import pytest
import time_machine
from django.urls import reverse

from admin24.roles import Role
from crm.models import DealPipeline, Task
from tests.factories import DealFactory, LeadFactory, TaskFactory, UserFactory

from .conftest import msk

pytestmark = pytest.mark.django_db

NOW = msk(2026, 4, 8, 14, 0)  # a Wednesday afternoon in Moscow


@pytest.fixture
def manager(db):
    return UserFactory(roles=[Role.SALES_MANAGER])


def test_my_tasks_lists_overdue_first_then_today_then_upcoming(client, manager):
    TaskFactory(title="Послезавтра", responsible=manager, deadline=msk(2026, 4, 10, 10))
    TaskFactory(title="Сегодня вечером", responsible=manager, deadline=msk(2026, 4, 8, 17))
    TaskFactory(title="Вчера", responsible=manager, deadline=msk(2026, 4, 7, 12))
    TaskFactory(title="Утром", responsible=manager, deadline=msk(2026, 4, 8, 9))
    TaskFactory(title="Когда-нибудь", responsible=manager, deadline=None)
    TaskFactory(title="Сделанная", responsible=manager, deadline=msk(2026, 4, 1), status=Task.Status.DONE)
    TaskFactory(title="Чужая", responsible=UserFactory(roles=[Role.SALES_MANAGER]), deadline=msk(2026, 4, 1))
    client.force_login(manager)

    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("crm:my_tasks"))

    sections = {key: [t.title for t in tasks] for key, _label, tasks in response.context["sections"]}
    assert sections == {
        "overdue": ["Вчера", "Утром"],
        "today": ["Сегодня вечером"],
        "upcoming": ["Послезавтра"],
        "undated": ["Когда-нибудь"],
    }
    body = response.content.decode()
    assert body.index("Вчера") < body.index("Сегодня вечером") < body.index("Послезавтра")
    assert body.count("task-overdue") == 2


def test_deadlines_are_shown_in_the_users_time_zone(client, manager):
    manager.time_zone = "Asia/Yekaterinburg"  # two hours ahead of Moscow
    manager.save()
    TaskFactory(title="Созвон", responsible=manager, deadline=msk(2026, 4, 8, 23, 30))
    client.force_login(manager)

    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("crm:my_tasks"))

    # 23:30 in Moscow is 01:30 the next day in Yekaterinburg: not a task for today there.
    sections = {key: [t.title for t in tasks] for key, _label, tasks in response.context["sections"]}
    assert sections["upcoming"] == ["Созвон"]
    assert "09.04.2026 01:30" in response.content.decode()


def test_the_navigation_shows_the_number_of_open_tasks(client, manager):
    TaskFactory.create_batch(3, responsible=manager)
    TaskFactory(responsible=manager, status=Task.Status.DONE)
    client.force_login(manager)

    body = client.get(reverse("home")).content.decode()

    assert '<span class="badge text-bg-primary" data-open-tasks>3</span>' in body


def test_completing_a_task_with_a_comment(client, manager):
    lead = LeadFactory(responsible=manager)
    task = TaskFactory(title="Позвонить", responsible=manager, lead=lead)
    client.force_login(manager)

    response = client.post(
        reverse("crm:task-complete", args=[task.pk]), {"comment": "Договорились о встрече"}, follow=True
    )

    task.refresh_from_db()
    assert task.status == Task.Status.DONE and task.result == "Договорились о встрече"
    assert task.completed_by == manager
    assert "Договорились о встрече" in response.content.decode()


def test_completing_without_the_required_file_says_what_is_missing(client, manager):
    deal = DealFactory(responsible=manager, pipeline=DealPipeline.CONTRACT)
    task = TaskFactory(title="Подготовить КП", responsible=manager, deal=deal, kind=Task.Kind.PROPOSAL)
    client.force_login(manager)

    card = client.get(reverse("crm:task-detail", args=[task.pk]))
    response = client.post(reverse("crm:task-complete", args=[task.pk]), {"comment": ""}, follow=True)

    task.refresh_from_db()
    assert task.status == Task.Status.OPEN
    missing = card.context["missing"]
    assert missing  # the card warns before the attempt …
    messages = [str(m) for m in response.context["messages"]]
    assert len(messages) == 1 and missing[0] in messages[0]  # … and the refusal names the field


def test_reopening_a_done_task(client, manager):
    task = TaskFactory(responsible=manager, status=Task.Status.DONE)
    client.force_login(manager)

    client.post(reverse("crm:task-reopen", args=[task.pk]))

    task.refresh_from_db()
    assert task.status == Task.Status.OPEN


def test_ticking_a_checklist_item(client, manager):
    task = TaskFactory(responsible=manager)
    item = task.checklist.create(text="Проверить бэкапы", position=0)
    client.force_login(manager)

    client.post(reverse("crm:task-checklist-item", args=[task.pk, item.pk]), {"done": "1"})

    item.refresh_from_db()
    assert item.done


def test_someone_elses_task_does_not_exist_for_a_manager(client, manager):
    task = TaskFactory(responsible=UserFactory(roles=[Role.SALES_MANAGER]))
    client.force_login(manager)

    assert client.get(reverse("crm:task-detail", args=[task.pk])).status_code == 404
    assert client.post(reverse("crm:task-complete", args=[task.pk])).status_code == 404
    task.refresh_from_db()
    assert task.status == Task.Status.OPEN
