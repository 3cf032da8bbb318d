"""What one stored message means: a bounce, noise, a reply to a ticket, or a new ticket (issue 14 §2–§5)."""

import io
import re
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _

from admin24.normalize import normalize_email
from notifications.models import OutboxMessage

from ... import services, uploads
from ...emails import ticket_id_from_reply_token
from ...models import Attachment, DeskSettings, InboundEmail, Ticket, TicketComment, TicketSource
from . import loops, parse, replies

PROCESSED, IGNORED, QUARANTINED = (
    InboundEmail.Status.PROCESSED,
    InboundEmail.Status.IGNORED,
    InboundEmail.Status.QUARANTINED,
)
_TOKEN = re.compile(r"\+(t\d+-[0-9a-f]{8,40})@", re.IGNORECASE)
_TAG = re.compile(r"\[#(\d{1,9})\]")


def handle(row: InboundEmail, raw: bytes):
    try:
        parsed = parse.parse(raw)
    except parse.Unreadable as exc:
        return QUARANTINED, "unreadable", {"error": str(exc)[:500]}
    if loops.is_bounce(parsed):
        return _bounce(row, parsed)
    header = loops.auto_reply_header(parsed)
    if header:
        return IGNORED, "auto_reply", {"header": header[:200]}
    if parsed.message_id and OutboxMessage.objects.filter(message_id=parsed.message_id).exists():
        return IGNORED, "own", {}
    if not parsed.from_address or "@" not in parsed.from_address:
        return QUARANTINED, "no_sender", {}
    if _is_our_address(parsed.from_address):
        return IGNORED, "own", {}
    ticket = _thread(parsed)
    desk = DeskSettings.load()
    if ticket is not None:
        return _reply(row, parsed, ticket, desk)
    return _new_ticket(row, parsed, desk)


# --- bounces --------------------------------------------------------------------------------------


def _bounce(row, parsed):
    ids, diagnostic = loops.bounce_details(parsed)
    outbox = OutboxMessage.objects.filter(message_id__in=ids).order_by("-pk").first() if ids else None
    if outbox is None:
        return IGNORED, "bounce_unmatched", {"diagnostic": diagnostic[:500]}
    OutboxMessage.objects.filter(pk=outbox.pk).update(
        status=OutboxMessage.Status.FAILED, last_error=_("Returned by the mail server: %(d)s") % {"d": diagnostic}
    )
    if outbox.target_type_id == ContentType.objects.get_for_model(Ticket).pk:
        row.ticket_id = outbox.target_id
    return IGNORED, "bounce", {"diagnostic": diagnostic[:500]}


def _our_addresses() -> set[str]:
    from email.utils import parseaddr

    found = {parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower(), parseaddr(settings.SERVER_EMAIL)[1].lower()}
    return {a for a in found if a}


def _is_our_address(address: str) -> bool:
    return address.lower() in _our_addresses()


# --- threading ------------------------------------------------------------------------------------


def _thread(parsed) -> Ticket | None:
    """In-Reply-To/References, then the signed token, then ``[#N]`` from that ticket's own client."""
    if parsed.references:
        ticket_type = ContentType.objects.get_for_model(Ticket)
        sent = (
            OutboxMessage.objects.filter(message_id__in=parsed.references, target_type=ticket_type)
            .order_by("-pk")
            .values_list("target_id", flat=True)
            .first()
        )
        if sent is None:
            sent = (
                InboundEmail.objects.filter(message_id__in=parsed.references, ticket__isnull=False)
                .exclude(status=InboundEmail.Status.IGNORED)
                .values_list("ticket_id", flat=True)
                .first()
            )
        if sent is None:
            sent = (
                TicketComment.objects.filter(message_id__in=parsed.references)
                .values_list("ticket_id", flat=True)
                .first()
            )
        ticket = Ticket.objects.filter(pk=sent).first() if sent else None
        if ticket is not None:
            return ticket
    for address in parsed.recipients:
        found = _TOKEN.search(address + "@") if "@" not in address else _TOKEN.search(address)
        if found:
            ticket_id = ticket_id_from_reply_token(found.group(1))
            ticket = Ticket.objects.filter(pk=ticket_id).first() if ticket_id else None
            if ticket is not None:
                return ticket
    tag = _TAG.search(parsed.subject)
    if tag:
        ticket = Ticket.objects.filter(number=int(tag.group(1))).first()
        if ticket is not None and ticket.client_email_normalized == normalize_email(parsed.from_address):
            return ticket
    return None


# --- the text and the files -----------------------------------------------------------------------


def _ours(block: str) -> bool:
    """A forwarded block that is our own email coming back: it carries our subject tag or client link."""
    return bool(_TAG.search(block)) or settings.SITE_URL in block or any(a in block for a in _our_addresses())


def _checked_files(parsed, desk) -> tuple[list, list[str]]:
    """The files that pass the form's checks one by one within the desk's limits, and the refused ones' names."""
    accepted, refused, total = [], [], 0
    for item in parsed.files:
        upload = ContentFile(item.content, name=item.name)
        try:
            if len(accepted) >= desk.max_files or total + upload.size > desk.max_total_bytes:
                raise ValidationError("limit")
            checked = uploads.check_files_for([upload], desk)
        except ValidationError:
            refused.append(item.name)
            continue
        accepted.extend(checked)
        total += upload.size
    return accepted, refused


def _keep_raw(ticket, comment, raw: bytes, name: str) -> None:
    attachment = Attachment(
        ticket=ticket,
        comment=comment,
        original_name=name,
        size=len(raw),
        content_type="message/rfc822",
        staff_only=True,
    )
    attachment.file.save(name, io.BytesIO(raw), save=False)
    attachment.save()


def _refused_note(ticket, refused: list[str]) -> None:
    if not refused:
        return
    TicketComment.objects.create(
        ticket=ticket,
        public=False,
        source=TicketComment.Source.EMAIL,
        body=services.comment_html(
            _("Files of the email not accepted (type or size): %(names)s") % {"names": ", ".join(refused)}, html=False
        ),
    )


def _raw_bytes(row) -> bytes:
    with row.raw.open("rb") as handle_file:
        return handle_file.read()


# --- a reply to a ticket --------------------------------------------------------------------------


def _reply(row, parsed, ticket: Ticket, desk):
    text = replies.reply_text(parsed.text, ours=_ours)
    files, refused = _checked_files(parsed, desk)
    if not text.strip():
        text = _("(files attached)") if files or refused else ""
    if not text.strip():
        return IGNORED, "empty", {}
    is_client = ticket.client_email_normalized == normalize_email(parsed.from_address)
    comment = services.add_comment(
        ticket=ticket,
        client=True,
        body=text,
        files=files,
        source=TicketComment.Source.EMAIL,
        message_id=parsed.message_id,
        sender_email="" if is_client else parsed.from_address,
    )
    target = comment.ticket
    _keep_raw(target, comment, _raw_bytes(row), "original.eml")
    _refused_note(target, refused)
    row.ticket, row.comment = target, comment
    if target.pk != ticket.pk:
        row.opened_ticket = True
        return PROCESSED, "follow_up_ticket", {"number": target.display_number, "previous": ticket.display_number}
    if is_client:
        return PROCESSED, "reply", {"number": ticket.display_number}
    return PROCESSED, "colleague", {"number": ticket.display_number, "sender": parsed.from_address}


# --- a new ticket ---------------------------------------------------------------------------------


def _new_ticket(row, parsed, desk):
    since = timezone.now() - timedelta(hours=1)
    opened = InboundEmail.objects.filter(
        from_address=parsed.from_address, opened_ticket=True, received_at__gte=since
    ).count()
    if opened >= desk.email_tickets_per_hour:
        return QUARANTINED, "flood", {"limit": desk.email_tickets_per_hour, "sender": parsed.from_address}
    text = replies.reply_text(parsed.text, ours=_ours)
    files, refused = _checked_files(parsed, desk)
    if not text.strip() and not files and not parsed.subject.strip():
        return IGNORED, "empty", {}
    ticket = services.accept_ticket(
        subject=parsed.subject.strip() or _("(no subject)"),
        description=text or parsed.text,
        service=desk.email_service,
        name=parsed.from_name,
        email=parsed.from_address,
        files=files,
        source=TicketSource.EMAIL,
        desk=desk,
    )
    _keep_raw(ticket, None, _raw_bytes(row), "original.eml")
    _refused_note(ticket, refused)
    row.ticket, row.opened_ticket = ticket, True
    return PROCESSED, "new_ticket", {"number": ticket.display_number}
