"""The lead board: columns, bounded cards, filters, access rights and the move endpoint."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from admin24.roles import Role
from crm.boards import lead_board
from crm.models import Lead, LeadSource, LeadStage, Task
from tests.factories import DepartmentFactory, LeadFactory, TaskFactory, UserFactory

from .conftest import msk

pytestmark = pytest.mark.django_db

BOARD = reverse("crm:leads_board")
MOVE = reverse("crm:leads_move")
COLUMN = reverse("crm:leads_column")


@pytest.fixture
def admin(db):
    return UserFactory(roles=[Role.ADMINISTRATOR])


@pytest.fixture
def sales(db):
    """A sales department with its head (a supervisor) and two managers, and another department."""
    department = DepartmentFactory(name="Продажи")
    other = DepartmentFactory(name="Поддержка")
    head = UserFactory(roles=[Role.SUPERVISOR, Role.SALES_MANAGER], department=department, last_name="Начальников")
    department.head = head
    department.save()
    return {
        "head": head,
        "manager": UserFactory(roles=[Role.SALES_MANAGER], department=department, last_name="Первый"),
        "colleague": UserFactory(roles=[Role.SALES_MANAGER], department=department, last_name="Второй"),
        "outsider": UserFactory(roles=[Role.SALES_MANAGER], department=other, last_name="Чужой"),
    }


def bulk_leads(count, *, responsible, stage=LeadStage.IN_PROGRESS, with_tasks=True):
    now = timezone.now()
    leads = Lead.objects.bulk_create(
        Lead(
            title=f"Заявка {i}",
            email=f"c{i}@example.org",
            stage=stage,
            responsible=responsible,
            created_at=now - datetime.timedelta(minutes=i),
        )
        for i in range(count)
    )
    if with_tasks:
        Task.objects.bulk_create(
            Task(title="Позвонить", lead=lead, responsible=responsible, deadline=now + datetime.timedelta(hours=1))
            for lead in leads
        )
    return leads


def cards_in(response, stage):
    column = next(c for c in response.context["columns"] if c.stage.slug == stage)
    return [card.title for card in column.cards]


def column_count(response, stage):
    return next(c for c in response.context["columns"] if c.stage.slug == stage).count


def test_the_board_shows_the_active_stages_in_order_with_their_counts(client, admin):
    LeadFactory(stage=LeadStage.NEW, responsible=admin)
    LeadFactory.create_batch(2, stage=LeadStage.IN_PROGRESS, responsible=admin)
    LeadFactory(stage=LeadStage.SPAM, responsible=admin)
    client.force_login(admin)

    response = client.get(BOARD)

    assert response.status_code == 200
    assert [c.stage.slug for c in response.context["columns"]] == ["new", "in_progress", "no_answer"]
    assert [c.count for c in response.context["columns"]] == [1, 2, 0]
    body = response.content.decode()
    assert str(LeadStage.NEW.label) in body and str(LeadStage.SPAM.label) not in body


def test_closed_stages_show_when_asked(client, admin):
    LeadFactory(stage=LeadStage.SPAM, responsible=admin, title="Спамер")
    client.force_login(admin)

    response = client.get(BOARD, {"closed": "1"})

    assert [c.stage.slug for c in response.context["columns"]][-1] == "duplicate"
    assert cards_in(response, "spam") == ["Спамер"]


def test_a_card_shows_company_initials_and_an_overdue_next_task(client, admin):
    lead = LeadFactory(stage=LeadStage.IN_PROGRESS, responsible=admin, company_name="ООО «Ромашка»")
    TaskFactory(lead=lead, responsible=admin, deadline=timezone.now() - datetime.timedelta(hours=2))
    TaskFactory(lead=lead, responsible=admin, deadline=timezone.now() - datetime.timedelta(days=9), status="done")
    client.force_login(admin)

    body = client.get(BOARD).content.decode()

    assert "ООО «Ромашка»" in body
    assert admin.initials in body
    assert "kanban-card-overdue" in body


def count_board_queries(client, user):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(BOARD, {"closed": "1"})
    assert response.status_code == 200
    return len(queries), response


def test_the_board_costs_the_same_number_of_queries_for_10_and_500_leads(client, admin):
    bulk_leads(10, responsible=admin)
    client.force_login(admin)
    client.get(BOARD)  # the session and the access rules are warm from here on
    few, _response = count_board_queries(client, admin)

    bulk_leads(490, responsible=admin)
    bulk_leads(120, responsible=admin, stage=LeadStage.SPAM, with_tasks=False)
    many, response = count_board_queries(client, admin)

    assert many == few
    assert column_count(response, "in_progress") == 500
    assert len(cards_in(response, "in_progress")) == lead_board.per_column
    assert len(cards_in(response, "spam")) == lead_board.per_column


def test_show_more_loads_the_next_page_of_one_column(client, admin):
    bulk_leads(60, responsible=admin, with_tasks=False)
    client.force_login(admin)
    board = client.get(BOARD)
    assert f"offset={lead_board.per_column}" in board.content.decode()

    response = client.get(COLUMN, {"stage": "in_progress", "offset": lead_board.per_column}, HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert response.status_code == 200
    assert body.count('class="kanban-card ') == 10
    assert "Заявка 59" in body and "Заявка 0<" not in body
    assert 'hx-swap-oob="true"' in body and "hx-get" not in body  # the button is gone: no more pages


@pytest.mark.parametrize("params", [{"stage": "nope", "offset": "0"}, {"stage": "new", "offset": "x"}])
def test_a_bad_column_request_is_refused_with_a_message(client, admin, params):
    client.force_login(admin)
    response = client.get(COLUMN, params)
    assert response.status_code == 400


def test_a_manager_with_own_rights_sees_only_his_leads_on_board_list_and_csv(client, sales):
    LeadFactory(title="Моя заявка", responsible=sales["manager"], stage=LeadStage.NEW)
    LeadFactory(title="Заявка коллеги", responsible=sales["colleague"], stage=LeadStage.NEW)
    client.force_login(sales["manager"])

    board = client.get(BOARD)
    listing = client.get(reverse("crm:leads_list")).content.decode()
    csv = b"".join(client.get(reverse("crm:leads_csv")).streaming_content).decode("utf-8-sig")

    assert cards_in(board, "new") == ["Моя заявка"]
    assert "Моя заявка" in listing and "Заявка коллеги" not in listing
    assert "Моя заявка" in csv and "Заявка коллеги" not in csv


def test_a_supervisor_sees_his_departments_leads(client, sales):
    LeadFactory(title="Заявка менеджера", responsible=sales["manager"], stage=LeadStage.NEW)
    LeadFactory(title="Чужая заявка", responsible=sales["outsider"], stage=LeadStage.NEW)
    client.force_login(sales["head"])

    assert cards_in(client.get(BOARD), "new") == ["Заявка менеджера"]


def test_the_scope_filter_narrows_within_access_rights(client, sales):
    LeadFactory(title="Своя", responsible=sales["head"], stage=LeadStage.NEW)
    LeadFactory(title="Менеджера", responsible=sales["manager"], stage=LeadStage.NEW)
    client.force_login(sales["head"])

    assert cards_in(client.get(BOARD, {"scope": "mine"}), "new") == ["Своя"]
    assert sorted(cards_in(client.get(BOARD, {"scope": "department"}), "new")) == ["Менеджера", "Своя"]
    only = client.get(BOARD, {"responsible": sales["manager"].pk})
    assert cards_in(only, "new") == ["Менеджера"]


def test_source_date_and_text_filters(client, admin):
    old = LeadFactory(title="Старая с сайта", source=LeadSource.WEB_FORM, responsible=admin)
    Lead.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=30))
    LeadFactory(title="Новая с сайта", source=LeadSource.WEB_FORM, responsible=admin, phone="+7 (999) 123-45-67")
    LeadFactory(title="Звонок", source=LeadSource.PHONE, responsible=admin)
    client.force_login(admin)
    today = timezone.localdate().isoformat()

    assert sorted(cards_in(client.get(BOARD, {"source": "web_form"}), "new")) == ["Новая с сайта", "Старая с сайта"]
    assert sorted(cards_in(client.get(BOARD, {"created_from": today}), "new")) == ["Звонок", "Новая с сайта"]
    assert cards_in(client.get(BOARD, {"q": "Стара"}), "new") == ["Старая с сайта"]
    assert cards_in(client.get(BOARD, {"q": "123-45-67"}), "new") == ["Новая с сайта"]


def test_bad_filter_values_are_reported_not_a_server_error(client, admin):
    LeadFactory(responsible=admin)
    client.force_login(admin)

    response = client.get(BOARD, {"created_from": "вчера", "responsible": "999999", "scope": "everyone"})

    assert response.status_code == 200
    assert response.context["filters"].errors
    assert column_count(response, "new") == 1


def test_dropping_a_card_moves_the_lead_and_returns_the_new_counts(client, sales):
    manager = sales["manager"]
    lead = LeadFactory(stage=LeadStage.IN_PROGRESS, responsible=manager)
    LeadFactory(stage=LeadStage.IN_PROGRESS, responsible=manager)
    client.force_login(manager)

    response = client.post(MOVE, {"pk": lead.pk, "to": "no_answer"})

    assert response.status_code == 200
    lead.refresh_from_db()
    assert lead.stage == LeadStage.NO_ANSWER
    assert response.json()["columns"]["in_progress"]["count"] == 1
    assert response.json()["columns"]["no_answer"]["count"] == 1
    board = client.get(BOARD)
    assert len(cards_in(board, "no_answer")) == 1


def test_a_refused_move_says_why_and_leaves_the_card_where_it_was(client, sales):
    lead = LeadFactory(stage=LeadStage.IN_PROGRESS, responsible=sales["manager"])
    client.force_login(sales["manager"])

    response = client.post(MOVE, {"pk": lead.pk, "to": "new"})

    assert response.status_code == 409
    assert f"«{LeadStage.IN_PROGRESS.label}»" in response.json()["error"]
    assert "no_answer" in response.json()["allowed"]
    lead.refresh_from_db()
    assert lead.stage == LeadStage.IN_PROGRESS


def test_closing_from_the_board_needs_a_reason(client, sales):
    lead = LeadFactory(stage=LeadStage.IN_PROGRESS, responsible=sales["manager"])
    client.force_login(sales["manager"])

    refused = client.post(MOVE, {"pk": lead.pk, "to": "spam"})
    accepted = client.post(MOVE, {"pk": lead.pk, "to": "spam", "reason": "Реклама"})

    assert refused.status_code == 409 and refused.json()["error"]
    assert accepted.status_code == 200
    lead.refresh_from_db()
    assert (lead.stage, lead.closing_reason) == (LeadStage.SPAM, "Реклама")


def test_nobody_moves_a_card_they_cannot_see(client, sales):
    lead = LeadFactory(stage=LeadStage.IN_PROGRESS, responsible=sales["colleague"])
    client.force_login(sales["manager"])

    assert client.post(MOVE, {"pk": lead.pk, "to": "no_answer"}).status_code == 404
    assert client.post(MOVE, {"pk": "", "to": "no_answer"}).status_code == 400
    lead.refresh_from_db()
    assert lead.stage == LeadStage.IN_PROGRESS


def test_a_supervisor_reading_rights_without_edit_rights_gets_403(client, sales, admin):
    from admin24.models import AccessRule

    AccessRule.objects.filter(role__name=Role.SUPERVISOR, entity="lead", action="edit").update(level=0)
    AccessRule.objects.filter(role__name=Role.SALES_MANAGER, entity="lead", action="edit").update(level=0)
    lead = LeadFactory(stage=LeadStage.IN_PROGRESS, responsible=sales["manager"])
    client.force_login(sales["head"])

    response = client.post(MOVE, {"pk": lead.pk, "to": "no_answer"})

    assert response.status_code == 403
    assert response.json()["error"]


def test_the_list_sorts_and_pages(client, admin):
    for title in ["Бета", "Альфа", "Гамма"]:
        LeadFactory(title=title, responsible=admin)
    client.force_login(admin)

    ascending = client.get(reverse("crm:leads_list"), {"sort": "title"})
    descending = client.get(reverse("crm:leads_list"), {"sort": "-title"})
    ignored = client.get(reverse("crm:leads_list"), {"sort": "password"})

    assert [obj.title for obj, _url, _values in ascending.context["rows"]] == ["Альфа", "Бета", "Гамма"]
    assert [obj.title for obj, _url, _values in descending.context["rows"]] == ["Гамма", "Бета", "Альфа"]
    assert ignored.status_code == 200


def test_the_list_pages_through_many_leads(client, admin):
    bulk_leads(lead_board.list_per_page + 5, responsible=admin, with_tasks=False)
    client.force_login(admin)

    first = client.get(reverse("crm:leads_list"))
    second = client.get(reverse("crm:leads_list"), {"page": 2})

    assert len(first.context["rows"]) == lead_board.list_per_page
    assert len(second.context["rows"]) == 5


def test_the_csv_opens_in_excel_with_russian_text_and_no_formulas(client, admin):
    LeadFactory(title='=HYPERLINK("http://evil")', company_name="+79990001122", responsible=admin)
    LeadFactory(title="@SUM(A1)", contact_name="-2+3", responsible=admin)
    LeadFactory(title="Обычная заявка", company_name="ООО «Ёлка»", responsible=admin)
    client.force_login(admin)

    response = client.get(reverse("crm:leads_csv"))
    raw = b"".join(response.streaming_content)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert text.splitlines()[0].split(",")[:2] == [str(lead_board.list_fields[0].label), str(_("Stage"))]
    assert "ООО «Ёлка»" in text
    assert "'=HYPERLINK" in text and "'@SUM(A1)" in text and "'+79990001122" in text and "'-2+3" in text
    assert ",=" not in text and "\n=" not in text


def test_the_csv_follows_the_filters(client, admin):
    LeadFactory(title="Спам", stage=LeadStage.SPAM, responsible=admin)
    LeadFactory(title="В работе", stage=LeadStage.NEW, responsible=admin, source=LeadSource.PHONE)
    LeadFactory(title="С сайта", stage=LeadStage.NEW, responsible=admin, source=LeadSource.WEB_FORM)
    client.force_login(admin)

    text = b"".join(client.get(reverse("crm:leads_csv"), {"source": "phone"}).streaming_content).decode("utf-8-sig")

    assert "В работе" in text and "С сайта" not in text
    assert "Спам" not in text  # closed stages are left out unless asked for, as on the board
    with_closed = client.get(reverse("crm:leads_csv"), {"closed": "1"})
    assert "Спам" in b"".join(with_closed.streaming_content).decode("utf-8-sig")


def test_pages_need_a_login(client):
    assert client.get(BOARD).status_code == 302
    assert client.post(MOVE, {"pk": 1, "to": "new"}).status_code == 302


def test_the_created_date_range_counts_days_in_the_users_time_zone(client, admin):
    late = LeadFactory(title="Поздняя", responsible=admin)
    # 23:30 in Moscow on 6 April is already 7 April in UTC+5 and still 6 April in UTC.
    Lead.objects.filter(pk=late.pk).update(created_at=msk(2026, 4, 6, 23, 30))
    client.force_login(admin)

    assert cards_in(client.get(BOARD, {"created_from": "2026-04-06", "created_to": "2026-04-06"}), "new") == ["Поздняя"]
    assert cards_in(client.get(BOARD, {"created_from": "2026-04-07"}), "new") == []
    admin.time_zone = "Asia/Yekaterinburg"
    admin.save()
    assert cards_in(client.get(BOARD, {"created_from": "2026-04-07", "created_to": "2026-04-07"}), "new") == ["Поздняя"]
    bad = client.get(BOARD, {"created_from": "2026-04-08", "created_to": "2026-04-07"})
    assert bad.context["filters"].errors["created_to"]


def test_search_ignores_the_case_of_russian_letters_on_the_board_and_the_list(client, admin):
    LeadFactory(title="Сервер не отвечает", company_name="ООО «Ёлочка»", responsible=admin)
    LeadFactory(title="Принтер", company_name="ООО «Ромашка»", responsible=admin)
    client.force_login(admin)

    assert cards_in(client.get(BOARD, {"q": "СЕРВЕР"}), "new") == ["Сервер не отвечает"]
    assert cards_in(client.get(BOARD, {"q": "елочка"}), "new") == ["Сервер не отвечает"]  # «ё» typed as «е»
    listed = client.get(reverse("crm:leads_list"), {"q": "рОмАшКа"}).content.decode()
    assert "Принтер" in listed and "Сервер не отвечает" not in listed


def test_search_finds_a_lead_by_its_new_title_after_an_edit(client, admin):
    lead = LeadFactory(title="Черновик", responsible=admin)
    lead.title = "Видеонаблюдение в офисе"
    lead.save(update_fields=["title"])
    client.force_login(admin)

    assert cards_in(client.get(BOARD, {"q": "видеонаблюдение"}), "new") == ["Видеонаблюдение в офисе"]
    assert cards_in(client.get(BOARD, {"q": "черновик"}), "new") == []


def test_a_search_costs_the_same_number_of_queries_as_the_plain_board(client, admin):
    for lead in bulk_leads(30, responsible=admin):
        lead.save()  # bulk_create skipped what save() writes: the search text
    client.force_login(admin)
    client.get(BOARD)
    plain, _response = count_board_queries(client, admin)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(BOARD, {"closed": "1", "q": "ЗАЯВКА"})
    assert len(queries) == plain
    assert len(cards_in(response, "in_progress")) == 30


def test_the_responsible_filter_offers_anyone_rather_than_dashes(client, admin):
    client.force_login(admin)
    body = client.get(reverse("crm:leads_board")).content.decode()
    assert '<option value="" selected>Любой</option>' in body
    assert "---------" not in body
