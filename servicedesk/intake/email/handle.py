"""What stored messages mean: a bounce, noise, a reply to a ticket, or a new ticket (issue 14 §2–§5).

``handle_batch`` decides for a batch of claimed rows at once, with a fixed number of queries
whatever the batch's size: each message is parsed and classified in memory; what the decisions
need from the database (our outbox's Message-IDs, earlier inbound messages and comments, the
tickets that references, tokens and subject tags name, each sender's new tickets of the last hour,
the desk settings) is read with one query per kind for the whole batch; and the effects are
written with one INSERT or UPDATE per table (``services.client_comments_add``,
``services.accept_tickets``). The MTA pipe's message is a batch of one: every rule is here once.
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.text import Truncator

from admin24 import bulk
from admin24.messages import site_text
from admin24.normalize import normalize_email
from notifications.models import OutboxMessage

from ... import services, uploads
from ...emails import ticket_id_from_reply_token
from ...models import Attachment, DeskSettings, InboundEmail, Ticket, TicketComment, TicketSource
from ...texts import file_refused, say
from . import loops, parse, replies

PROCESSED, IGNORED, QUARANTINED = (
    InboundEmail.Status.PROCESSED,
    InboundEmail.Status.IGNORED,
    InboundEmail.Status.QUARANTINED,
)
_TOKEN = re.compile(r"\+(t\d+-[0-9a-f]{8,40})@", re.IGNORECASE)
_TAG = re.compile(r"\[#(\d{1,9})\]")
SUBJECT_CHARS = 100  # the first line of an email without a subject, named after it, at most


@dataclass
class Item:
    """One claimed message on its way through the batch; ``outcome`` is (status, reason, params)."""

    row: InboundEmail
    raw: bytes
    parsed: parse.Parsed | None = None
    outcome: tuple | None = None
    bounce_ids: list[str] = field(default_factory=list)
    diagnostic: str = ""
    token_ids: list[int] = field(default_factory=list)
    tag: int | None = None
    ticket: Ticket | None = None
    refused: list[tuple[str, str]] = field(default_factory=list)  # (name, why: a ValidationError's code)

    def end(self, status, reason, params=None) -> None:
        # Parameters quote the message (a diagnostic, a sender): made storable in a JSON column.
        params = {k: parse.storable(v) if isinstance(v, str) else v for k, v in (params or {}).items()}
        self.outcome = (status, reason, params)


def handle_batch(items: list[Item]) -> None:
    """Set each item's ``outcome`` (and its row's ticket / comment); raises if anything fails (the
    caller then handles the messages one by one, so one bad message cannot hold back the rest).

    A message that answers another message of the same batch waits for a later round, after that
    one's ticket or comment exists: the rounds run in the caller's transaction, usually just one.
    """
    for item in items:
        _classify(item)
    order = {id(item): n for n, item in enumerate(items)}
    pending = [item for item in items if item.outcome is None]
    decided: list[Item] = []
    while pending:
        this_round, later, ids = [], [], set()
        for item in pending:
            (later if ids.intersection(item.parsed.references) else this_round).append(item)
            if item.parsed.message_id:
                ids.add(item.parsed.message_id)
        facts = _Facts(this_round, earlier=decided)
        _bounces(this_round, facts)
        postponed = _decide(this_round, facts)
        decided += [item for item in this_round if item.outcome is not None]
        pending = sorted(later + postponed, key=lambda item: order[id(item)])


# --- each message on its own, in memory ----------------------------------------------------------


def _classify(item: Item) -> None:
    """What the message alone decides (unreadable, a bounce, automatic) and the tokens and tag it carries."""
    try:
        item.parsed = parsed = parse.parse(item.raw)
    except parse.Unreadable as exc:
        return item.end(QUARANTINED, "unreadable", {"error": str(exc)[:500]})
    if loops.is_bounce(parsed):
        # Bounce detection runs first: real bounces carry Auto-Submitted and an In-Reply-To of ours.
        item.bounce_ids, item.diagnostic = loops.bounce_details(parsed)
        if not item.bounce_ids:
            item.end(IGNORED, "bounce_unmatched", {"diagnostic": item.diagnostic[:500]})
        return None
    header = loops.auto_reply_header(parsed)
    if header:
        return item.end(IGNORED, "auto_reply", {"header": header[:200]})
    for address in parsed.recipients:
        found = _TOKEN.search(address if "@" in address else address + "@")
        ticket_id = ticket_id_from_reply_token(found.group(1)) if found else None
        if ticket_id:
            item.token_ids.append(ticket_id)
    tag = _TAG.search(parsed.subject)
    item.tag = int(tag.group(1)) if tag else None
    return None


def _answerable(address: str) -> bool:
    """Whether the sender's address is one a ticket can keep and answer: what the ticket's client
    email (and so the CRM contact the follow-up creates) accepts. Mail from an address that is not
    one («ivan..petrov@client.ru», «ivan@client») is quarantined with that reason, not made into a
    ticket whose contact could never be created and whose emails could never be delivered: an
    administrator sees it among the quarantined mail and can read the original."""
    try:
        Ticket._meta.get_field("client_email").clean(address, None)
    except ValidationError:
        return False
    return True


def _our_addresses() -> set[str]:
    from email.utils import parseaddr

    found = {parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower(), parseaddr(settings.SERVER_EMAIL)[1].lower()}
    return {a for a in found if a}


def _is_our_address(address: str) -> bool:
    return address.lower() in _our_addresses()


# --- what the batch needs from the database, one query per kind ----------------------------------


class _Facts:
    """The outbox rows, inbound rows, comments and tickets the batch's messages refer to."""

    def __init__(self, items: list[Item], earlier: list[Item] = ()):
        self.ticket_type = ContentType.objects.get_for_model(Ticket)
        references = {ref for item in items for ref in item.parsed.references}
        own_ids = {item.parsed.message_id for item in items if item.parsed.message_id}
        bounce_ids = {ref for item in items for ref in item.bounce_ids}
        # Message-ID → (outbox pk, target type, target id): our own emails.
        self.outbox: dict[str, list[tuple[int, int | None, int | None]]] = {}
        wanted = references | own_ids | bounce_ids
        if wanted:
            for message_id, pk, type_id, target_id in OutboxMessage.objects.filter(message_id__in=wanted).values_list(
                "message_id", "pk", "target_type_id", "target_id"
            ):
                self.outbox.setdefault(message_id, []).append((pk, type_id, target_id))
        threading = [item for item in items if not item.bounce_ids]
        references = {ref for item in threading for ref in item.parsed.references}
        # Message-ID → (pk, ticket id): messages received before, and comments (Telegram, email).
        self.inbound: dict[str, tuple[int, int]] = {}
        self.comments: dict[str, tuple[int, int]] = {}
        if references:
            for message_id, pk, ticket_id in (
                InboundEmail.objects.filter(message_id__in=references, ticket__isnull=False)
                .exclude(status=InboundEmail.Status.IGNORED)
                .values_list("message_id", "pk", "ticket_id")
            ):
                self.inbound[message_id] = max(self.inbound.get(message_id, (0, 0)), (pk, ticket_id))
            for message_id, pk, ticket_id in TicketComment.objects.filter(message_id__in=references).values_list(
                "message_id", "pk", "ticket_id"
            ):
                self.comments[message_id] = max(self.comments.get(message_id, (0, 0)), (pk, ticket_id))
        # The batch's earlier rounds, as their rows will read once saved (newer than any stored row).
        for item in earlier:
            if item.row.ticket_id and item.parsed.message_id and item.outcome[0] != InboundEmail.Status.IGNORED:
                self.inbound[item.parsed.message_id] = (float("inf"), item.row.ticket_id)
        ids = {pk for item in threading for pk in self._referenced(item)} | {
            pk for item in threading for pk in item.token_ids
        }
        numbers = {item.tag for item in threading if item.tag is not None}
        self.tickets: dict[int, Ticket] = {}
        self.numbers: dict[int, Ticket] = {}
        if ids or numbers:
            # The service too: a reply past the reopen window opens a ticket for the same service.
            named = Ticket.objects.filter(Q(pk__in=ids) | Q(number__in=numbers)).select_related("assignee", "service")
            for ticket in named:
                self.tickets[ticket.pk] = ticket
                self.numbers[ticket.number] = ticket

    def sent_by_us(self, message_id: str) -> bool:
        return bool(message_id) and message_id in self.outbox

    def _referenced(self, item: Item) -> list[int]:
        """Ticket ids the references name: the newest outbox email first, then inbound, then comments."""
        refs = item.parsed.references
        sent = [
            (pk, target) for ref in refs for pk, kind, target in self.outbox.get(ref, ()) if kind == self.ticket_type.pk
        ]
        found = []
        for rows in (sent, [self.inbound[ref] for ref in refs if ref in self.inbound],
                     [self.comments[ref] for ref in refs if ref in self.comments]):  # fmt: skip
            found += [ticket_id for _pk, ticket_id in sorted(rows, reverse=True)]
        return found

    def thread(self, item: Item) -> Ticket | None:
        """In-Reply-To/References, then the signed token, then ``[#N]`` from that ticket's own client."""
        referenced = self._referenced(item)
        if referenced:
            # The first reference that names a ticket decides, as a one-by-one look-up would.
            ticket = self.tickets.get(referenced[0])
            if ticket is not None:
                return ticket
        for ticket_id in item.token_ids:
            ticket = self.tickets.get(ticket_id)
            if ticket is not None:
                return ticket
        ticket = self.numbers.get(item.tag) if item.tag is not None else None
        if ticket is not None and ticket.client_email_normalized == normalize_email(item.parsed.from_address):
            return ticket
        return None


# --- bounces --------------------------------------------------------------------------------------


def _bounces(items: list[Item], facts: _Facts) -> None:
    """Each bounce marks the outbox email it returns failed, with the diagnostic (one UPDATE)."""
    failed: dict[int, OutboxMessage] = {}
    for item in items:
        if item.outcome is not None or not item.bounce_ids:
            continue
        sent = [row for ref in item.bounce_ids for row in facts.outbox.get(ref, ())]
        if not sent:
            item.end(IGNORED, "bounce_unmatched", {"diagnostic": item.diagnostic[:500]})
            continue
        pk, type_id, target_id = max(sent)
        failed[pk] = OutboxMessage(
            pk=pk,
            status=OutboxMessage.Status.FAILED,
            **OutboxMessage.error_fields(say("servicedesk.email.returned", d=parse.storable(item.diagnostic))),
        )
        if type_id == facts.ticket_type.pk:
            item.row.ticket_id = target_id
        item.end(IGNORED, "bounce", {"diagnostic": item.diagnostic[:500]})
    if failed:
        bulk.update_rows(list(failed.values()), ["status", "last_error", "last_error_message"])


# --- replies and new tickets ----------------------------------------------------------------------


def _decide(items: list[Item], facts: _Facts) -> list[Item]:
    """Decide and write the replies and new tickets; returns the items that must wait for the next
    round: a subject tag or token naming no ticket yet, after a message of this round that opens
    one (its number is known once it is written)."""
    items = [item for item in items if item.outcome is None and not item.bounce_ids]
    postponed: list[Item] = []
    if not items:
        return postponed
    desk = DeskSettings.load()
    opened = _opened_last_hour([item for item in items if facts.thread(item) is None])
    new_items: list[Item] = []
    reply_items, reply_args, new_args = [], [], []
    for item in items:
        parsed = item.parsed
        if facts.sent_by_us(parsed.message_id):
            item.end(IGNORED, "own", {})
            continue
        if not parsed.from_address or "@" not in parsed.from_address:
            item.end(QUARANTINED, "no_sender", {})
            continue
        if not _answerable(parsed.from_address):
            item.end(QUARANTINED, "bad_sender", {"sender": parsed.from_address[:320]})
            continue
        if _is_our_address(parsed.from_address):
            item.end(IGNORED, "own", {})
            continue
        ticket = facts.thread(item)
        if ticket is None and new_items and (item.tag is not None or item.token_ids):
            postponed.append(item)
            continue
        text = replies.reply_text(parsed.text, ours=_ours)
        if ticket is None and opened[parsed.from_address] >= desk.email_tickets_per_hour:
            item.end(QUARANTINED, "flood", {"limit": desk.email_tickets_per_hour, "sender": parsed.from_address})
            continue
        files, item.refused = _checked_files(parsed, desk)
        if ticket is not None:
            if not text.strip() and not files and not item.refused:
                item.end(IGNORED, "empty", {})
                continue
            is_client = ticket.client_email_normalized == normalize_email(parsed.from_address)
            item.ticket = ticket
            reply_items.append(item)
            reply_args.append(
                services.ClientReply(
                    ticket=ticket,
                    body=text if text.strip() else say("servicedesk.files_attached"),
                    files=files,
                    source=TicketComment.Source.EMAIL,
                    message_id=parsed.message_id,
                    sender_email="" if is_client else parsed.from_address,
                )
            )
            continue
        if not text.strip() and not files and not parsed.subject.strip():
            item.end(IGNORED, "empty", {})
            continue
        opened[parsed.from_address] += 1
        new_items.append(item)
        new_args.append(
            {
                "subject": parsed.subject.strip() or _untitled(text or parsed.text, files, parsed.from_address),
                "description": text or parsed.text,
                "service": desk.email_service,
                "name": parsed.from_name,
                "email": parsed.from_address,
                "files": files,
                "source": TicketSource.EMAIL,
            }
        )
    comments = services.client_comments_add(reply_args, desk=desk) if reply_args else []
    tickets = services.accept_tickets(new_args, desk=desk)
    for item, comment in zip(reply_items, comments, strict=True):
        _replied(item, comment)
    for item, ticket in zip(new_items, tickets, strict=True):
        item.row.ticket, item.row.opened_ticket = ticket, True
        item.end(PROCESSED, "new_ticket", {"number": ticket.display_number})
    _keep_originals(reply_items + new_items)
    return postponed


def _replied(item: Item, comment: TicketComment) -> None:
    ticket, target = item.ticket, comment.ticket
    item.row.ticket, item.row.comment = target, comment
    if target.pk != ticket.pk:
        item.row.opened_ticket = True
        return item.end(
            PROCESSED, "follow_up_ticket", {"number": target.display_number, "previous": ticket.display_number}
        )
    if not comment.sender_email:
        return item.end(PROCESSED, "reply", {"number": ticket.display_number})
    return item.end(PROCESSED, "colleague", {"number": ticket.display_number, "sender": item.parsed.from_address})


def _opened_last_hour(items: list[Item]) -> Counter:
    """New tickets each sender opened by email in the last hour (the flood cap), in one query."""
    senders = {item.parsed.from_address for item in items}
    counts = Counter()
    if senders:
        since = timezone.now() - timedelta(hours=1)
        counts.update(
            dict(
                InboundEmail.objects.filter(from_address__in=senders, opened_ticket=True, received_at__gte=since)
                .values_list("from_address")
                .annotate(n=Count("pk"))
                .values_list("from_address", "n")
            )
        )
    return counts


# --- the text and the files -----------------------------------------------------------------------


def _ours(block: str) -> bool:
    """A forwarded block that is our own email coming back: it carries our subject tag or client link."""
    return bool(_TAG.search(block)) or settings.SITE_URL in block or any(a in block for a in _our_addresses())


def _untitled(text: str, files: list, sender: str) -> str:
    """The subject of a ticket from an email without one: what the client wrote first (its first
    line), else the names of the files, else the sender, as a support team would name it — data
    from the email, in no language of ours."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    named = first or ", ".join(checked.name for checked in files) or sender
    return Truncator(named).chars(SUBJECT_CHARS)


def _checked_files(parsed, desk) -> tuple[list, list[tuple[str, str]]]:
    """The files that pass the form's checks one by one within the desk's limits, and the refused
    ones' names with why (the refusal's code)."""
    accepted, refused, total = [], [], 0
    for item in parsed.files:
        upload = ContentFile(item.content, name=item.name)
        try:
            if len(accepted) >= desk.max_files:
                raise ValidationError("limit", code="too_many_files")
            if total + upload.size > desk.max_total_bytes:
                raise ValidationError("limit", code="files_too_big")
            checked = uploads.check_files_for([upload], desk)
        except ValidationError as refusal:
            refused.append((item.name, refusal.error_list[0].code))
            continue
        accepted.extend(checked)
        total += upload.size
    return accepted, refused


def _keep_originals(items: list[Item]) -> None:
    """The raw message as a staff-only file of the comment (or the new ticket), and an internal note
    naming the files refused; one INSERT each for the batch. The original is the stored raw file
    itself, not a copy: it is written once, when the message arrives."""
    originals, notes = [], []
    for item in items:
        row = item.row
        originals.append(
            Attachment(
                ticket=row.ticket,
                comment=row.comment,
                file=row.raw.name,
                original_name="original.eml",
                size=row.size,
                content_type="message/rfc822",
                staff_only=True,
            )
        )
        if item.refused:
            said = say("servicedesk.email.files_refused", files=[file_refused(*refused) for refused in item.refused])
            notes.append(
                TicketComment(
                    ticket=row.ticket,
                    public=False,
                    source=TicketComment.Source.EMAIL,
                    body=services.comment_html(site_text(said), html=False),
                    body_message=said.stored,
                )
            )
    Attachment.objects.bulk_create(originals)
    TicketComment.objects.bulk_create(notes)
