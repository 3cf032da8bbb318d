"""The Service Desk's last months for `seed_demo`: tickets of the CRM's demo clients (those under a
contract get its deadlines and are linked to it) and of a client without one, worked and closed
over the last four months, most within their SLA — so that every chart of the report shows
something on a fresh `make run`.

Written as they would be after the fact: deadlines by the desk's rule (``reaction_time_for``) on
the working calendar, the working time each took stored as the pipeline stores it. A fixed random
seed; idempotent: nothing is added once a history ticket exists.
"""

import datetime
import random

from django.utils import timezone

from admin24 import worktime
from crm.models import Company, Contact
from crm.selectors import contract_in_force
from crm.services.directory import company_create, contact_create

from ..models import DeskSettings, Service, Ticket, TicketSource, TicketStatus
from ..models.tickets import next_ticket_number

MARKER = "[история]"
SEED = 16
TICKETS = 220
DAYS = 120
SUBJECTS = [
    "Не печатает принтер",
    "Не открывается 1С",
    "Нужен доступ к общей папке",
    "Медленно работает компьютер",
    "Не приходит почта",
    "Настроить рабочее место новому сотруднику",
    "Не работает VPN",
    "Обновить антивирус",
]
NO_CONTRACT_CLIENT = ("ИП Соколов", "Соколов Илья", "sokolov@sokolov.example")


def seed_history() -> str:
    services = list(Service.objects.filter(active=True).select_related("responsible"))
    if not services or Ticket.objects.filter(subject__startswith=MARKER).exists():
        return ""
    _client_without_contract()
    contacts = list(Contact.objects.filter(company__isnull=False).select_related("company").prefetch_related("emails"))
    contacts = [contact for contact in contacts if contact.first_email]
    if not contacts:
        return ""
    rng = random.Random(SEED)
    desk = DeskSettings.load()
    calendar = worktime.current_calendar()
    now = timezone.now()
    for index in range(TICKETS):
        contact = rng.choice(contacts)
        service = rng.choice(services)
        created = calendar.next_working_moment(now - datetime.timedelta(days=rng.uniform(0.5, DAYS)))
        if created >= now:
            continue
        _ticket(rng, index, contact, service, created, desk, calendar, now)
    return f"{TICKETS} tickets over the last {DAYS} days"


def _client_without_contract() -> None:
    name, person, email = NO_CONTRACT_CLIENT
    company = Company.objects.filter(name=name).first() or company_create(by=None, name=name)
    if not Contact.objects.filter(company=company).exists():
        contact_create(by=None, full_name=person, company=company, emails=[email])


def _ticket(rng, index, contact, service, created, desk, calendar, now) -> None:
    contract = contract_in_force(contact.company_id, timezone.localdate(created))
    reaction = desk.reaction_time_for(service, contract)
    resolution = desk.resolution_time_for(service, contract)
    ticket = Ticket(
        number=next_ticket_number(),
        service=service,
        subject=f"{MARKER} {rng.choice(SUBJECTS)}",
        description="Заявка из истории демо-данных.",
        client_name=contact.full_name,
        client_email=contact.first_email,
        client_company=contact.company.name,
        contact=contact,
        company=contact.company,
        contract=contract,
        assignee=service.responsible,
        source=rng.choice(
            [TicketSource.FORM, TicketSource.FORM, TicketSource.EMAIL, TicketSource.TELEGRAM, TicketSource.STAFF]
        ),
        created_at=created,
        stage_changed_at=created,
        stage_entry_count=1,
        reaction_due_at=calendar.add_working_time(created, reaction),
        resolution_due_at=calendar.add_working_time(created, resolution),
    )
    # Most start within the reaction time and finish within the resolution time; some are late.
    started = calendar.add_working_time(created, reaction * rng.choice([0.1, 0.3, 0.5, 0.8, 0.9, 1.4]))
    done = calendar.add_working_time(created, resolution * rng.choice([0.2, 0.4, 0.6, 0.7, 0.9, 0.95, 1.3, 2]))
    if started < now:
        ticket.first_reaction_at = started
        ticket.reaction_work_seconds = int(calendar.working_time_between(created, started).total_seconds())
        ticket.status = TicketStatus.IN_PROGRESS
        ticket.stage_changed_at = started
    if done < now and started < now:
        ticket.resolved_at = done
        ticket.resolution_work_seconds = int(calendar.working_time_between(created, done).total_seconds())
        ticket.status = TicketStatus.DONE
        ticket.stage_changed_at = done
        # The time the engineer logged with «Завершить» (the contracts' included hours count it).
        ticket.spent_minutes = rng.choice([15, 30, 45, 60, 90, 120, 240])
        ticket.stage_entry_count = 3
    ticket.save(force_insert=True)
    # The timestamps are the history's, not today's.
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=ticket.stage_changed_at)
