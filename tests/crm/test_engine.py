"""The one move service: concurrency, history, atomicity."""

import pytest

from admin24.access import filter_queryset
from admin24.activity import timeline
from admin24.models import Activity, ScheduledAction
from admin24.roles import Role
from admin24.workflow import MoveRefused, move
from crm.models import Lead, LeadStage
from crm.pipelines import leads as lead_pipeline
from crm.services.leads import lead_create
from tests.factories import DepartmentFactory, LeadFactory, UserFactory


def test_two_people_moving_the_same_card_cannot_both_win(manager):
    lead = lead_create(by=manager, email="c@example.org")
    mine, theirs = Lead.objects.get(pk=lead.pk), Lead.objects.get(pk=lead.pk)

    move(mine, LeadStage.NO_ANSWER, by=manager)
    with pytest.raises(MoveRefused, match="только что переместил кто-то другой"):
        move(theirs, LeadStage.SPAM, by=manager, reason="спам")

    assert Lead.objects.get(pk=lead.pk).stage == LeadStage.NO_ANSWER
    assert theirs.stage == LeadStage.NO_ANSWER  # reloaded, so the next try starts from the truth


def test_a_move_is_logged_with_who_from_where_and_why(manager):
    lead = lead_create(by=manager, email="c@example.org")

    move(lead, LeadStage.NOT_PROVIDED, by=manager, reason="Нужен программист")

    last = timeline(lead).first()
    assert (last.verb, last.actor, last.text) == (Activity.Verb.MOVED, manager, "Нужен программист")
    assert last.data == {"from": "new", "to": "not_provided"}
    assert lead.closing_reason == "Нужен программист"


def test_leaving_a_stage_cancels_its_pending_actions(manager):
    lead = lead_create(by=manager, email="c@example.org")
    move(lead, LeadStage.NO_ANSWER, by=manager)
    # The lead's own (its tasks' notices are the tasks' actions).
    of_the_lead = ScheduledAction.objects.filter(status="pending", target_id=lead.pk, action__startswith="crm.lead.")
    assert of_the_lead.count() == 1

    move(lead, LeadStage.SPAM, by=manager, reason="спам")

    assert not of_the_lead.exists()


def test_a_failing_robot_undoes_the_whole_move(manager, monkeypatch):
    lead = lead_create(by=manager, email="c@example.org")

    def broken(lead, **kwargs):
        raise RuntimeError("robot broke")

    monkeypatch.setitem(lead_pipeline.PIPELINE.robots, LeadStage.SPAM, [broken])
    with pytest.raises(RuntimeError):
        move(lead, LeadStage.SPAM, by=manager, reason="спам")

    assert lead.stage == LeadStage.NEW
    assert Lead.objects.get(pk=lead.pk).stage == LeadStage.NEW
    assert not timeline(lead).filter(verb=Activity.Verb.MOVED).exists()


def test_querysets_hold_own_leads_for_a_manager_and_the_department_for_its_head(db):
    sales = DepartmentFactory()
    head = UserFactory(roles=[Role.SUPERVISOR], department=sales)
    manager = UserFactory(roles=[Role.SALES_MANAGER], department=sales)
    stranger = UserFactory(roles=[Role.SALES_MANAGER], department=DepartmentFactory())
    his, strangers = LeadFactory(responsible=manager), LeadFactory(responsible=stranger)

    assert list(filter_queryset(manager, Lead.objects.all())) == [his]
    assert set(filter_queryset(head, Lead.objects.all())) == {his}
    assert strangers not in filter_queryset(head, Lead.objects.all())
