import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.utils import translation

from admin24.activity import timeline
from admin24.models import Activity
from admin24.roles import Role
from admin24.workflow import move
from crm.models import ChecklistTemplate, ContractStage, Task
from crm.services import tasks as task_services
from crm.services.tasks import TaskCompletionError, task_complete, task_create, task_reopen
from crm.texts import say
from tests.factories import DealFactory, LeadFactory, UserFactory


def proposal_task(manager):
    deal = DealFactory(responsible=manager)
    return task_create(title="Подготовить КП", kind=Task.Kind.PROPOSAL, responsible=manager, deal=deal)


def test_a_proposal_task_cannot_be_completed_without_the_proposal_file(manager):
    task = proposal_task(manager)

    with translation.override("en"), pytest.raises(TaskCompletionError) as error:
        task_complete(task=task, by=manager)

    assert "commercial proposal" in error.value.message
    task.refresh_from_db()
    assert task.is_open


def test_a_contract_task_names_every_missing_field(manager):
    deal = DealFactory(responsible=manager)
    deal.contract_file.save("contract.pdf", ContentFile(b"%PDF"))
    task = task_create(title="Договор", kind=Task.Kind.CONTRACT, responsible=manager, deal=deal)

    with translation.override("en"), pytest.raises(TaskCompletionError) as error:
        task_complete(task=task, by=manager)
    assert error.value.missing == ["contract date"]

    deal.contract_date = datetime.date(2026, 4, 1)
    deal.save()
    task_complete(task=task, by=manager, comment="подписан")
    task.refresh_from_db()
    assert task.status == Task.Status.DONE and task.completed_by == manager and task.result == "подписан"


def test_completion_runs_the_effects_registered_for_the_kind(manager, monkeypatch):
    seen = []
    monkeypatch.setattr(task_services, "_effects", {Task.Kind.AUDIT: [lambda task, by: seen.append((task.pk, by))]})
    task = task_create(title="Аудит", kind=Task.Kind.AUDIT, responsible=manager, deal=DealFactory())

    task_complete(task=task, by=manager)

    assert seen == [(task.pk, manager)]


def test_a_done_task_can_be_reopened_and_both_show_in_the_timeline(manager):
    deal = DealFactory(responsible=manager)
    task = task_create(title="Позвонить", responsible=manager, deal=deal)
    task_complete(task=task, by=manager)
    with pytest.raises(TaskCompletionError):
        task_complete(task=task, by=manager)

    task = task_reopen(task=task, by=manager)

    assert task.is_open and task.completed_at is None
    verbs = list(timeline(deal).values_list("verb", flat=True))
    assert verbs[:3] == [Activity.Verb.TASK_REOPENED, Activity.Verb.TASK_COMPLETED, Activity.Verb.TASK_CREATED]


def test_someone_elses_task_cannot_be_completed_with_own_rights(manager):
    other = UserFactory(roles=[Role.SALES_MANAGER])
    task = task_create(title="Чужая", responsible=other)
    with pytest.raises(PermissionDenied):
        task_complete(task=task, by=manager)


def test_a_checklist_comes_from_the_admin_template_in_order(manager):
    template = ChecklistTemplate.objects.create(code="audit", name="Аудит", items="Сеть\n\nПринтеры\nЛицензии\n")
    task = task_create(title="Аудит", responsible=manager, checklist_template=template)
    assert list(task.checklist.values_list("text", flat=True)) == ["Сеть", "Принтеры", "Лицензии"]


def test_closing_a_deals_open_tasks_takes_only_those_robots_set(manager):
    deal = DealFactory(responsible=manager)
    robot = task_create(title="КП", responsible=manager, deal=deal, is_automatic=True)
    by_hand = task_create(title="Позвонить", responsible=manager, deal=deal)
    other_deal = task_create(title="КП", responsible=manager, deal=DealFactory(), is_automatic=True)

    assert task_services.close_open_tasks(deal, result=say("crm.closing_docs.received"), by=manager) == 1

    robot.refresh_from_db()
    assert robot.status == Task.Status.DONE and robot.completed_by == manager
    assert robot.result_message == {"key": "crm.closing_docs.received", "params": {}}
    assert robot.result == "Закрывающие документы получены."
    assert all(t.is_open for t in Task.objects.filter(pk__in=[by_hand.pk, other_deal.pk]))


def test_closing_a_leads_tasks_of_a_kind_takes_them_whoever_set_them(manager):
    lead = LeadFactory(responsible=manager)
    by_robot = task_create(title="Звонок", kind=Task.Kind.CALL, responsible=manager, lead=lead, is_automatic=True)
    by_hand = task_create(title="Звонок", kind=Task.Kind.CALL, responsible=manager, lead=lead)
    other = task_create(title="Письмо", responsible=manager, lead=lead, is_automatic=True)

    assert task_services.close_open_tasks(lead, kind=Task.Kind.CALL, result=say("crm.task.no_answer")) == 2

    assert [t.is_open for t in Task.objects.filter(pk__in=[by_robot.pk, by_hand.pk, other.pk]).order_by("pk")] == [
        False,
        False,
        True,
    ]


def test_a_robot_task_closed_by_a_move_keeps_the_stages_codes_and_shows_them_in_each_language(manager):
    deal = DealFactory(responsible=manager, stage=ContractStage.PROPOSAL)
    robot = task_create(title="КП", responsible=manager, deal=deal, is_automatic=True)

    with translation.override("en"):
        move(deal, ContractStage.FEEDBACK, by=manager)

    robot.refresh_from_db()
    assert robot.result_message["params"] == {
        "from": {"choice": "crm.models.deals.ContractStage", "value": "proposal"},
        "to": {"choice": "crm.models.deals.ContractStage", "value": "feedback"},
    }
    with translation.override("en"):
        assert robot.shown_result == "The deal moved from «Commercial proposal» to «Feedback»."
    with translation.override("ru"):
        assert robot.shown_result == "Сделка перешла со стадии «Формирование КП» на «Обратная связь»."
