"""Lead creation: distribution, duplicates, notifications, the public form, moves and guards."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from admin24.roles import Role
from admin24.workflow import MoveRefused, allowed_moves, move
from crm.forms.public import PublicLeadForm
from crm.models import CrmSettings, LeadSource, LeadStage
from crm.services.leads import (
    lead_create,
    lead_create_from_public,
    lead_mark_duplicate_of,
    lead_qualify,
    qualification_questions,
)
from notifications.models import Notification
from tests.factories import ContactFactory, LeadFactory, UserFactory


def test_new_leads_go_round_robin_to_active_sales_managers(db):
    managers = [UserFactory(roles=[Role.SALES_MANAGER]) for _ in range(3)]
    UserFactory(roles=[Role.SALES_MANAGER], is_active=False)
    UserFactory(roles=[Role.SUPPORT_ENGINEER])

    leads = [lead_create(by=None, source=LeadSource.API, email=f"c{i}@example.org") for i in range(7)]

    counts = {m: sum(1 for lead in leads if lead.responsible == m) for m in managers}
    assert sorted(counts.values()) == [2, 2, 3]
    assert [lead.responsible for lead in leads[:3]] == [lead.responsible for lead in leads[3:6]]


def test_a_fixed_person_gets_every_lead_when_configured(db):
    UserFactory(roles=[Role.SALES_MANAGER])
    head = UserFactory(roles=[Role.SALES_MANAGER, Role.SUPERVISOR])
    CrmSettings.objects.update_or_create(
        pk=1, defaults={"lead_distribution": CrmSettings.Distribution.FIXED, "lead_fixed_responsible": head}
    )

    leads = [lead_create(by=None, email=f"c{i}@example.org") for i in range(3)]

    assert {lead.responsible for lead in leads} == {head}


def test_the_assigned_manager_is_notified(manager):
    lead = lead_create(by=None, source=LeadSource.EMAIL, email="c@example.org", contact_name="Ольга")
    assert Notification.objects.filter(recipient=manager, target_id=lead.pk, template="reminder").count() == 1


def test_a_lead_matching_an_open_lead_or_a_contact_is_flagged(manager):
    first = lead_create(by=manager, email="Olga@Example.org")
    contact = ContactFactory(phones=["+7 999 123-45-67"])

    by_email = lead_create(by=manager, email="olga@example.org")
    by_phone = lead_create(by=manager, phone="89991234567")
    fresh = lead_create(by=manager, email="new@example.org")

    assert by_email.duplicate_of == first and by_email.is_possible_duplicate
    assert by_phone.duplicate_contact == contact
    assert not fresh.is_possible_duplicate


def test_a_flagged_lead_can_be_closed_as_duplicate_with_its_link(manager):
    first = lead_create(by=manager, email="olga@example.org")
    second = lead_create(by=manager, email="olga@example.org")

    move(second, LeadStage.DUPLICATE, by=manager, reason="та же Ольга")

    assert second.stage == LeadStage.DUPLICATE and second.duplicate_of == first


def test_closing_as_duplicate_needs_the_link(manager):
    lead = lead_create(by=manager, email="unique@example.org")
    with pytest.raises(MoveRefused, match="дублирует"):
        move(lead, LeadStage.DUPLICATE, by=manager, reason="дубль")

    lead_mark_duplicate_of(lead=lead, by=manager, original=LeadFactory(responsible=manager))
    move(lead, LeadStage.DUPLICATE, by=manager, reason="дубль")
    assert lead.stage == LeadStage.DUPLICATE


def test_closing_needs_a_reason_and_can_be_undone(manager):
    lead = lead_create(by=manager, email="c@example.org")
    with pytest.raises(MoveRefused) as refused:
        move(lead, LeadStage.SPAM, by=manager)
    assert LeadStage.SPAM in refused.value.allowed

    move(lead, LeadStage.SPAM, by=manager, reason="реклама")
    assert allowed_moves(lead, manager) == [LeadStage.IN_PROGRESS]
    move(lead, LeadStage.IN_PROGRESS, by=manager)
    assert lead.stage == LeadStage.IN_PROGRESS and lead.closing_reason == ""


def test_an_impossible_move_says_where_the_lead_can_go(manager):
    lead = lead_create(by=manager, email="c@example.org")
    move(lead, LeadStage.NOT_PROVIDED, by=manager, reason="нужен 1С-программист")
    with pytest.raises(MoveRefused) as refused:
        move(lead, LeadStage.NO_ANSWER, by=manager)
    assert refused.value.allowed == [LeadStage.IN_PROGRESS]
    with pytest.raises(MoveRefused):
        move(lead, "nowhere", by=manager)


def test_someone_elses_lead_cannot_be_moved_by_a_manager(manager):
    lead = LeadFactory(responsible=UserFactory(roles=[Role.SALES_MANAGER]))
    assert allowed_moves(lead, manager) == []
    with pytest.raises(PermissionDenied):
        move(lead, LeadStage.IN_PROGRESS, by=manager)


def test_a_lead_needs_a_phone_or_an_email(manager):
    with pytest.raises(ValidationError):
        lead_create(by=manager, contact_name="Без контактов")


def test_qualification_answers_follow_the_admin_template_and_counts_must_not_be_negative(manager):
    lead = lead_create(by=manager, email="c@example.org")
    questions = qualification_questions()
    assert len(questions) == 5

    lead_qualify(lead=lead, by=manager, answers={questions[0]: "1С и почта"}, computers=15, client_request="Всё")
    lead.refresh_from_db()
    assert lead.qualification[0] == {"question": questions[0], "answer": "1С и почта"}
    assert (lead.computers, lead.client_request) == (15, "Всё")

    with pytest.raises(ValidationError):
        lead_qualify(lead=lead, by=manager, answers={}, servers=-1)
    with pytest.raises(ValidationError):
        lead_qualify(lead=lead, by=manager, answers={"Не тот вопрос": "да"})


def test_the_public_form_creates_a_web_form_lead(manager):
    form = PublicLeadForm(
        data={
            "name": "Ольга",
            "company": "ООО «Ромашка»",
            "phone": "8 999 123 45 67",
            "computers": "10",
            "consent": "on",
        }
    )
    assert form.is_valid(), form.errors

    lead = lead_create_from_public(data=form.cleaned_data, ip="203.0.113.5")

    assert (lead.source, lead.stage, lead.responsible) == (LeadSource.WEB_FORM, LeadStage.NEW, manager)
    assert (lead.company_name, lead.computers, lead.phone_normalized) == ("ООО «Ромашка»", 10, "+79991234567")


@pytest.mark.parametrize(
    "data",
    [
        {"name": "Ольга", "email": "o@example.org"},  # no consent
        {"name": "Ольга", "consent": "on"},  # no way to reach her
        {"name": "Ольга", "phone": "12", "consent": "on"},
        {"name": "Ольга", "email": "o@example.org", "computers": "-1", "consent": "on"},
    ],
)
def test_the_public_form_refuses_bad_input(data):
    assert not PublicLeadForm(data=data).is_valid()
