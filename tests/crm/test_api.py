"""The CRM API: access rights in lists, moves 200/409/403, task completion, the public intake."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from admin24.models import AccessRule
from admin24.roles import Role
from crm.models import Deal, LeadStage, Task
from crm.services.leads import lead_create
from crm.services.tasks import task_create
from tests.factories import DealFactory, DepartmentFactory, LeadFactory, UserFactory


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def sales(db):
    """A sales department with a head, a manager in it, a manager in a sub-department, and an outsider."""
    department = DepartmentFactory(name="Продажи")
    regions = DepartmentFactory(name="Регионы", parent=department)
    head = UserFactory(roles=[Role.SALES_MANAGER, Role.SUPERVISOR], department=department)
    department.head = head
    department.save()
    return {
        "head": head,
        "mine": UserFactory(roles=[Role.SALES_MANAGER], department=department),
        "regional": UserFactory(roles=[Role.SALES_MANAGER], department=regions),
        "outsider": UserFactory(roles=[Role.SALES_MANAGER], department=DepartmentFactory(name="Другой")),
    }


def ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_a_manager_with_own_rights_sees_only_his_leads(sales):
    his = LeadFactory(responsible=sales["mine"])
    LeadFactory(responsible=sales["regional"])

    assert ids(client_for(sales["mine"]).get("/api/v1/leads/")) == {his.pk}
    assert client_for(sales["mine"]).get(f"/api/v1/leads/{his.pk + 1}/").status_code == 404


def test_a_supervisor_sees_his_departments_leads_including_sub_departments(sales):
    leads = {name: LeadFactory(responsible=user) for name, user in sales.items()}

    seen = ids(client_for(sales["head"]).get("/api/v1/leads/"))

    assert seen == {leads["head"].pk, leads["mine"].pk, leads["regional"].pk}


def test_lead_filters(sales):
    client = client_for(sales["head"])
    wanted = LeadFactory(responsible=sales["mine"], phone="+7 (999) 123-45-67", stage=LeadStage.NO_ANSWER)
    LeadFactory(responsible=sales["mine"])

    assert ids(client.get("/api/v1/leads/", {"stage": "no_answer,spam"})) == {wanted.pk}
    assert ids(client.get("/api/v1/leads/", {"q": "89991234567"})) == {wanted.pk}
    assert client.get("/api/v1/leads/", {"created_from": "yesterday"}).status_code == 400


def test_creating_a_lead_through_the_api_assigns_and_plans_the_first_call(sales):
    response = client_for(sales["mine"]).post(
        "/api/v1/leads/", {"contact_name": "Ольга", "email": "olga@example.org", "computers": 5}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["source"], body["stage"], body["title"]) == ("api", "new", "Ольга")
    assert "no_answer" in body["allowed_moves"] and "stage_label" in body
    assert Task.objects.filter(lead_id=body["id"], kind=Task.Kind.CALL).count() == 1


def test_creating_a_lead_validates_counts_and_contact_details(sales):
    client = client_for(sales["mine"])
    assert client.post("/api/v1/leads/", {"email": "o@example.org", "servers": -1}, format="json").status_code == 400
    assert client.post("/api/v1/leads/", {"contact_name": "Никак"}, format="json").status_code == 400


def test_move_answers_200_409_and_403(sales):
    lead = lead_create(by=sales["mine"], email="c@example.org")
    client = client_for(sales["mine"])

    ok = client.post(f"/api/v1/leads/{lead.pk}/move/", {"to": "no_answer"}, format="json")
    assert ok.status_code == 200 and ok.json()["stage"] == "no_answer" and ok.json()["failed_calls"] == 1

    refused = client.post(f"/api/v1/leads/{lead.pk}/move/", {"to": "qualified_typo"}, format="json")
    assert refused.status_code == 409
    assert "in_progress" in refused.json()["allowed_moves"] and refused.json()["detail"]

    no_reason = client.post(f"/api/v1/leads/{lead.pk}/move/", {"to": "spam"}, format="json")
    assert no_reason.status_code == 409

    hidden = LeadFactory(responsible=sales["head"])
    assert client.post(f"/api/v1/leads/{hidden.pk}/move/", {"to": "in_progress"}, format="json").status_code == 404


def test_move_is_403_for_a_visible_lead_the_user_may_not_change(sales):
    lead = LeadFactory(responsible=sales["mine"])
    support = UserFactory(roles=[Role.SUPPORT_ENGINEER])
    support_with_read = client_for(support)
    AccessRule.objects.create(role=support.groups.get(), entity="lead", action="read", level=30)

    assert support_with_read.get(f"/api/v1/leads/{lead.pk}/").json()["allowed_moves"] == []
    forbidden = support_with_read.post(f"/api/v1/leads/{lead.pk}/move/", {"to": "spam", "reason": "x"}, format="json")
    assert forbidden.status_code == 403
    assert support_with_read.patch(f"/api/v1/leads/{lead.pk}/", {"title": "x"}, format="json").status_code == 403


def test_completing_a_task_without_its_required_file_is_409_with_the_message(sales):
    deal = DealFactory(responsible=sales["mine"])
    task = task_create(title="КП", kind=Task.Kind.PROPOSAL, responsible=sales["mine"], deal=deal)
    client = client_for(sales["mine"])
    client.credentials(HTTP_ACCEPT_LANGUAGE="en")

    response = client.post(f"/api/v1/tasks/{task.pk}/complete/", {"comment": "готово"}, format="json")

    assert response.status_code == 409
    assert response.json()["missing"] == ["commercial proposal"]
    assert "commercial proposal" in response.json()["detail"]
    assert client.get(f"/api/v1/tasks/{task.pk}/").json()["missing_requirements"] == ["commercial proposal"]


def test_a_generic_task_is_completed_and_reopened_through_the_api(sales):
    client = client_for(sales["mine"])
    created = client.post("/api/v1/tasks/", {"title": "Перезвонить", "checklist_items": ["a", "b"]}, format="json")
    assert created.status_code == 201, created.content
    task_id = created.json()["id"]

    done = client.post(f"/api/v1/tasks/{task_id}/complete/", {}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert ids(client.get("/api/v1/tasks/", {"status": "done", "mine": "true"})) == {task_id}
    assert client.post(f"/api/v1/tasks/{task_id}/reopen/").json()["status"] == "open"


def test_deals_are_listed_with_their_allowed_moves_and_can_be_edited_but_not_deleted(sales):
    deal = DealFactory(responsible=sales["mine"])
    client = client_for(sales["mine"])

    body = client.get(f"/api/v1/deals/{deal.pk}/").json()

    assert body["stage"] == "proposal" and "feedback" in body["allowed_moves"]
    assert client.patch(f"/api/v1/deals/{deal.pk}/", {"title": "x"}, format="json").status_code == 200
    assert client.delete(f"/api/v1/deals/{deal.pk}/").status_code == 405
    assert Deal.objects.get(pk=deal.pk).title == "x"


def test_contacts_are_found_by_any_phone_format_and_keep_email_order(sales):
    client = client_for(sales["mine"])
    created = client.post(
        "/api/v1/contacts/",
        {"full_name": "Ольга", "emails": ["b@example.org", "a@example.org"], "phones": ["+7 999 123-45-67"]},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["emails"] == ["b@example.org", "a@example.org"]

    assert ids(client.get("/api/v1/contacts/", {"phone": "89991234567"})) == {created.json()["id"]}
    assert client.post("/api/v1/contacts/", {"full_name": "x", "phones": ["12"]}, format="json").status_code == 400


def test_a_company_with_a_bad_inn_is_400(sales):
    client = client_for(sales["mine"])
    bad = client.post("/api/v1/companies/", {"name": "ООО", "inn": "7707083894"}, format="json")
    good = client.post("/api/v1/companies/", {"name": "Сбер", "inn": "7707083893"}, format="json")
    assert bad.status_code == 400 and "inn" in bad.json()
    assert good.status_code == 201 and good.json()["responsible"] == sales["mine"].pk


def test_the_public_intake_validates_like_the_form_and_is_rate_limited(sales):
    client = APIClient(REMOTE_ADDR="203.0.113.9")
    good = {"name": "Ольга", "email": "olga@example.org", "computers": 3, "consent": True}

    assert client.post("/api/v1/public/leads/", {**good, "consent": False}, format="json").status_code == 400
    created = client.post("/api/v1/public/leads/", good, format="json")
    assert created.status_code == 201
    for _ in range(20):
        last = client.post("/api/v1/public/leads/", good, format="json")
    assert last.status_code == 429


def test_the_schema_documents_the_crm_endpoints_without_warnings(db):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


def test_the_lead_list_costs_the_same_queries_for_10_and_for_40_leads(sales):
    client = client_for(sales["head"])

    def queries_for_list():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/v1/leads/").status_code == 200
        return len(captured)

    for user in ("mine", "regional"):
        for _ in range(5):
            LeadFactory(responsible=sales[user])
    queries_for_list()  # the user's rights are cached on first use
    few = queries_for_list()
    for _ in range(30):
        LeadFactory(responsible=sales["regional"])
    assert queries_for_list() == few
