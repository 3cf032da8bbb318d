"""The Service Desk's use cases: keyword-only functions, one transaction each (DESIGN.md).

Clients' channels (web form, public API) call ``accept_ticket``, which stores the ticket and
leaves the rest to one clock action right after commit; staff and the staff API call
``create_ticket``, which does everything at once;
the staff pages, the board, the API and the clock change a ticket's status through
``ticket_move`` and its named shorthands, which all go through the one pipeline workflow.
"""

import datetime
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

import nh3
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import F, prefetch_related_objects
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from admin24 import activity, bulk, timers, workflow, worktime
from admin24.access import Action, require
from admin24.messages import Message, site_text
from admin24.models import Activity, ScheduledAction
from admin24.normalize import normalize_phone
from admin24.tasks import Kick
from admin24.workflow import MoveRefused
from crm.models import Company
from crm.selectors import contracts_in_force_for
from crm.services.directory import Client, clients_link
from notifications.models import TelegramKind
from notifications.services import StaffNotice, notify_staff, notify_staff_many

from . import support_hours, ticket_statement, uploads
from .emails import email_client, email_clients
from .models import Attachment, DeskSettings, Service, Ticket, TicketComment, TicketIntake, TicketSource, TicketStatus
from .models.tickets import next_ticket_number, next_ticket_numbers, plain_text_html
from .texts import say

__all__ = [
    "ClientReply",
    "MoveRefused",
    "accept_ticket",
    "accept_tickets",
    "add_comment",
    "clear_favicon",
    "client_comments_add",
    "create_ticket",
    "regenerate_form_key",
    "set_favicon",
    "ticket_assign",
    "ticket_complete",
    "ticket_defer",
    "ticket_follow_up",
    "ticket_follow_up_many",
    "ticket_move",
    "ticket_reopen",
    "ticket_resume",
    "ticket_start",
    "ticket_update",
    "tickets_client_replied",
]

log = logging.getLogger(__name__)

# The clock action that does the rest of an accepted ticket's creation (``ticket_follow_up``);
# its handler is registered with the rest of the ticket clock in ``servicedesk.pipeline``.
FOLLOW_UP = "servicedesk.ticket.follow_up"
# The SLA clock's actions (handlers in ``servicedesk.pipeline``); ``schedule_sla`` sets them.
REACTION_BREACH = "servicedesk.ticket.reaction_breach"
RESOLUTION_BREACH = "servicedesk.ticket.resolution_breach"
# Have a worker run the due follow-ups within a second or so: a burst of tickets is one task (it
# runs every action due by then); with the broker down, the clock's beat runs them within its
# period (DESIGN.md: durable rows, Celery for immediacy).
kick_follow_up = Kick("admin24.run_due_actions", fallback="the clock's beat will run them")


# --- intake ---------------------------------------------------------------------------------------


def create_ticket(
    *,
    subject: str,
    description: str = "",
    service: Service | None = None,
    name: str = "",
    email: str = "",
    phone: str = "",
    company: str = "",
    files: Iterable = (),
    source: str = TicketSource.STAFF,
    by=None,
    assignee=None,
    desk: DeskSettings | None = None,
) -> Ticket:
    """A new ticket with all its consequences at once: the staff pages and the staff API read them back.

    What ``accept_ticket`` does, and then ``ticket_follow_up`` in the same transaction.
    """
    return _create(
        subject=subject,
        description=description,
        service=service,
        name=name,
        email=email,
        phone=phone,
        company=company,
        files=files,
        source=source,
        by=by,
        assignee=assignee,
        desk=desk,
        calendar=None,
        later=False,
    )


def accept_ticket(
    *,
    subject: str,
    description: str = "",
    service: Service | None = None,
    name: str = "",
    email: str = "",
    phone: str = "",
    company: str = "",
    files: Iterable = (),
    source: str = TicketSource.FORM,
    desk: DeskSettings | None = None,
    calendar: worktime.WorkCalendar | None = None,
) -> Ticket:
    """A ticket from a client (public form, public API): what the client waits for, and no more.

    The ticket is stored with its number, assignee, SLA deadlines and files, marked for the
    follow-up that does the rest (``ticket_follow_up``: link the CRM contact, start the SLA
    clock, log the activity, email the confirmation; ``Ticket.follow_up_pending``). After commit
    a Celery task runs the clock's tick, which runs it straight away; if the broker is down, the
    beat's tick runs it within a minute. Either way it runs once: the tick locks the marked row
    and clears the marker in the transaction of the follow-up's effects.
    """
    return _create(
        subject=subject,
        description=description,
        service=service,
        name=name,
        email=email,
        phone=phone,
        company=company,
        files=files,
        source=source,
        by=None,
        assignee=None,
        desk=desk,
        calendar=calendar,
        later=True,
    )


def _create(*, files, by, desk, calendar, later, **fields):
    """The files are checked against the desk's limits first (``ValidationError`` lists what is
    wrong, and nothing is stored). ``fields``: the ticket's own, as ``_ticket_row`` takes them.
    ``calendar``: the working calendar when the caller has it already (else it is looked up)."""
    desk = desk or DeskSettings.load()
    checked = uploads.check_files_for(files, desk)
    now = timezone.now()
    row = _ticket_row(**fields, by=by, desk=desk, calendar=calendar or worktime.current_calendar(), now=now)
    row["follow_up_pending"] = later
    if later and not checked and connection.vendor == "postgresql":
        # Straight from its values: no model instance built and converted field by field (``ticket_statement``).
        ticket = ticket_statement.insert_accepted(row, now=now)
        transaction.on_commit(kick_follow_up)  # at once, unless a caller's transaction is open
        return ticket
    ticket = Ticket(**row)
    stored: list[str] = []
    try:
        with transaction.atomic():
            ticket.number = next_ticket_number()
            ticket.save(force_insert=True)
            _store_files(ticket, checked, stored)
            if later:
                transaction.on_commit(kick_follow_up)
            else:
                ticket_follow_up(ticket=ticket, by=by)
    except BaseException:
        _forget_files(stored)
        raise
    return ticket


def _ticket_row(
    *,
    subject: str,
    description: str = "",
    service: Service | None = None,
    name: str = "",
    email: str = "",
    phone: str = "",
    company: str = "",
    source: str = TicketSource.FORM,
    by=None,
    assignee=None,
    desk: DeskSettings,
    calendar: worktime.WorkCalendar,
    now,
) -> dict:
    """A new ticket's fields, as ``Ticket(**row)`` takes them (the others take their defaults):
    its client, assignee and SLA deadlines, the one rule of every intake."""
    subject = (subject or "").strip()
    if not subject:
        raise ValidationError(_("Give the ticket a subject."), code="subject")
    row = {
        "service": service,
        "subject": subject[:300],
        "description": description or "",
        "client_name": (name or "").strip()[:300],
        "client_email": (email or "").strip(),
        "client_phone": normalize_phone(phone),
        "client_company": (company or "").strip()[:300],
        "assignee_id": assignee.pk if assignee else (service.responsible_id if service is not None else None),
        "source": source,
        "created_by": by,
        "created_at": now,
        # Born in «Новая» with its entry counted (its robots run in the follow-up).
        "status": TicketStatus.NEW,
        **workflow.first_entry(now),
        "reaction_due_at": calendar.add_working_time(now, desk.reaction_time_for(service)),
        "resolution_due_at": calendar.add_working_time(now, desk.resolution_time_for(service)),
    }
    if row["client_phone"]:
        # The field's phone rule (the public form and the API check it first, with their own messages).
        try:
            Ticket._meta.get_field("client_phone").clean(row["client_phone"], None)
        except ValidationError as error:
            raise ValidationError({"client_phone": error.error_list}) from None
    return row


def follow_ups_scheduled(tickets: list[Ticket], now) -> None:
    """Hand the marked ``tickets``' follow-ups to the clock as actions due at ``now`` (their
    markers cleared): what a tick does with a batch whose follow-up failed, so that each is retried
    and, failing for good, marked failed alone, as every clock action is."""
    Ticket.objects.filter(pk__in=[ticket.pk for ticket in tickets]).update(follow_up_pending=False)
    intake = ContentType.objects.get_for_model(TicketIntake, for_concrete_model=False)
    bulk.insert_rows(
        ScheduledAction(target_type=intake, target_id=ticket.pk, action=FOLLOW_UP, due_at=now, stage_token="")
        for ticket in tickets
    )


def accept_tickets(requests: list[dict], *, desk: DeskSettings) -> list[Ticket]:
    """``accept_ticket`` for many tickets at once (the inbound email batch): the same rows — each
    ticket numbered, its files, marked for its follow-up — written with one INSERT per table.

    ``requests`` are ``accept_ticket``'s keyword arguments (subject, description, service, name,
    email, phone, company, files, source), one dict per ticket; the tickets come back in order.
    """
    if not requests:
        return []
    now, calendar = timezone.now(), worktime.current_calendar()
    built = []
    for request in requests:
        fields = {name: value for name, value in request.items() if name != "files"}
        checked = uploads.check_files_for(request.get("files", ()), desk)
        row = _ticket_row(**fields, desk=desk, calendar=calendar, now=now)
        built.append((Ticket(**row, follow_up_pending=True), checked))
    tickets = [ticket for ticket, _checked in built]
    stored: list[str] = []
    try:
        with transaction.atomic():
            for ticket, number in zip(tickets, next_ticket_numbers(len(tickets)), strict=True):
                ticket.number = number
                ticket.prepare_insert()
            Ticket.objects.bulk_create(tickets)
            Attachment.objects.bulk_create(
                [row for ticket, checked in built for row in _file_rows(ticket, checked, stored)]
            )
            transaction.on_commit(kick_follow_up)
    except BaseException:
        _forget_files(stored)
        raise
    return tickets


def ticket_follow_up(*, ticket: Ticket, by=None) -> Ticket:
    """What follows a ticket's creation: the client's CRM contact, the SLA clock, the log, the email.

    Call inside a transaction, on a ticket nobody else changes meanwhile (the clock's handler
    locks its row; ``create_ticket`` has just inserted it). The clock runs it once for an
    accepted ticket, which staff may have started, deferred or edited by then: the robots of
    «Новая» run only while the ticket is still in its first stage (a move has scheduled its own
    clock since), and the confirmation email has an idempotency key.
    """
    ticket_follow_up_many(tickets=[ticket], by=by)
    return ticket


def ticket_follow_up_many(*, tickets: list[Ticket], by=None) -> None:
    """``ticket_follow_up`` of many tickets at once (the clock's batch of accepted tickets), with
    one statement per step for them all: contacts and companies found and created
    (``clients_link``), the tickets updated, the SLA timers, the timeline and the confirmation
    emails each written in one INSERT. The same effects as one ticket after another.

    The writes nothing reads back (the tickets' UPDATE, the new contacts' emails and phones, the
    timers, the timeline, the outbox rows) go as one statement at the end (``bulk.one_statement``):
    one ticket alone costs the round trips of its reads and one more."""
    with bulk.one_statement():
        _follow_up(tickets, by)


def _follow_up(tickets: list[Ticket], by) -> None:
    # Marked by the intake (``accept_ticket``): cleared in the follow-up's own UPDATE, or alone.
    marked = [ticket for ticket in tickets if ticket.follow_up_pending]
    for ticket in marked:
        ticket.follow_up_pending = False
    log: list[dict] = []
    unlinked = [ticket for ticket in tickets if ticket.contact_id is None]
    found = clients_link(
        [Client(t.client_name, t.client_email, t.client_phone, t.client_company) for t in unlinked], log=log
    )
    changed: dict[int, Ticket] = {}
    for ticket, (contact, company) in zip(unlinked, found, strict=True):
        if contact is not None:
            ticket.contact, ticket.company = contact, company
            ticket.client_company = ticket.client_company or (company.name if company else "")
            changed[ticket.pk] = ticket
    # A company this follow-up created (its timeline entry is in ``log``) has no contract yet.
    created = {entry["target_id"] for entry in log
               if entry["verb"] == Activity.Verb.CREATED and entry["target_type"].model_class() is Company}  # fmt: skip
    rescheduled = _serve_under_contract(tickets, changed, created)
    if changed:
        now = timezone.now()  # what save()'s auto_now would set
        for ticket in changed.values():
            ticket.refresh_search_text()
            ticket.updated_at = now
        bulk.update_rows(list(changed.values()), [*TICKET_FOLLOW_UP_FIELDS, "follow_up_pending"])
    bulk.update_rows([ticket for ticket in marked if ticket.pk not in changed], ["follow_up_pending"])
    moved_on = {ticket.pk for ticket in tickets if ticket.stage_entry_token != f"{TicketStatus.NEW}:1"}
    again = [ticket for ticket in tickets if ticket.pk in moved_on and ticket.pk in rescheduled]
    if again:
        # Staff moved these before this ran: their moves set the SLA clock to the old deadlines.
        timers.cancel_pending_many(again, [REACTION_BREACH, RESOLUTION_BREACH])
        timers.schedule_many(timer for ticket in again for timer in sla_timers(ticket))
    # Born in «Новая» with that entry counted (``_create``): only the stage's robots run.
    workflow.start_many([ticket for ticket in tickets if ticket.pk not in moved_on], by=by, counted=True)
    log.extend(
        activity.build(target=ticket, verb=Activity.Verb.CREATED, by=by, data={"source": ticket.source})
        for ticket in tickets
    )
    activity.record_many(log)
    email_clients(tickets, "servicedesk/ticket_received", key="servicedesk.received")


# What a follow-up may change on a ticket (``ticket_follow_up_many`` writes them in one UPDATE).
TICKET_FOLLOW_UP_FIELDS = [
    "contact",
    "company",
    "client_company",
    "search_text",
    "contract",
    "reaction_due_at",
    "resolution_due_at",
    "updated_at",
]


def _serve_under_contract(tickets: list[Ticket], changed: dict[int, Ticket], created: set[int]) -> set[int]:
    """Link each ticket to its company's contract in force when it came in; a contract with its
    own service level sets the deadlines, counted from the ticket's creation. The tickets changed
    go into ``changed``; returns the ids of those whose deadlines changed. ``created``: the ids of
    companies created just now, which have no contract to look for.

    The public form's one-statement intake (``ticket_statement``) cannot know the contract: the
    client's company is found here, after it. This runs within a second of the intake (the
    clock's follow-up) and before the SLA clock starts, so the client's contract holds on every path.
    """
    waiting = [t for t in tickets if t.contract_id is None and t.company_id is not None and t.company_id not in created]
    by_day: dict[datetime.date, list[Ticket]] = {}
    for ticket in waiting:
        by_day.setdefault(timezone.localdate(ticket.created_at), []).append(ticket)
    rescheduled: set[int] = set()
    desk = calendar = None
    for day, group in by_day.items():  # one day in a tick, unless it runs at midnight
        contracts = contracts_in_force_for({ticket.company_id for ticket in group}, day)
        for ticket in group:
            contract = contracts.get(ticket.company_id)
            if contract is None:
                continue
            ticket.contract = contract
            changed[ticket.pk] = ticket
            if contract.reaction_time or contract.resolution_time:
                desk, calendar = desk or DeskSettings.load(), calendar or worktime.current_calendar()
                ticket.reaction_due_at = calendar.add_working_time(
                    ticket.created_at, desk.reaction_time_for(ticket.service, contract)
                )
                ticket.resolution_due_at = calendar.add_working_time(
                    ticket.created_at, desk.resolution_time_for(ticket.service, contract)
                )
                rescheduled.add(ticket.pk)
    return rescheduled


def sla_timers(ticket: Ticket) -> list[timers.Timer]:
    """The SLA clock for the deadlines the ticket has still to meet."""
    found = []
    if ticket.first_reaction_at is None and not ticket.reaction_breached and ticket.reaction_due_at:
        found.append(timers.Timer(ticket, REACTION_BREACH, ticket.reaction_due_at))
    if ticket.status != TicketStatus.DONE and not ticket.resolution_breached and ticket.resolution_due_at:
        found.append(timers.Timer(ticket, RESOLUTION_BREACH, ticket.resolution_due_at))
    return found


def schedule_sla(ticket: Ticket) -> None:
    """Set the SLA clock for the deadlines the ticket has still to meet."""
    timers.schedule_many(sla_timers(ticket))


def _store_files(
    ticket: Ticket, checked: list[uploads.CheckedFile], stored: list[str], comment: TicketComment | None = None
) -> None:
    """Write the files and their rows; ``stored`` collects the storage names written so far."""
    Attachment.objects.bulk_create(_file_rows(ticket, checked, stored, comment=comment))


def _file_rows(
    ticket: Ticket, checked: list[uploads.CheckedFile], stored: list[str], comment: TicketComment | None = None
) -> list[Attachment]:
    """The files written to storage and their rows, not inserted yet (the caller inserts them together)."""
    rows = []
    for item in checked:
        item.file.seek(0)
        attachment = Attachment(
            ticket=ticket, comment=comment, original_name=item.name, size=item.size, content_type=item.content_type
        )
        attachment.file.save(item.name, item.file, save=False)
        stored.append(attachment.file.name)
        rows.append(attachment)
    return rows


def _forget_files(stored: list[str]) -> None:
    # The rows are rolled back; the files written for them must not stay behind.
    for name in stored:
        default_storage.delete(name)


# What a user without the edit right on the ticket reads (access.require's default says "card").
_CANNOT_CHANGE = gettext_lazy("You may not change this ticket.")


# --- status ---------------------------------------------------------------------------------------


def ticket_move(*, ticket: Ticket, to: str, by, reason: str = "") -> Ticket:
    """Move the ticket to status ``to`` (board drags, API, buttons). Raises MoveRefused / PermissionDenied."""
    return workflow.move(ticket, to, by=by, reason=reason)


def _expect(ticket: Ticket, status: str, by, message) -> None:
    """The named actions mean one move each; "reopen" on a new ticket is refused, not turned into "start"."""
    if ticket.status != status:
        raise MoveRefused(message, allowed=workflow.allowed_moves(ticket, by))


def ticket_start(*, ticket: Ticket, by) -> Ticket:
    """«Начать выполнение»: the client is told that work has started."""
    _expect(ticket, TicketStatus.NEW, by, _("Only a new ticket can be started."))
    return workflow.move(ticket, TicketStatus.IN_PROGRESS, by=by)


def ticket_resume(*, ticket: Ticket, by) -> Ticket:
    """Back to work before the deferral ends; its pending automatic return is cancelled."""
    _expect(ticket, TicketStatus.DEFERRED, by, _("Only a deferred ticket can be resumed."))
    return workflow.move(ticket, TicketStatus.IN_PROGRESS, by=by)


def ticket_complete(*, ticket: Ticket, by, note: str = "", spent_minutes=None) -> Ticket:
    """«Завершить»: the client is told, with the note when there is one (the note is also a
    public comment of the thread: the pipeline's robot for «Сделана» writes it). ``spent_minutes``,
    the time the engineer logs, is checked before anything moves and added to the ticket's in the
    move's transaction (``servicedesk.support_hours``)."""
    minutes = support_hours.clean_spent_minutes(spent_minutes)
    with transaction.atomic():
        workflow.move(ticket, TicketStatus.DONE, by=by, reason=note)
        if minutes is not None:
            total = Coalesce(F("spent_minutes"), 0) + minutes
            Ticket.objects.filter(pk=ticket.pk).update(spent_minutes=total)
            ticket.spent_minutes = (ticket.spent_minutes or 0) + minutes
    return ticket


def ticket_reopen(*, ticket: Ticket, by, reason: str = "") -> Ticket:
    _expect(ticket, TicketStatus.DONE, by, _("Only a done ticket can be reopened."))
    return workflow.move(ticket, TicketStatus.IN_PROGRESS, by=by, reason=reason)


def default_return_at(*, now: datetime.datetime | None = None, desk: DeskSettings | None = None) -> datetime.datetime:
    """When a ticket deferred now comes back by itself."""
    desk = desk or DeskSettings.load()
    return worktime.add_working_time(now or timezone.now(), desk.deferred_return_time)


def ticket_defer(*, ticket: Ticket, by, return_at: datetime.datetime | None = None, reason: str = "") -> Ticket:
    """«Отложить» until ``return_at`` (no later than the auto-return time; that time when not given)."""
    if return_at is not None:
        if timezone.is_naive(return_at):
            raise ValidationError(_("Give the return time with its time zone."), code="naive")
        now = timezone.now()
        latest = default_return_at(now=now)
        if return_at <= now:
            raise ValidationError(_("The return time must be in the future."), code="past")
        if return_at > latest:
            raise ValidationError(
                _("A ticket may be deferred until %(latest)s at the latest.")
                % {"latest": formats.date_format(timezone.localtime(latest), "SHORT_DATETIME_FORMAT")},
                code="too_late",
            )
    # The pipeline's robot keeps a return time set on the instance, else it takes the default.
    ticket.deferred_until = return_at
    return workflow.move(ticket, TicketStatus.DEFERRED, by=by, reason=reason)


TICKET_FIELDS = {"subject", "description", "service", "client_name", "client_email", "client_phone", "client_company"}


@transaction.atomic
def ticket_update(*, ticket: Ticket, by, **fields) -> Ticket:
    """Change the ticket's own fields (not its status or assignee: those have their services)."""
    unknown = set(fields) - TICKET_FIELDS
    if unknown:
        raise TypeError(f"ticket_update() got unexpected fields: {', '.join(sorted(unknown))}")
    require(by, ticket, Action.EDIT, message=_CANNOT_CHANGE)
    if "client_phone" in fields:
        fields["client_phone"] = normalize_phone(fields["client_phone"])
    for name, value in fields.items():
        setattr(ticket, name, value)
    ticket.full_clean(exclude=["contact", "company", "assignee", "created_by", "number", "client_token"])
    if not ticket.subject.strip():
        raise ValidationError({"subject": _("Give the ticket a subject.")})
    ticket.save()
    activity.record(target=ticket, verb=Activity.Verb.UPDATED, by=by, data={"fields": sorted(fields)})
    return ticket


@transaction.atomic
def ticket_assign(*, ticket: Ticket, assignee, by) -> Ticket:
    """Give the ticket to ``assignee`` (None: nobody); they are told unless they did it themselves."""
    require(by, ticket, Action.EDIT, message=_CANNOT_CHANGE)
    if assignee is not None and not assignee.is_active:
        raise ValidationError(_("%(user)s is not an active user.") % {"user": assignee}, code="inactive")
    if ticket.assignee_id == (assignee.pk if assignee else None):
        return ticket
    previous = ticket.assignee
    ticket.assignee = assignee
    ticket.save(update_fields=["assignee", "updated_at"])
    activity.record(
        target=ticket,
        verb=Activity.Verb.ASSIGNED,
        by=by,
        data={"from": previous.pk if previous else None, "to": assignee.pk if assignee else None},
    )
    if assignee is not None and assignee != by:
        notify_staff(
            ticket,
            to=assignee,
            title=say("servicedesk.assigned.title", ticket=str(ticket)),
            text=say(
                "servicedesk.assigned.text",
                who=by or say("servicedesk.robot"),
                number=ticket.display_number,
                subject=ticket.subject,
            ),
            due=ticket.resolution_due_at,
            key=None,
            kind=TelegramKind.ASSIGNED,
        )
    return ticket


# --- comments -------------------------------------------------------------------------------------


def comment_html(body: str, *, html: bool) -> str:
    """Safe HTML for a comment: sanitised when it came as HTML, escaped with its line breaks otherwise."""
    body = (body or "").strip()
    return nh3.clean(body).strip() if html else plain_text_html(body)


def _comment_text(body: str, *, html: bool) -> str:
    """``comment_html``, refused with a message when nothing readable is left."""
    text = comment_html(body, html=html)
    if not nh3.clean(text, tags=set()).strip():
        raise ValidationError(_("Write the text of the comment."), code="empty")
    return text


def add_comment(
    *,
    ticket: Ticket,
    body: str | Message,
    author=None,
    client: bool = False,
    public: bool = True,
    html: bool = False,
    files: Iterable = (),
    source: str | None = None,
    message_id: str = "",
    email: bool = True,
    sender_email: str = "",
) -> TicketComment:
    """A comment by a staff ``author`` or by the client (``client=True``), with files.

    A public staff comment is emailed to the client (``email=False``: the caller's own email
    carries it, as the «done» email carries the completion note); an internal note
    (``public=False``) never leaves the staff. A client's comment is always public, and what
    follows it is ``tickets_client_replied``. A client's comment on a ticket done longer ago than
    the desk's reopen window goes to a new ticket following it (``client_reply_tickets``); the
    comment's ``ticket`` says which. A client's ``body`` may be a ``Message`` (``ClientReply``).
    """
    if (author is None) == (not client):
        raise ValueError("add_comment() needs either an author or client=True")
    if client:
        reply = ClientReply(ticket=ticket, body=body, html=html, files=files, source=source, message_id=message_id,
                            sender_email=sender_email)  # fmt: skip
        return client_comments_add([reply], desk=DeskSettings.load())[0]
    require(author, ticket, Action.EDIT, message=_CANNOT_CHANGE)
    text = _comment_text(body, html=html)
    desk = DeskSettings.load()
    checked = uploads.check_files_for(files, desk)
    stored: list[str] = []
    try:
        with transaction.atomic():
            comment = TicketComment.objects.create(
                ticket=ticket,
                author=author,
                public=public,
                body=text,
                source=source or TicketComment.Source.STAFF,
                message_id=message_id,
                sender_email=sender_email,
            )
            _store_files(ticket, checked, stored, comment=comment)
            if comment.public and email:
                attached = _email_attachments(comment, desk)
                email_client(
                    ticket,
                    "servicedesk/ticket_comment",
                    {
                        "author": comment.author_name,
                        "comment": text,
                        "files": [c.name for c in checked],
                        "comment_id": comment.pk,
                        "file_names": attached,
                    },
                    key=f"servicedesk.comment:{comment.pk}",
                    attachments=list(attached),
                    automatic=False,
                )
    except BaseException:
        _forget_files(stored)
        raise
    return comment


@dataclass
class ClientReply:
    """One client's comment for ``client_comments_add``: ``add_comment(client=True, …)``'s arguments.

    ``body`` is what the client wrote, or a ``Message`` the system says for them (a reply of files
    only: «files attached»), kept as the comment's ``body_message``."""

    ticket: Ticket
    body: str | Message
    html: bool = False
    files: Iterable = ()
    source: str | None = None
    message_id: str = ""
    sender_email: str = ""


def client_comments_add(replies: list[ClientReply], *, desk: DeskSettings) -> list[TicketComment]:
    """Clients' comments, each as ``add_comment(client=True)`` writes it, for one reply or a batch
    (the inbound email batch): each goes to ``client_reply_tickets``' ticket, then
    ``tickets_client_replied``; the comments and their files are written with one INSERT each.
    Raises ``ValidationError`` (nothing stored) when a reply has no text or a file is refused."""
    prepared = []
    for reply in replies:
        said = reply.body if isinstance(reply.body, Message) else None
        text = _comment_text(site_text(said), html=False) if said else _comment_text(reply.body, html=reply.html)
        prepared.append((reply, text, uploads.check_files_for(reply.files, desk)))
    stored: list[str] = []
    try:
        with transaction.atomic():
            targets = client_reply_tickets([reply for reply, _text, _checked in prepared], desk=desk)
            comments = [
                TicketComment(
                    ticket=target,
                    from_client=True,
                    public=True,
                    body=text,
                    body_message=reply.body.stored if isinstance(reply.body, Message) else {},
                    source=reply.source or TicketComment.Source.CLIENT_PAGE,
                    message_id=reply.message_id,
                    sender_email=reply.sender_email,
                )
                for target, (reply, text, _checked) in zip(targets, prepared, strict=True)
            ]
            TicketComment.objects.bulk_create(comments)
            Attachment.objects.bulk_create(
                [
                    row
                    for comment, (_reply, _text, checked) in zip(comments, prepared, strict=True)
                    for row in _file_rows(comment.ticket, checked, stored, comment=comment)
                ]
            )
            tickets_client_replied([(comment.ticket, comment) for comment in comments])
    except BaseException:
        _forget_files(stored)
        raise
    return comments


def _email_attachments(comment: TicketComment, desk: DeskSettings) -> dict[str, str]:
    """A staff comment's files for the client's email (storage path → the name the client sees),
    while they fit the desk's cap together; above it none is attached (the email lists them and
    links to the client page)."""
    files = [a for a in comment.attachments.all() if not a.staff_only]
    if sum(a.size for a in files) > desk.email_attach_max_mb * 1024 * 1024:
        return {}
    return {a.file.name: a.original_name for a in files}


def reopen_window_passed(ticket: Ticket, desk: DeskSettings) -> bool:
    """A done ticket the client may no longer reopen: done longer ago than the desk's window."""
    if ticket.status != TicketStatus.DONE:
        return False
    done_at = ticket.resolved_at or ticket.stage_changed_at
    return done_at is not None and timezone.now() - done_at > datetime.timedelta(days=desk.reopen_window_days)


def client_reply_tickets(replies: list[ClientReply], *, desk: DeskSettings) -> list[Ticket]:
    """The ticket each client's reply goes to: its own, or past the reopen window a new one
    following it. The new ones are written together (``accept_tickets``, one UPDATE for what they
    follow), so a batch of late replies costs what one does."""
    late = [reply for reply in replies if reopen_window_passed(reply.ticket, desk)]
    new = accept_tickets(
        [
            {
                "subject": reply.ticket.subject,
                "service": reply.ticket.service,
                "name": reply.ticket.client_name,
                "email": reply.ticket.client_email,
                "phone": reply.ticket.client_phone,
                "company": reply.ticket.client_company,
                "source": TicketSource.EMAIL if reply.source == TicketComment.Source.EMAIL else TicketSource.FORM,
            }
            for reply in late
        ],
        desk=desk,
    )
    for ticket, reply in zip(new, late, strict=True):
        ticket.follows = reply.ticket
    bulk.update_rows(new, ["follows"])
    prefetch_related_objects(new, "assignee")  # each is told to its assignee (tickets_client_replied)
    following = {id(reply): ticket for reply, ticket in zip(late, new, strict=True)}
    return [following.get(id(reply), reply.ticket) for reply in replies]


def tickets_client_replied(replies: list[tuple[Ticket, TicketComment]]) -> None:
    """What clients' replies mean, whichever channel brought them (the client page, email, Telegram):
    each (ticket, comment) in order, the assignees' notices written together (``notify_staff_many``).

    A reply to a done ticket reopens it: back to «Выполняется», as support teams expect — the
    client says it is not solved after all (past the reopen window ``client_reply_tickets`` has
    put the reply on a new ticket instead). A reply to a deferred ticket resumes it: the client
    has answered what the team was waiting for, so it is worked on again now rather than when the
    deferral ends. Either way its assignee is told. A ticket replied to twice is reopened once.
    The tickets are reopened together (``workflow.move_many``): a batch reopening ten tickets
    costs the queries of one. ``client_comments_add`` calls this for every client comment, inside
    its transaction.
    """
    # The tickets to reopen, each once (the first reply to it says so), moved together.
    reopening: dict[int, Ticket] = {}
    first_replies = set()
    for ticket, comment in replies:
        if ticket.status in (TicketStatus.DONE, TicketStatus.DEFERRED) and ticket.pk not in reopening:
            reopening[ticket.pk] = ticket
            first_replies.add(id(comment))
    if reopening:
        workflow.move_many(
            list(reopening.values()), TicketStatus.IN_PROGRESS, by=None, reason=say("servicedesk.client_replied")
        )
    notices = []
    for ticket, comment in replies:
        reopened = id(comment) in first_replies
        notices.append(
            StaffNotice(
                target=ticket,
                to=ticket.assignee,
                title=say(
                    "servicedesk.client_replied.reopened" if reopened else "servicedesk.client_replied.title",
                    ticket=str(ticket),
                ),
                text=Message.from_stored(comment.body_message) or nh3.clean(comment.body, tags=set()).strip()[:2000],
                key=f"servicedesk.client_reply:{comment.pk}",
            )
        )
    notify_staff_many(notices)


# --- settings -------------------------------------------------------------------------------------


def regenerate_form_key(*, by=None) -> DeskSettings:
    """A new form key: the old form link and embed code stop working at once."""
    with transaction.atomic():
        desk = DeskSettings.objects.select_for_update().get(pk=DeskSettings.load().pk)
        desk.form_key = secrets.token_urlsafe(24)
        desk.save(update_fields=["form_key", "updated_at"])
    return desk


def set_favicon(*, desk: DeskSettings, upload) -> DeskSettings:
    """Store the icon re-encoded at every size (ValidationError when it is not a PNG, ICO or JPEG)."""
    images = uploads.favicon_images(upload)
    old = [f.name for f in (desk.favicon_32, desk.favicon_180) if f]
    desk.favicon_32.save("favicon-32.png", images[32], save=False)
    desk.favicon_180.save("favicon-180.png", images[180], save=False)
    desk.save(update_fields=["favicon_32", "favicon_180", "updated_at"])
    for name in old:
        default_storage.delete(name)
    return desk


def clear_favicon(*, desk: DeskSettings) -> DeskSettings:
    for field in (desk.favicon_32, desk.favicon_180):
        if field:
            field.delete(save=False)
    desk.save(update_fields=["favicon_32", "favicon_180", "updated_at"])
    return desk
