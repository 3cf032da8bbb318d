"""The Service Desk's part of `seed_demo`: services with responsibles, filled settings, tickets in
every status, some of them overdue.

Idempotent: services are looked up by name and tickets by subject, so a second run adds nothing.
Runs after the CRM step, so the clients' emails find the demo contacts and their companies.
"""

import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

from admin24 import timers
from admin24.models import User

from .. import pipeline, services
from ..models import DeskSettings, Service, Ticket, TicketSource, TicketStatus

SERVICES = [
    # name, description, responsible, reaction (hours), resolution (hours)
    ("Обслуживание рабочих мест", "Компьютеры, принтеры, периферия, программы пользователей.", "support", None, None),
    ("Серверы и сеть", "Серверы, резервное копирование, сеть, VPN, Wi-Fi.", "support_head", 1, 8),
    ("Почта и 1С", "Почтовые ящики, 1С, учётные записи.", "support", None, None),
]

TICKETS = [
    # subject, service, client name, email, company, status, hours ago (creation), overdue
    ("Не печатает принтер в бухгалтерии", 0, "Кузнецов Андрей", "buh@romashka.example", "", "new", 0, False),
    ("Нужна учётная запись для нового сотрудника", 2, "Иванова Ольга", "olga@romashka.example", "", "new", 30, True),
    ("Медленно работает 1С", 2, "Сергей Петров", "petrov@vector.example", "АО «Вектор»", "in_progress", 3, False),
    (
        "Не работает VPN из дома",
        1,
        "Мария Орлова",
        "orlova@neva.example",
        "ООО «Нева Логистик»",
        "in_progress",
        50,
        True,
    ),
    ("Заменить картридж", 0, "Кузнецов Андрей", "buh@romashka.example", "", "deferred", 5, False),
    ("Настроить резервное копирование", 1, "Сергей Петров", "petrov@vector.example", "АО «Вектор»", "done", 72, False),
]


def _own_origins() -> list[str]:
    """The app's own address (SITE_URL), under both local names when it is a local one: the demo
    embeds the form in pages the app serves itself. A production seed (DEBUG off,
    ``--allow-production``) never lets a local address frame the form: any page on the
    visitor's own machine could then show it."""
    url = urlsplit(settings.SITE_URL)
    port = f":{url.port}" if url.port else ""
    origin = f"{url.scheme}://{url.hostname}{port}"
    if url.hostname in ("localhost", "127.0.0.1", "::1"):
        if not settings.DEBUG:
            return []
        return [f"{url.scheme}://localhost{port}", f"{url.scheme}://127.0.0.1{port}"]
    return [origin]


def seed_servicedesk() -> str:
    users = {u.username: u for u in User.objects.filter(username__in=["support", "support_head"])}
    desk = DeskSettings.load()
    if not desk.legal_name:
        desk.legal_name = "ООО «Админ24»"
        desk.inn = "7707083893"
        desk.kpp = "770701001"
        desk.ogrn = "1027700132195"
        desk.legal_address = "125009, Москва, ул. Тверская, д. 7, офис 24"
        desk.company_email = "support@admin24.example"
        desk.company_phone = "+7 (495) 123-45-67"
        desk.header_company_name = "Админ24 — IT-обслуживание"
        desk.allowed_origins = "\n".join(_own_origins())
        desk.save()
    catalogue = []
    for name, description, username, reaction, resolution in SERVICES:
        service, _ = Service.objects.get_or_create(
            name=name,
            defaults={
                "description": description,
                "responsible": users.get(username),
                "reaction_time": datetime.timedelta(hours=reaction) if reaction else None,
                "resolution_time": datetime.timedelta(hours=resolution) if resolution else None,
                "order": len(catalogue),
            },
        )
        catalogue.append(service)
    created = 0
    for subject, service_index, name, email, company, status, hours_ago, overdue in TICKETS:
        if Ticket.objects.filter(subject=subject).exists():
            continue
        service = catalogue[service_index]
        ticket = services.create_ticket(
            service=service,
            subject=subject,
            description=subject + ".",
            name=name,
            email=email,
            company=company,
            source=TicketSource.FORM,
        )
        _backdate(ticket, hours_ago=hours_ago, overdue=overdue)
        by = service.responsible
        if status in (TicketStatus.IN_PROGRESS, TicketStatus.DEFERRED, TicketStatus.DONE):
            services.ticket_start(ticket=ticket, by=by)
            services.add_comment(ticket=ticket, author=by, body="Здравствуйте! Взяли в работу, скоро вернёмся.")
        if status == TicketStatus.DEFERRED:
            services.ticket_defer(ticket=ticket, by=by)
        if status == TicketStatus.DONE:
            services.add_comment(ticket=ticket, author=by, body="Проверил журналы, всё в порядке.", public=False)
            services.ticket_complete(
                ticket=ticket, by=by, note="Копирование настроено, первая копия готова.", spent_minutes=50
            )
        created += 1
    return f"{len(catalogue)} services, {created} tickets" if created else ""


def _backdate(ticket: Ticket, *, hours_ago: int, overdue: bool) -> None:
    """Move the ticket's creation back; an overdue one gets deadlines already past, and the clock flags it."""
    if not hours_ago:
        return
    now = timezone.now()
    ticket.created_at = now - datetime.timedelta(hours=hours_ago)
    if overdue:
        ticket.reaction_due_at = ticket.created_at + datetime.timedelta(hours=2)
        ticket.resolution_due_at = now - datetime.timedelta(hours=1)
    ticket.save(update_fields=["created_at", "reaction_due_at", "resolution_due_at"])
    timers.cancel_pending(ticket)
    pipeline.schedule_sla(ticket)
