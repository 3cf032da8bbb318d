"""The follow-up of accepted tickets runs as one batch per tick: a constant number of queries
however many tickets, with the effects of one ticket after another."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from admin24 import bulk, timers
from admin24.models import Activity, ScheduledAction
from crm.models import Company, Contact
from notifications.models import OutboxMessage
from servicedesk import services
from servicedesk.models import Ticket
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def accept(service, *, email, name="Клиент", phone="", company=""):
    return services.accept_ticket(
        subject="Не печатает принтер", service=service, name=name, email=email, phone=phone, company=company
    )


def accept_mix(service, count: int, round_name: str) -> None:
    """``count`` tickets: new clients with a new company, returning clients, new clients sharing
    an existing contact's phone, and one client without an email — in the same proportions."""
    for n in range(count):
        kind = n % 5
        if kind in (0, 1):
            accept(service, email=f"{round_name}-{n}@new.ru", company=f"ООО «{round_name} {n}»", phone="+79990000001")
        elif kind == 2:
            accept(service, email=f"known-{n % 3}@client.ru")
        elif kind == 3:
            accept(service, email=f"{round_name}-{n}@shared.ru", phone="+7 999 555-00-00")
        else:
            accept(service, email="")


def tick_statements() -> list[str]:
    """The statements of one clock tick (``run_due_until_idle``) but the savepoints, which the
    test's own transaction adds around each of the tick's transactions."""
    with CaptureQueriesContext(connection) as queries:
        taken = timers.run_due_until_idle(batch=100)
    assert taken
    assert not Ticket.objects.filter(follow_up_pending=True).exists()
    assert not ScheduledAction.objects.filter(action=services.FOLLOW_UP, status="pending").exists()
    return [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]


def follow_up_queries() -> int:
    return len(tick_statements())


# SQLite caps a statement's parameters (999), so Django splits its bulk INSERTs of 50 rows in two.
@pytest.mark.postgres
def test_a_batch_of_fifty_follow_ups_costs_the_queries_of_a_batch_of_five(service):
    for n in range(3):
        ContactFactory(emails=[f"known-{n}@client.ru"], phones=["+79995550000"])
    accept_mix(service, 5, "first")
    accept_mix(service, 5, "warm")  # the calendar, settings and content types are loaded once per process
    follow_up_queries()
    accept_mix(service, 5, "five")
    five = follow_up_queries()
    accept_mix(service, 50, "fifty")
    fifty = follow_up_queries()
    # The marked tickets claimed, the directory's read, the thread, the one write statement, and
    # the tick's two looks for due actions (the second after its batch, as always).
    assert fifty == five == 6, (five, fifty)
    assert Ticket.objects.filter(contact__isnull=True).exclude(client_email="").count() == 0
    assert Ticket.objects.count() == OutboxMessage.objects.filter(template="servicedesk/ticket_received").count() + (
        Ticket.objects.filter(client_email="").count()
    )


def test_a_batch_links_and_creates_as_one_ticket_after_another_would(service):
    older = ContactFactory(full_name="Старый", emails=["old@client.ru"], phones=["+7 999 111-22-33"])
    ContactFactory(full_name="Ещё старше?", phones=["+79991112233"])  # younger than ``older``: not the match
    existing = Company.objects.create(name="ООО «Ромашка»")
    twice_a = accept(service, email="twice@new.ru", name="Дважды", company="ооо «васильки»")
    twice_b = accept(service, email="Twice@New.ru", name="Дважды снова", company="Другое")
    same_company = accept(service, email="colleague@new.ru", company="ООО «Васильки»")
    known_company = accept(service, email="r@new.ru", company="ооо  «ромашка»")
    shares_old_phone = accept(service, email="phone@new.ru", phone="+7 (999) 111-22-33")
    first_new_phone = accept(service, email="first@new.ru", phone="+79990007777")
    second_new_phone = accept(service, email="second@new.ru", phone="8 999 000-77-77")
    returning = accept(service, email="OLD@client.ru", company="Что-то своё")
    anonymous = accept(service, email="")

    assert timers.run_due_until_idle() == 9

    tickets = {t.pk: t for t in Ticket.objects.select_related("contact", "company")}
    a, b = tickets[twice_a.pk], tickets[twice_b.pk]
    assert a.contact == b.contact and a.contact.full_name == "Дважды"
    assert Contact.objects.filter(emails__email_normalized="twice@new.ru").count() == 1
    vasilki = Company.objects.get(name_key="ооо «васильки»")
    assert vasilki.name == "ооо «васильки»"  # as the first ticket spelled it
    assert a.company == vasilki == tickets[same_company.pk].company == tickets[same_company.pk].contact.company
    assert b.company == vasilki and b.client_company == "Другое"
    assert tickets[known_company.pk].company == existing
    assert Company.objects.count() == 2
    assert tickets[shares_old_phone.pk].contact.duplicate_of == older
    first = tickets[first_new_phone.pk].contact
    assert first.duplicate_of is None
    assert tickets[second_new_phone.pk].contact.duplicate_of == first
    assert tickets[returning.pk].contact == older and tickets[returning.pk].company is None
    assert tickets[anonymous.pk].contact is None
    for ticket in tickets.values():
        assert f"#{ticket.number}" in ticket.search_text
    assert "ооо «васильки»" in tickets[same_company.pk].search_text

    duplicates = Activity.objects.filter(verb=Activity.Verb.DUPLICATE_FOUND).values_list("target_id", "data")
    assert sorted(duplicates) == sorted(
        [
            (tickets[shares_old_phone.pk].contact_id, {"contact": older.pk}),
            (tickets[second_new_phone.pk].contact_id, {"contact": first.pk}),
        ]
    )
    assert Activity.objects.filter(verb=Activity.Verb.CREATED, target_id__in=tickets).count() >= len(tickets)
    received = OutboxMessage.objects.filter(template="servicedesk/ticket_received")
    assert sorted(received.values_list("target_id", flat=True)) == sorted(pk for pk in tickets if pk != anonymous.pk)
    for ticket in tickets.values():
        pending = ScheduledAction.objects.filter(status="pending", target_id=ticket.pk).exclude(
            action=services.FOLLOW_UP
        )
        assert sorted(pending.values_list("action", flat=True)) == [
            services.REACTION_BREACH,
            services.RESOLUTION_BREACH,
        ]
    assert timers.run_due_until_idle() == 0
    assert received.count() == 8


def test_a_ticket_that_cannot_be_followed_up_fails_alone_and_the_rest_of_its_batch_is_done(service):
    good = accept(service, email="good@client.ru")
    bad = accept(service, email="good2@client.ru")
    # An address the contact's email field refuses (an old row, imported before the check).
    Ticket.objects.filter(pk=bad.pk).update(client_email="not an address")
    also_good = accept(service, email="fine@client.ru")
    # The batch fails, goes to the clock as three actions, which the same tick runs one by one.
    assert timers.run_due_until_idle() == 6
    assert not Ticket.objects.filter(follow_up_pending=True).exists()
    statuses = dict(ScheduledAction.objects.filter(action=services.FOLLOW_UP).values_list("target_id", "status"))
    assert statuses == {good.pk: "done", bad.pk: "pending", also_good.pk: "done"}
    assert "email" in ScheduledAction.objects.get(target_id=bad.pk, action=services.FOLLOW_UP).last_error.lower()
    assert Ticket.objects.get(pk=good.pk).contact is not None
    assert Ticket.objects.get(pk=also_good.pk).contact is not None
    assert Ticket.objects.get(pk=bad.pk).contact is None


def one_follow_up_queries() -> list[str]:
    """The statements of the clock's tick that runs one accepted ticket's follow-up, without the
    tick's two looks for due actions, which find none."""
    sent = tick_statements()
    for _ in range(2):
        assert sent.pop().startswith('SELECT "admin24_scheduledaction"')
    return sent


@pytest.mark.postgres
def test_one_ticket_alone_costs_four_queries_for_a_returning_client_and_for_a_new_one(service):
    ContactFactory(emails=["known@client.ru"], phones=["+79995550000"])
    accept(service, email="warm@new.ru", company="ООО «Тёплое»", phone="+79990000001")
    timers.run_due_until_idle()  # the calendar, settings and content types are loaded once per process
    accept(service, email="known@client.ru")
    returning = one_follow_up_queries()
    # The marked ticket claimed (locked as it is read; unmarked by the write below), the
    # directory's one read, the thread, and one statement for the ticket, its timers, its timeline
    # and its confirmation (and a savepoint around the last three, not counted).
    assert len(returning) == 4, "\n".join(returning)
    accept(service, email="new@new.ru", company="ООО «Новое»", phone="+7 999 555-00-00")
    new_client = one_follow_up_queries()
    # The same four: the company by name, the phone's older owner and the new ids are in the
    # directory's read, the company's and the contact's INSERTs in the one statement; no contracts
    # are looked for the company created just now.
    assert len(new_client) == 4, "\n".join(new_client)
    ticket = Ticket.objects.select_related("contact__duplicate_of", "company").get(client_email="new@new.ru")
    assert ticket.company.name == "ООО «Новое»" and ticket.contact.company == ticket.company
    assert ticket.contact.duplicate_of.first_email == "known@client.ru"
    assert ticket.contact.first_phone == "+79995550000"
    assert OutboxMessage.objects.filter(target_id=ticket.pk, template="servicedesk/ticket_received").count() == 1
    assert sorted(
        ScheduledAction.objects.filter(target_id=ticket.pk, status="pending").values_list("action", flat=True)
    ) == [
        services.REACTION_BREACH,
        services.RESOLUTION_BREACH,
    ]


def test_a_new_client_never_takes_the_id_of_a_contact_deleted_before(service):
    # The ids are taken before the INSERTs (from the sequence, or SQLite's AUTOINCREMENT counter):
    # a reused id would show the deleted contact's timeline on the new card.
    gone = ContactFactory(emails=["gone@client.ru"])
    Activity.objects.create(target=gone, verb=Activity.Verb.UPDATED)
    gone_pk = gone.pk
    gone.delete()
    accept(service, email="new@client.ru", company="ООО «Новое»")
    assert timers.run_due_until_idle() == 1
    contact = Contact.objects.get(emails__email_normalized="new@client.ru")
    assert contact.pk > gone_pk
    assert list(
        Activity.objects.filter(target_id=contact.pk, target_type__model="contact").values_list("verb", flat=True)
    ) == [Activity.Verb.CREATED]


@pytest.mark.postgres
def test_the_client_look_up_follows_a_renamed_table(service, monkeypatch):
    from crm.models import ContactEmail, ContactPhone
    from crm.services import directory

    older = ContactFactory(full_name="Старый", emails=["old@client.ru"], phones=["+79991112233"])
    returning = accept(service, email="OLD@client.ru")
    sharing = accept(service, email="new@client.ru", phone="8 999 111-22-33")
    with connection.cursor() as cursor:  # rolled back with the test
        for model in (ContactEmail, ContactPhone):
            renamed = f"{model._meta.db_table}_renamed"
            cursor.execute(f'ALTER TABLE "{model._meta.db_table}" RENAME TO "{renamed}"')
            monkeypatch.setattr(model._meta, "db_table", renamed)
    statements = (directory._look_up_sql, bulk._insert_statement)  # built for the tables' old names
    for statement in statements:
        statement.cache_clear()
    try:
        assert timers.run_due_until_idle() == 2
    finally:
        for statement in statements:
            statement.cache_clear()
    assert Ticket.objects.get(pk=returning.pk).contact == older
    assert Ticket.objects.get(pk=sharing.pk).contact.duplicate_of == older
