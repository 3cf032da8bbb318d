"""Tickets for the staff-page tests, made the way the intake makes them or in bulk."""

import datetime

from django.utils import timezone

from servicedesk import services
from servicedesk.models import Ticket, TicketStatus, next_ticket_number


def new_ticket(service, **fields):
    fields.setdefault("subject", "Не работает почта")
    fields.setdefault("email", "client@client.ru")
    fields.setdefault("name", "Клиент Клиентович")
    fields.setdefault("company", "ООО «Клиент»")
    return services.create_ticket(service=service, source="form", **fields)


def bulk_tickets(count, *, service, assignee, company=None, status=TicketStatus.NEW, start=None):
    """``count`` tickets straight into the table, as an import would leave them."""
    now = timezone.now()
    first = next_ticket_number() if start is None else start
    Ticket.objects.bulk_create(
        [
            Ticket(
                number=first + i,
                service=service,
                subject=f"Заявка {first + i}",
                client_name="Клиент",
                client_email=f"c{first + i}@client.ru",
                client_company="ООО «Клиент»",
                company=company,
                assignee=assignee,
                status=status,
                created_at=now - datetime.timedelta(minutes=i),
                reaction_due_at=now + datetime.timedelta(hours=1),
                resolution_due_at=now + datetime.timedelta(hours=8),
            )
            for i in range(count)
        ],
        batch_size=500,
    )
