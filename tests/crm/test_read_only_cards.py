"""A card a user may read but not change looks so: disabled fields, no uploads, no save button —
and a task holder keeps the few fields of their task."""

import re

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile

from admin24.models import AccessRule
from admin24.roles import Role
from crm.models import ContractStage, Deal, LeadStage, Task
from crm.services.leads import qualification_questions
from tests.factories import CompanyFactory, ContactFactory, DealFactory, LeadFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%%EOF\n"


def inputs(page: str) -> dict[str, str]:
    """Each named input, select and textarea of the page's main part: its tag."""
    main = page[page.index("<main") :]
    return {
        match.group(2): match.group(0)
        for match in re.finditer(r'<(input|select|textarea)\b[^>]*\bname="([^"]+)"[^>]*>', main)
        if match.group(2) != "csrfmiddlewaretoken"
    }


@pytest.fixture
def clerk(client):
    user = UserFactory(username="clerk", roles=[Role.CLERK])
    client.force_login(user)
    return user


@pytest.fixture
def deal(db):
    manager = UserFactory(roles=[Role.SALES_MANAGER])
    return DealFactory(title="Договор с «Ромашкой»", stage=ContractStage.CONTRACT, responsible=manager)


def test_a_reader_sees_the_deal_with_every_field_disabled_no_upload_and_no_save(client, clerk, deal):
    page = client.get(f"/crm/deals/{deal.pk}/").content.decode()

    fields = inputs(page)
    assert {"title", "amount", "contract_date", "payment_received"} <= set(fields)
    assert all("disabled" in tag for tag in fields.values()), fields
    assert 'type="file"' not in page
    assert "Сохранить сделку" not in page
    assert "data-read-only" in page


def test_the_clerk_with_the_contract_task_changes_only_the_contract_and_its_dates(client, clerk, deal):
    TaskFactory(deal=deal, responsible=clerk, status=Task.Status.OPEN)

    page = client.get(f"/crm/deals/{deal.pk}/").content.decode()

    fields = inputs(page)
    editable = {name for name, tag in fields.items() if "disabled" not in tag}
    assert editable == {"contract_upload", "contract_date", "contract_end_date"}
    assert "Сохранить сделку" in page
    response = client.post(
        f"/crm/deals/{deal.pk}/save/",
        {
            "title": "Подменённое название",
            "contract_date": "2026-11-20",
            "contract_end_date": "2027-11-19",
            "contract_upload": SimpleUploadedFile("dogovor.pdf", PDF),
        },
    )
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.title == "Договор с «Ромашкой»"  # a disabled field is never taken from the request
    assert str(deal.contract_date) == "2026-11-20" and deal.contract_file


def test_a_reader_of_a_lead_sees_the_qualification_disabled_and_nothing_to_press(client):
    role = Group.objects.get(name=Role.IT_DIRECTOR)
    AccessRule.objects.update_or_create(role=role, entity="lead", action="read", defaults={"level": 30})
    reader = UserFactory(roles=[Role.IT_DIRECTOR])
    lead = LeadFactory(responsible=UserFactory(roles=[Role.SALES_MANAGER]), stage=LeadStage.IN_PROGRESS)
    client.force_login(reader)

    page = client.get(f"/crm/leads/{lead.pk}/").content.decode()

    fields = inputs(page)
    assert {"computers", "servers", "offices", "client_request"} <= set(fields)
    assert all("disabled" in tag for tag in fields.values()), fields
    assert "Сохранить квалификацию" not in page and "Конвертировать" not in page
    assert f"/crm/leads/{lead.pk}/edit/" not in page
    assert "data-read-only" in page


@pytest.mark.parametrize("kind", ["company", "contact"])
def test_a_reader_of_a_company_or_contact_gets_no_edit_button(client, clerk, kind):
    card = CompanyFactory() if kind == "company" else ContactFactory(full_name="Ольга")
    page = client.get(f"/crm/{'companies' if kind == 'company' else 'contacts'}/{card.pk}/").content.decode()
    assert "/edit/" not in page
    assert inputs(page) == {}


def test_converting_a_lead_keeps_the_answers_typed_on_its_card(client):
    manager = UserFactory(roles=[Role.SALES_MANAGER])
    lead = LeadFactory(
        responsible=manager, stage=LeadStage.IN_PROGRESS, phone="+79161234567", company_name="ООО «Ромашка»"
    )
    client.force_login(manager)
    page = client.get(f"/crm/leads/{lead.pk}/").content.decode()
    assert 'form="qualification-form" name="convert"' in page
    questions = qualification_questions()

    response = client.post(
        f"/crm/leads/{lead.pk}/qualification/",
        {
            "answer_0": "Файловый сервер и 1С",
            "computers": "12",
            "servers": "1",
            "offices": "2",
            "client_request": "",
            "convert": "1",
        },
    )

    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.stage == LeadStage.QUALIFIED
    assert lead.qualification[0] == {"question": questions[0], "answer": "Файловый сервер и 1С"}
    assert lead.computers == 12
    assert Deal.objects.get(source_lead=lead).computers == 12


def test_a_reader_of_a_ticket_gets_text_and_no_form(client):
    from servicedesk import services
    from tests.factories import ServiceFactory

    ticket = services.create_ticket(service=ServiceFactory(), subject="Не печатает принтер", email="c@client.ru")
    client.force_login(UserFactory(roles=[Role.SALES_MANAGER]))  # reads every ticket, changes none

    page = client.get(f"/servicedesk/tickets/{ticket.pk}/").content.decode()

    assert "Не печатает принтер" in page
    assert inputs(page) == {}
    assert "data-read-only" in page
