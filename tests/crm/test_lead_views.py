"""The lead card, its stage actions, qualification, conversion and the lead form."""

import pytest
from django.urls import reverse

from admin24.roles import Role
from crm.models import Deal, Lead, LeadSource, LeadStage, Task
from crm.services.leads import qualification_questions
from tests.factories import LeadFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(db):
    return UserFactory(roles=[Role.SALES_MANAGER])


def detail(lead):
    return reverse("crm:lead-detail", args=[lead.pk])


def test_the_lead_card_shows_its_fields_and_the_moves_allowed_now(client, manager):
    lead = LeadFactory(
        responsible=manager,
        stage=LeadStage.IN_PROGRESS,
        contact_name="Смирнова Анна",
        phone="+7 999 000-11-22",
        company_name="ООО «Берёза»",
        client_request="Нужен админ на 10 компьютеров",
    )
    client.force_login(manager)

    response = client.get(detail(lead))

    body = response.content.decode()
    assert response.status_code == 200
    for text in ["Смирнова Анна", "+7 999 000-11-22", "ООО «Берёза»", "Нужен админ на 10 компьютеров"]:
        assert text in body
    assert [stage.slug for stage in response.context["moves"]] == [
        "no_answer",
        "wrong_contacts",
        "spam",
        "not_provided",
        "unreachable",
        "duplicate",
    ]
    assert response.context["can_convert"]
    for question in qualification_questions():
        assert question in body


def test_another_managers_lead_does_not_exist_for_me(client, manager):
    lead = LeadFactory(responsible=UserFactory(roles=[Role.SALES_MANAGER]))
    client.force_login(manager)

    assert client.get(detail(lead)).status_code == 404
    assert client.get(reverse("crm:lead-edit", args=[lead.pk])).status_code == 404
    assert client.post(reverse("crm:lead-move", args=[lead.pk]), {"to": "no_answer"}).status_code == 404


def test_moving_from_the_card_records_the_reason_in_the_timeline(client, manager):
    lead = LeadFactory(responsible=manager, stage=LeadStage.IN_PROGRESS)
    client.force_login(manager)

    response = client.post(
        reverse("crm:lead-move", args=[lead.pk]), {"to": "not_provided", "reason": "Нужен только 1С"}, follow=True
    )

    lead.refresh_from_db()
    assert lead.stage == LeadStage.NOT_PROVIDED
    body = response.content.decode()
    assert "Нужен только 1С" in body  # in the timeline and the closing reason
    assert f"{LeadStage.IN_PROGRESS.label} → {LeadStage.NOT_PROVIDED.label}" in body


def test_a_refused_move_from_the_card_shows_the_reason(client, manager):
    lead = LeadFactory(responsible=manager, stage=LeadStage.IN_PROGRESS)
    client.force_login(manager)

    response = client.post(reverse("crm:lead-move", args=[lead.pk]), {"to": "spam"}, follow=True)

    lead.refresh_from_db()
    assert lead.stage == LeadStage.IN_PROGRESS
    messages = [str(m) for m in response.context["messages"]]
    assert len(messages) == 1 and messages[0]
    assert "alert-danger" in response.content.decode()


def test_converting_creates_the_deal_and_links_it(client, manager):
    lead = LeadFactory(responsible=manager, stage=LeadStage.IN_PROGRESS, company_name="ООО «Дуб»", phone="+79990001122")
    client.force_login(manager)

    response = client.post(reverse("crm:lead-move", args=[lead.pk]), {"to": "qualified"}, follow=True)

    lead.refresh_from_db()
    assert lead.stage == LeadStage.QUALIFIED
    deal = Deal.objects.get(source_lead=lead)
    assert deal.company.name == "ООО «Дуб»"
    body = response.content.decode()
    assert deal.title in body
    assert reverse("crm:company-detail", args=[deal.company.pk]) in body


def test_saving_the_qualification(client, manager):
    lead = LeadFactory(responsible=manager, stage=LeadStage.IN_PROGRESS)
    client.force_login(manager)
    questions = qualification_questions()

    client.post(
        reverse("crm:lead-qualification", args=[lead.pk]),
        {"computers": "12", "servers": "2", "offices": "1", "client_request": "Аудит", "answer_0": "1С и почта"},
    )

    lead.refresh_from_db()
    assert (lead.computers, lead.servers, lead.offices, lead.client_request) == (12, 2, 1, "Аудит")
    assert lead.qualification[0] == {"question": questions[0], "answer": "1С и почта"}


def test_a_negative_count_is_refused_with_a_message(client, manager):
    lead = LeadFactory(responsible=manager, stage=LeadStage.IN_PROGRESS, computers=3)
    client.force_login(manager)

    response = client.post(
        reverse("crm:lead-qualification", args=[lead.pk]),
        {"computers": "-1", "servers": "0", "offices": "0"},
        follow=True,
    )

    lead.refresh_from_db()
    assert lead.computers == 3
    assert "alert-danger" in response.content.decode()


def test_creating_a_lead_by_hand(client, manager):
    client.force_login(manager)

    response = client.post(
        reverse("crm:lead-create"),
        {
            "source": LeadSource.PHONE,
            "contact_name": "Орлов Олег",
            "phone": "8 (912) 345-67-89",
            "company_name": "ИП Орлов",
            "computers": "4",
            "servers": "0",
            "offices": "1",
        },
    )

    lead = Lead.objects.get()
    assert response.status_code == 302 and response.url == detail(lead)
    assert lead.title == "ИП Орлов"  # an empty title is filled from the company
    assert lead.source == LeadSource.PHONE
    assert lead.created_by == manager
    assert not Task.objects.filter(lead=lead, kind=Task.Kind.CALL).exists()  # phone leads skip the call-backs


def test_a_lead_without_phone_or_email_is_refused(client, manager):
    client.force_login(manager)

    response = client.post(
        reverse("crm:lead-create"),
        {"source": "manual", "contact_name": "Аноним", "computers": 0, "servers": 0, "offices": 0},
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not Lead.objects.exists()


def test_editing_a_lead(client, manager):
    lead = LeadFactory(responsible=manager, title="Старое")
    client.force_login(manager)
    form = client.get(reverse("crm:lead-edit", args=[lead.pk])).context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None and name in form.fields}
    data.update(title="Новое", responsible=manager.pk)

    response = client.post(reverse("crm:lead-edit", args=[lead.pk]), data)

    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.title == "Новое"


def test_people_without_lead_rights_cannot_create_leads(client):
    engineer = UserFactory(roles=[Role.SUPPORT_ENGINEER])
    client.force_login(engineer)

    assert client.get(reverse("crm:lead-create")).status_code == 403
    assert client.get(reverse("crm:leads_board")).context["urls"]["create"] is None


def test_crm_home_opens_the_lead_board(client, manager):
    client.force_login(manager)
    response = client.get(reverse("crm:home"))
    assert response.status_code == 302 and response.url == reverse("crm:leads_board")


def test_linking_a_duplicate_by_number_then_closing_it(client, manager):
    original = LeadFactory(responsible=manager, stage=LeadStage.IN_PROGRESS, title="Первая")
    copy = LeadFactory(responsible=manager, stage=LeadStage.IN_PROGRESS, title="Вторая")
    stranger = LeadFactory(responsible=UserFactory(roles=[Role.SALES_MANAGER]))
    client.force_login(manager)
    link = reverse("crm:lead-duplicate", args=[copy.pk])

    assert client.get(detail(copy)).context["can_link_duplicate"]
    unseen = client.post(link, {"original": stranger.pk}, follow=True)
    client.post(link, {"original": original.pk})
    client.post(reverse("crm:lead-move", args=[copy.pk]), {"to": "duplicate", "reason": "Тот же клиент"})

    assert "alert-danger" in unseen.content.decode()
    copy.refresh_from_db()
    assert copy.duplicate_of == original
    assert copy.stage == LeadStage.DUPLICATE
