"""The client's side of a ticket: the signed client-page link and the emails (DESIGN.md "Email threading").

Every email to a client goes through the outbox with ``[#<number>]`` in its subject (the
templates put it there), a Message-ID the outbox stores (later emails answer the first one,
``thread_root``, so mail clients show one thread) and a Reply-To
``<local>+<token>@<domain>`` whose token names the ticket and is signed, so the email-intake
issue can route a reply even when the client's mail program drops the threading headers.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.db.models import Min, Value
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

from notifications.services import Notice, notify, notify_many

CLIENT_LINK_SALT = "servicedesk.client-page"
REPLY_TOKEN_SALT = "servicedesk.reply-to"  # noqa: S105 - a salt, not a secret
REPLY_TOKEN_DIGITS = 20


# --- the client page ----------------------------------------------------------------------------


def client_page_token(ticket) -> str:
    return signing.Signer(salt=CLIENT_LINK_SALT).sign(ticket.client_token)


def client_token_from(signed: str) -> str | None:
    """The ticket's client token from a signed link, or None when the signature does not match."""
    try:
        return signing.Signer(salt=CLIENT_LINK_SALT).unsign(signed)
    except signing.BadSignature:
        return None


def client_page_path(ticket) -> str:
    return reverse("desk:client_ticket", args=[client_page_token(ticket)])


def client_page_url(ticket) -> str:
    return settings.SITE_URL + client_page_path(ticket)


# --- Reply-To -------------------------------------------------------------------------------------


def _reply_base() -> tuple[str, str]:
    configured = getattr(settings, "SERVICEDESK_REPLY_TO", "") or ""
    if "@" in configured:
        local, domain = configured.rsplit("@", 1)
        return local.split("+", 1)[0], domain
    return "support", urlsplit(settings.SITE_URL).hostname or "localhost"


def _reply_signature(ticket_id: int) -> str:
    # Lower-case hex: some mail servers change the case of the local part.
    return salted_hmac(REPLY_TOKEN_SALT, str(ticket_id)).hexdigest()[:REPLY_TOKEN_DIGITS]


def reply_token(ticket) -> str:
    return f"t{ticket.pk}-{_reply_signature(ticket.pk)}"


def reply_address(ticket) -> str:
    local, domain = _reply_base()
    return f"{local}+{reply_token(ticket)}@{domain}"


def ticket_id_from_reply_token(token: str) -> int | None:
    """The ticket id a Reply-To token names, or None when it is malformed or its signature is wrong."""
    token = (token or "").strip().lower()
    if not token.startswith("t") or "-" not in token:
        return None
    number, signature = token[1:].split("-", 1)
    if not (number.isascii() and number.isdigit()):
        return None
    return int(number) if constant_time_compare(signature, _reply_signature(int(number))) else None


# --- emails -------------------------------------------------------------------------------------


def thread_root(ticket) -> str:
    """The Message-ID of the first email the client got about the ticket ("" before there is one)."""
    return thread_roots([ticket]).get(ticket.pk, "")


def thread_roots(tickets) -> dict[int, str]:
    """``thread_root`` of each ticket (by id, those that have one), in one query for them all: the
    first outbox row's Message-ID, else — a ticket opened by email, whose first answer threads to
    the client's own message — that of the email that opened it."""
    from django.apps import apps

    from notifications.models import OutboxMessage

    InboundEmail = apps.get_model("servicedesk", "InboundEmail")
    if not tickets:
        return {}
    ids = [ticket.pk for ticket in tickets]
    sent = OutboxMessage.objects.filter(target_type=ContentType.objects.get_for_model(tickets[0]), target_id__in=ids)
    opened = InboundEmail.objects.filter(ticket_id__in=ids, opened_ticket=True)
    first_sent = sent.filter(pk__in=sent.values("target_id").annotate(first=Min("pk")).values("first"))
    first_opened = opened.filter(pk__in=opened.values("ticket_id").annotate(first=Min("pk")).values("first"))
    rows = (
        first_sent.order_by()
        .annotate(rank=Value(0))
        .values_list("target_id", "message_id", "rank")
        .union(first_opened.order_by().annotate(rank=Value(1)).values_list("ticket_id", "message_id", "rank"), all=True)
    )
    roots: dict[int, str] = {}
    for ticket_id, message_id, _rank in sorted(rows, key=lambda row: row[2]):
        if message_id and not roots.get(ticket_id):
            roots[ticket_id] = message_id
    return roots


def email_client(
    ticket,
    template: str,
    context: dict | None = None,
    *,
    key: str | None,
    first: bool = False,
    attachments=(),
    automatic: bool = True,
) -> None:
    """Send ``template`` to the ticket's client through the outbox; nothing when there is no address.

    ``key`` (with the ticket's id) makes a repeated call send nothing new; ``first`` says this is
    the ticket's first email, so there is no thread to answer yet (one query less at intake).
    ``automatic`` emails (all but a staff member's comment) carry ``Auto-Submitted:
    auto-generated`` (RFC 3834), so the client's autoresponder does not answer them.
    """
    _relay_to_telegram(ticket, template, context, key=key)
    if not ticket.client_email:
        return
    root = "" if first else thread_root(ticket)
    _client_notice(ticket, template, context, key=key, root=root, attachments=attachments,
                   automatic=automatic).send_alone()  # fmt: skip


def email_clients(tickets, template: str, *, key: str) -> None:
    """``email_client`` of the same automatic ``template`` to many tickets' clients at once (the
    clock's batches): their threads looked up and the rows written in one query each. Only for
    what is not relayed to Telegram (those go one by one through ``email_client``)."""
    if template in TELEGRAM_RELAYED:
        raise ValueError(f"{template!r} is relayed to Telegram: send it with email_client()")
    tickets = [ticket for ticket in tickets if ticket.client_email]
    roots = thread_roots(tickets)
    notify_many([_client_notice(ticket, template, None, key=key, root=roots.get(ticket.pk, "")) for ticket in tickets])


def _client_notice(
    ticket, template: str, context: dict | None, *, key: str | None, root: str, attachments=(), automatic=True
) -> Notice:
    headers = {"Reply-To": reply_address(ticket)}
    if automatic:
        headers["Auto-Submitted"] = "auto-generated"
    if root:
        headers["In-Reply-To"] = root
        headers["References"] = root
    context = {
        "ticket_number": ticket.number,
        "subject": ticket.subject,
        "client_name": ticket.client_name,
        "link": client_page_url(ticket),
        **(context or {}),
    }
    return Notice(
        ticket.client_email,
        template,
        context,
        key=f"{key}:{ticket.pk}" if key else None,
        headers=headers,
        target=ticket,
        attachments=tuple(attachments),
    )


# What a Telegram client also hears in their chat (the ticket's receipt is the bot's own answer).
TELEGRAM_RELAYED = {"servicedesk/ticket_comment", "servicedesk/ticket_started", "servicedesk/ticket_done"}


def _relay_to_telegram(ticket, template: str, context: dict | None, *, key: str | None) -> None:
    if template not in TELEGRAM_RELAYED:
        return
    # Through the ticket's own relations: this module is below the models (they import links).
    link = getattr(ticket, "telegram_link", None)
    if link is None:
        return
    link.chat.refresh_from_db(fields=["disabled"])  # the ticket may be held since before a block
    if link.chat.disabled:
        return
    context = {
        "ticket_number": ticket.number,
        "subject": ticket.subject,
        "client_name": ticket.client_name,
        "link": client_page_url(ticket),
        **(context or {}),
    }
    attachments = []
    comment_id = context.pop("comment_id", None)
    if comment_id is not None:
        found = ticket.attachments.filter(comment_id=comment_id).values_list("file", "original_name")
        attachments = [path for path, _name in found]
        context["file_names"] = dict(found)
    notify(
        link.chat,
        template,
        context,
        channels=("telegram",),
        key=f"{key}:{ticket.pk}" if key else None,
        attachments=attachments,
        target=ticket,
    )
