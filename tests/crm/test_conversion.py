"""Moving a lead to «Целевой клиент» converts it, reusing the client's cards when they exist."""

import pytest
from django.db import DatabaseError, connection

from admin24.workflow import MoveRefused, move
from crm.models import Company, Contact, ContractStage, Deal, LeadStage, Task
from crm.services.leads import lead_convert, lead_create
from tests.factories import CompanyFactory, ContactFactory


def new_lead(manager, **fields):
    fields.setdefault("contact_name", "Иванова Ольга")
    fields.setdefault("email", "olga@client.example")
    return lead_create(by=manager, title="Абонентское обслуживание", **fields)


def test_conversion_creates_contact_company_deal_and_proposal_task(manager):
    lead = new_lead(manager, phone="+7 999 123-45-67", company_name="ООО «Ромашка»", computers=12, servers=2)

    deal = lead_convert(lead=lead, by=manager)

    lead.refresh_from_db()
    assert lead.stage == LeadStage.QUALIFIED
    assert (deal.pipeline, deal.stage) == ("contract", ContractStage.PROPOSAL)
    assert (deal.computers, deal.servers, deal.currency) == (12, 2, "RUB")
    assert deal.source_lead == lead and deal.responsible == manager
    assert lead.contact.first_email == "olga@client.example"
    assert lead.contact.first_phone == "+7 999 123-45-67"
    assert lead.company.name == "ООО «Ромашка»" and lead.contact.company == lead.company
    assert deal.company == lead.company and deal.contact == lead.contact
    proposal = Task.objects.get(deal=deal)
    assert proposal.kind == Task.Kind.PROPOSAL and proposal.responsible == manager and proposal.is_open


def test_conversion_reuses_the_contact_found_by_email_in_any_case(manager):
    existing = ContactFactory(emails=["Olga@Client.Example"])
    lead = new_lead(manager)

    lead_convert(lead=lead, by=manager)

    assert Contact.objects.count() == 1
    lead.refresh_from_db()
    assert lead.contact == existing


def test_conversion_reuses_the_contact_found_by_a_phone_written_differently(manager):
    existing = ContactFactory(phones=["8 (999) 123-45-67"])
    lead = new_lead(manager, email="", phone="9991234567")

    deal = lead_convert(lead=lead, by=manager)

    assert Contact.objects.count() == 1
    assert deal.contact == existing


def test_conversion_reuses_the_company_found_by_inn_and_then_by_name(manager):
    by_inn = CompanyFactory(name="Сбербанк", inn="7707083893")
    by_name = CompanyFactory(name="ООО «Лютик»")

    first = lead_convert(lead=new_lead(manager, company_name="ПАО Сбер", company_inn="7707083893"), by=manager)
    second = lead_convert(lead=new_lead(manager, email="other@lutik.example", company_name="ооо «лютик»"), by=manager)

    assert Company.objects.count() == 2
    assert (first.company, second.company) == (by_inn, by_name)


@pytest.fixture
def proposal_tasks_refused(db):
    """The database refuses to store a proposal task: the conversion's last part fails for real."""
    table = Task._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION test_refuse_proposal() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'task storage is down'; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                f"CREATE TRIGGER test_refuse_proposal BEFORE INSERT ON {table} FOR EACH ROW "
                "WHEN (NEW.kind = 'proposal') EXECUTE FUNCTION test_refuse_proposal()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER test_refuse_proposal BEFORE INSERT ON {table} "
                "WHEN NEW.kind = 'proposal' BEGIN SELECT RAISE(ABORT, 'task storage is down'); END"
            )
    yield
    with connection.cursor() as cursor:
        cursor.execute(
            f"DROP TRIGGER test_refuse_proposal{' ON ' + table if connection.vendor == 'postgresql' else ''}"
        )
        if connection.vendor == "postgresql":
            cursor.execute("DROP FUNCTION test_refuse_proposal()")


def test_a_failing_part_rolls_the_whole_conversion_back(manager, proposal_tasks_refused):
    lead = new_lead(manager, company_name="ООО «Ромашка»")

    with pytest.raises(DatabaseError, match="task storage is down"):
        lead_convert(lead=lead, by=manager)

    assert lead.stage == LeadStage.NEW
    lead.refresh_from_db()
    assert lead.stage == LeadStage.NEW and lead.contact is None
    assert not Contact.objects.exists() and not Company.objects.exists() and not Deal.objects.exists()


def test_a_lead_without_phone_or_email_cannot_be_converted(manager):
    lead = new_lead(manager)
    lead.email = ""
    lead.save()

    with pytest.raises(MoveRefused, match=r"телефон или эл\. почту"):
        move(lead, LeadStage.QUALIFIED, by=manager)
    assert not Deal.objects.exists()


def test_a_qualified_lead_cannot_be_reopened(manager):
    lead = new_lead(manager)
    lead_convert(lead=lead, by=manager)

    with pytest.raises(MoveRefused) as refused:
        move(lead, LeadStage.IN_PROGRESS, by=manager, reason="передумали")
    assert refused.value.allowed == []
