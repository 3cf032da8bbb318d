"""Notifications: write in the caller's transaction, deliver after commit, sweep what was left behind.

Delivery guarantees (DESIGN.md "Notifications: the outbox"):

* A row is written in the caller's transaction, so a rolled-back change notifies nobody, and the
  Celery task is published only after commit. A broker that is down at that moment loses nothing:
  the row stays pending and `outbox_sweep` publishes it again later.
* Every delivery first claims its row with a conditional update (pending → sending). Only one of
  any number of duplicate tasks (the after-commit one, a Celery retry, the sweeper's) wins the
  claim, so a message already accepted by the provider and marked sent is never sent again.
* The one window left is at-least-once: the provider accepts the message and the worker dies
  before marking the row sent. The row then stays "sending"; after `STUCK_AFTER` (well past
  Celery's hard time limit, so no live worker can still be inside that send) the sweeper sends
  it again. SMTP offers no idempotency, so the recipient may get the email twice; it carries the
  same Message-ID both times, which most mail clients use to show it once. We chose this over
  at-most-once because a lost notification (an invoice, a deadline) costs more than a duplicate.
"""

import contextlib
import hashlib
import json
import logging
import re
import time
import uuid
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.utils import make_msgid
from functools import partial
from urllib.parse import urlsplit

from celery import current_app
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import validate_email
from django.db import DatabaseError, IntegrityError, models, transaction
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import formats, timezone, translation
from django.utils.functional import Promise
from django.utils.html import escape

from admin24 import bulk, messages

from . import channels as channel_registry
from . import rendering
from .models import Notification, OutboxMessage, StaffTelegram, TelegramKind
from .rendering import render_text

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_RETRY_AFTER = timedelta(minutes=1)
LONGEST_RETRY_AFTER = timedelta(hours=1)
# Longer than CELERY_TASK_TIME_LIMIT: a row "sending" for this long has no live worker behind it.
STUCK_AFTER = timedelta(minutes=10)
# Fresh rows are published by their own after-commit hook; the sweeper leaves them that long.
SWEEP_MIN_AGE = timedelta(minutes=1)
SWEEP_BATCH = 500
CLOCK_SLACK = timedelta(seconds=5)

_TEMPLATE_NAME = re.compile(r"^[a-z0-9_]+(?:[./-][a-z0-9_]+)*$")
_PARTS = ("subject.txt", "body.txt", "body.html")
STAFF_TEMPLATE = "reminder"


class UnknownTemplate(ValueError):
    pass


class InvalidRecipient(ValueError):
    pass


@dataclass(frozen=True)
class Rendered:
    subject: str
    summary: str  # the message alone: the in-app notification's text
    text: str  # the email's text part: the summary with greeting and signature
    html: str
    # Telegram's message: the template's ``telegram.html`` when it has one, else the subject in
    # bold, the summary and the link (a channel picks its parts with ``Channel.parts``).
    telegram: str = ""


def notify(
    recipient,
    template: str,
    context: dict,
    *,
    channels: tuple[str, ...] | list[str] = ("email",),
    key: str | None = None,
    attachments=(),
    headers: dict | None = None,
    target=None,
) -> list[OutboxMessage]:
    """Tell `recipient` something: an in-app notification for a staff user, one outbox row per channel.

    `recipient` is a staff User, a contact-like object (`.email` or `.emails`) or an email address.
    `template` names a folder of the project's templates directory, whichever app sends it:
    `templates/notifications/<template>/` with `subject.txt`, `body.txt` (also the in-app text)
    and `body.html` (extending `notifications/email_base.html`); an app may prefix its names with
    its own (`servicedesk/ticket_received`). No app keeps notification templates of its own.
    `context["link"]` (a path or URL) becomes the in-app link and an absolute URL in emails. The
    same `key` twice for the same recipient and channel writes nothing new and returns the rows
    written the first time. Call it inside the transaction of the change it reports.
    """
    return _send(Notice(recipient, template, context, tuple(channels), key, tuple(attachments), headers, target))


def _send(notice: "Notice") -> list[OutboxMessage]:
    """What ``notify`` writes for one notice, each key looked up (and its race caught) alone."""
    in_app, rows = _prepared(notice)
    if in_app is not None:
        _write_in_app(in_app)
    messages = []
    for message in rows:
        existing = OutboxMessage.objects.filter(idempotency_key=message.idempotency_key).first()
        if existing is not None:
            messages.append(existing)
            continue
        try:
            with transaction.atomic():
                message.save()
        except IntegrityError:
            # The same key written concurrently by another transaction that committed first.
            messages.append(OutboxMessage.objects.get(idempotency_key=message.idempotency_key))
            continue
        transaction.on_commit(partial(_publish, message.pk))
        messages.append(message)
    return messages


@dataclass(frozen=True)
class Notice:
    """One ``notify`` call, for ``notify_many``."""

    recipient: object
    template: str
    context: dict
    channels: tuple[str, ...] = ("email",)
    key: str | None = None
    attachments: tuple = ()
    headers: dict | None = None
    target: object = None

    def send_alone(self) -> list[OutboxMessage]:
        """``notify`` of this one notice."""
        return _send(self)


def notify_many(notices: list[Notice]) -> None:
    """``notify`` for many notices at once (the clock's batches): the same rows, written with one
    INSERT per table (one statement on PostgreSQL), whatever the number of notices: the outbox
    rows whose key is used already are skipped by the INSERT itself (``admin24.bulk.insert_new``).
    Nothing is rendered here: the rows keep what to say, rendered when shown or sent."""
    prepared = [_prepared(notice) for notice in notices]
    in_app = [note for note, _rows in prepared if note is not None]
    keyed = [note for note in in_app if note.key]
    told = set()
    if keyed:
        told = set(
            Notification.objects.filter(
                key__in={note.key for note in keyed}, recipient__in={note.recipient_id for note in keyed}
            ).values_list("recipient_id", "key")
        )
    new_in_app = []
    for note in in_app:
        if note.key and (note.recipient_id, note.key) in told:
            continue
        told.add((note.recipient_id, note.key))
        new_in_app.append(note)
    rows = [message for _note, messages in prepared for message in messages]
    # Both INSERTs in one round trip; nobody reads the in-app rows' pks back.
    with bulk.one_statement():
        bulk.insert_rows(new_in_app)
        bulk.insert_new(rows, "idempotency_key", then=_publish_after_commit)


def _publish_after_commit(written: list[OutboxMessage]) -> None:
    if written:
        transaction.on_commit(partial(_publish_many, [message.pk for message in written]))


def _prepared(notice: Notice) -> tuple[Notification | None, list[OutboxMessage]]:
    """What ``notify`` writes for ``notice``, unsaved: the in-app notification (for a staff user)
    and one outbox row per channel that reaches the recipient. Raises on a bad recipient,
    template, header or attachment before anything is written."""
    recipient, template, context, key = notice.recipient, notice.template, notice.context, notice.key
    channel_objects = [_channel(name) for name in notice.channels]
    user = recipient if isinstance(recipient, get_user_model()) else None
    if isinstance(recipient, str):
        recipient = recipient.strip()
        try:
            validate_email(recipient)
        except ValidationError:
            raise InvalidRecipient(f"{recipient!r} is not an email address") from None
    _check_template(template)
    headers = _checked_headers(notice.headers)
    attachments = [str(path) for path in notice.attachments]
    for path in attachments:
        if not default_storage.exists(path):
            raise FileNotFoundError(f"attachment {path!r} is not in storage")
    language = _language_of(recipient)
    link = str(context.get("link") or "")
    target_type, target_id = _target_fields(notice.target)
    # What happened, not text in one language: messages and labels kept as what they mean.
    stored_context = json.loads(json.dumps(messages.stored_params(context), cls=_LenientEncoder))
    in_app = None
    if user is not None:
        # What happened (the link has a column of its own), rendered in each reader's language
        # whenever it is read.
        in_app = Notification(
            recipient=user,
            template=template,
            context={name: value for name, value in stored_context.items() if name != "link"},
            link=link[:500],
            key=key or "",
            target_type=target_type,
            target_id=target_id,
        )
    rows = []
    for channel in channel_objects:
        address = channel.address_for(recipient)
        if not address:
            continue
        message = OutboxMessage(
            channel=channel.name,
            recipient_user=user,
            address=address,
            template=template,
            context=stored_context,
            language=language,
            time_zone=str(_time_zone_of(recipient)),
            recipient_name=_display_name(recipient)[:300],
            attachments=attachments,
            headers=headers,
            message_id=make_msgid(domain=_mail_domain()),
            idempotency_key=_idempotency_key(key, channel=channel.name, recipient=recipient, address=address),
            target_type=target_type,
            target_id=target_id,
            next_attempt_at=timezone.now(),
        )
        if user is None and isinstance(recipient, models.Model):
            message.recipient_object = recipient
        rows.append(message)
    return in_app, rows


def notify_staff(
    target,
    *,
    to,
    title: str,
    text: str,
    key: str | None,
    due=None,
    kind: str = TelegramKind.REMINDERS,
    template: str = STAFF_TEMPLATE,
) -> list[OutboxMessage]:
    """Tell the staff user ``to`` about ``target`` (a lead, deal, ticket…): an in-app notification
    and an email with ``title`` and ``text``, both linking to ``target.get_absolute_url()`` (its
    staff card). ``due`` (a datetime) is shown as the deadline. ``to`` None tells nobody, for a
    card nobody is responsible for. ``key`` as in ``notify``. ``kind`` (a ``TelegramKind``): the
    message also goes to the user's linked Telegram chat when they chose that kind on their profile.
    ``template``: another one taking the same context (``title``, ``text``, ``due``, ``link``), so
    the in-app list tells a task's notice from a reminder.
    """
    if to is None:
        return []
    notice = StaffNotice(target=target, to=to, title=title, text=text, key=key, due=due, kind=kind, template=template)
    return _staff_notice(notice, staff_channels(to, kind)).send_alone()


def staff_channels(user, kind: str) -> tuple[str, ...]:
    """Email, and Telegram when ``user`` linked a chat and wants ``kind`` there."""
    return _channels_by_choice(kind, _telegram_kinds([user]).get(user.pk))


def _telegram_kinds(users) -> dict[int, list[str]]:
    """The kinds each of ``users`` with a linked Telegram chat wants there, in one query for them all."""
    linked = {user.pk for user in users if getattr(user, "telegram_chat_id", None)}
    if not linked:
        return {}
    return dict(StaffTelegram.objects.filter(user__in=linked).values_list("user_id", "kinds"))


def _channels_by_choice(kind: str, kinds: list[str] | None) -> tuple[str, ...]:
    return ("email", "telegram") if kind in (kinds or ()) else ("email",)


@dataclass(frozen=True)
class StaffNotice:
    """One ``notify_staff`` call, for ``notify_staff_many``."""

    target: object
    to: object
    title: str
    text: str
    key: str | None
    due: object = None
    kind: str = TelegramKind.REMINDERS
    template: str = STAFF_TEMPLATE


def notify_staff_many(notices: list[StaffNotice]) -> None:
    """``notify_staff`` for many notices at once (the clock's batches), through ``notify_many``:
    the same rows, one INSERT per table; the users' Telegram choices are read in one query."""
    notices = [notice for notice in notices if notice.to is not None]
    kinds = _telegram_kinds({notice.to.pk: notice.to for notice in notices}.values())
    notify_many([_staff_notice(n, _channels_by_choice(n.kind, kinds.get(n.to.pk))) for n in notices])


def _staff_notice(notice: StaffNotice, channels: tuple[str, ...]) -> Notice:
    context = {"title": notice.title, "text": notice.text, "link": notice.target.get_absolute_url()}
    if notice.due is not None:
        context["due"] = notice.due
    return Notice(notice.to, notice.template, context, channels=channels, key=notice.key, target=notice.target)


def render(template: str, context: dict, *, language: str, recipient=None) -> Rendered:
    """The subject and parts of `template` in `language` and the recipient's time zone."""
    full_context = _full_context(context, recipient)
    with translation.override(language), timezone.override(_time_zone_of(recipient)):
        return _finished(_raw_parts(template, full_context), full_context)


def render_many(requests: list[tuple[str, dict, str, object]]) -> list[Rendered]:
    """``render(template, context, language=…, recipient=…)`` of each ``(template, context,
    language, recipient)``, with each template rendered once per language, time zone and the
    values that are the same for all (a clock batch's reminders differ in their title, text,
    deadline and link only).

    The values that differ are texts and dates; a message (or a lazy text) counts as the text it
    renders to in the request's language, which is what the template would print. A number is
    shared only among requests of the same value: a template may compare it with anything
    (``{% if n > 5 %}``), which no stand-in can tell.
    The template is rendered with a stand-in for each, and every request gets the result with
    its own values put in their places (escaped in the HTML parts; a date as the short format
    prints it in the request's time zone). That holds for a template that prints its values as
    they are. A second rendering with other stand-ins (long, full of what HTML escapes, on
    several lines where the values are; dates in another century) checks it: a template that
    changes a value (a filter, ``striptags``, a length, a comparison) renders each request alone.
    So does a request with a value of another kind (a list, an empty message)."""
    full = [_full_context(context, recipient) for _template, context, _language, recipient in requests]
    groups: dict[tuple, list[int]] = {}
    for index, (template, _context, language, recipient) in enumerate(requests):
        zone = _time_zone_of(recipient)
        with translation.override(language), timezone.override(zone):
            full[index] = _as_printed(full[index])
        shape = _shape(full[index])
        key = (template, language, str(zone), shape)
        groups.setdefault(key if shape is not None else (index,), []).append(index)
    rendered: list[Rendered | None] = [None] * len(requests)
    for indexes in groups.values():
        template, _context, language, recipient = requests[indexes[0]]
        with translation.override(language), timezone.override(_time_zone_of(recipient)):
            shared = _shared_parts(template, full[indexes[0]]) if len(indexes) > 2 else None
            for index in indexes:
                parts = _raw_parts(template, full[index]) if shared is None else shared.put_in(full[index])
                rendered[index] = _finished(parts, full[index])
    return rendered


def _as_printed(context: dict) -> dict:
    """``context`` with each message and lazy text as the text it renders to in the active
    language (and time zone: a date among its parameters), what a template prints for it; a
    message rendering to an empty text stays a message (a template may test it)."""
    printed = {}
    for name, value in context.items():
        if isinstance(value, messages.Message | Promise):
            text = str(value)
            value = text if _varies(text) else value
        printed[name] = value
    return printed


def _render_context(context: dict) -> dict:
    """A notice's context as its template takes it: the link absolute."""
    return {**context, "link": _absolute(str(context.get("link") or ""))}


def _full_context(context: dict, recipient) -> dict:
    return {"site_url": settings.SITE_URL, "recipient_name": _display_name(recipient), **context}


# The email's frame (``email_base.txt``) prints its content as it is: it is rendered with this in its place.
_CONTENT = "\x00content\x00"
_HTML_PARTS = ("html", "telegram")


def _raw_parts(template: str, context: dict) -> dict[str, str | None]:
    """The parts of ``template`` as its files render them with ``context`` (in the active
    language and time zone), before ``_finished`` tidies them."""
    names = _check_template(template)
    title, summary = rendering.in_app_raw(template, context)
    try:
        telegram = get_template(f"notifications/{template}/telegram.html").render(context)
    except TemplateDoesNotExist:
        telegram = None
    return {
        "title": title,
        "summary": summary,
        "content": render_text(names[1], context),
        "text": render_text("notifications/email_base.txt", {**context, "content": _CONTENT}),
        "html": get_template(names[2]).render(context),
        "telegram": telegram,
    }


def _finished(parts: dict[str, str | None], context: dict) -> Rendered:
    subject, summary = rendering.tidy_in_app(parts["title"], parts["summary"])
    text = parts["text"].replace(_CONTENT, parts["content"].strip()).strip() + "\n"
    telegram = parts["telegram"]
    if telegram is None:
        # Without a telegram.html: the subject in bold, the summary and the link.
        link = str(context.get("link") or "")
        lines = [f"<b>{escape(' '.join(subject.split()))}</b>", escape(summary)]
        if link:
            lines.append(f'<a href="{escape(link)}">{escape(link)}</a>')
        telegram = "\n\n".join(line for line in lines if line)
    return Rendered(subject=subject, summary=summary, text=text, html=parts["html"], telegram=telegram.strip())


def _shape(context: dict) -> tuple | None:
    """What requests must share to be rendered together: every value but those put in
    afterwards (``_varies``), and of those their kind (``_kind``); None when a value is neither
    put in nor comparable (a list, a message), so the request is rendered alone."""
    fixed = []
    for name, value in sorted(context.items()):
        if _varies(value):
            fixed.append((name, _kind(value)))
        elif value is None or isinstance(value, bool) or type(value) in (str, int):
            fixed.append((name, value))
        else:
            return None
    return tuple(fixed)


def _varies(value) -> bool:
    """A text (not marked safe) or a date that a rendering with a stand-in can take: a text
    without spaces at its ends (the parts are stripped) and without the stand-ins' marks."""
    if type(value) is str:
        return bool(value) and value == value.strip() and "\x00" not in value
    return type(value) in (date, datetime)


def _kind(value) -> tuple:
    """What a value's stand-ins are made like: a text on one line or on several (the check's
    stand-in is on several lines only for those, so ``linebreaksbr`` of a one-line text is
    printing it as it is), a date, a datetime with or without its time zone."""
    if type(value) is str:
        return (str, "\n" in value or "\r" in value)
    if type(value) is datetime:
        return (datetime, timezone.is_aware(value))
    return (type(value),)


# Stand-ins: texts as plain as can be; the check's are long, full of what HTML escapes (and what
# a filter would change: a small letter first) and on several lines where the value is; dates
# for dates, one far ahead and one far back, so that a comparison or ``timesince`` tells them apart.
_STAND_IN = "\x00{0}\x00", datetime(2999, 1, 1, 23, 59)
_CHECK = "ж\x00{0}\x00«& <b>\"'{1}%/?»" + "x" * 300 + "\x00", datetime(1901, 6, 15, 8, 7)


def _stand_ins(context: dict, *, check: bool) -> dict[str, object]:
    """A stand-in for each value put in afterwards, the check's when ``check``."""
    text, moment = _CHECK if check else _STAND_IN
    found = {}
    for position, (name, value) in enumerate(sorted(context.items())):
        if not _varies(value):
            continue
        kind = _kind(value)
        if kind[0] is str:
            found[name] = text.format(position, "\n  \r\n" if kind[1] else "  ")
        else:
            stand_in = moment + timedelta(days=position)
            if kind[0] is date:
                stand_in = stand_in.date()
            elif kind[1]:
                stand_in = stand_in.replace(tzinfo=UTC)
            found[name] = stand_in
    return found


def _printed(value) -> str:
    """A value as a template prints it (localised, before escaping); a date as
    ``|date:"SHORT_DATETIME_FORMAT"`` (or ``SHORT_DATE_FORMAT``) prints it in the active time zone
    — a template that prints it otherwise fails the check."""
    if type(value) is datetime:
        return formats.date_format(timezone.template_localtime(value), "SHORT_DATETIME_FORMAT")
    if type(value) is date:
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    return str(formats.localize(value))


@dataclass(frozen=True)
class _Shared:
    """A template's parts rendered with stand-ins, and where each request's values go in them."""

    parts: dict[str, str | None]
    marks: dict[str, str]  # a varying value's name: what the template printed for its stand-in
    pattern: re.Pattern | None  # any of the marks

    @classmethod
    def of(cls, parts: dict[str, str | None], stand_ins: dict[str, object]) -> "_Shared":
        marks = {name: _printed(stand_in) for name, stand_in in stand_ins.items()}
        # The longest first: a mark never loses to another that begins it.
        found = "|".join(re.escape(mark) for mark in sorted(marks.values(), key=len, reverse=True))
        return cls(parts, marks, re.compile(found) if marks else None)

    def put_in(self, context: dict) -> dict[str, str | None]:
        """The parts with ``context``'s values in their stand-ins' places (escaped in the HTML parts)."""
        if self.pattern is None:
            return self.parts
        texts = {mark: _printed(context[name]) for name, mark in self.marks.items()}
        html = {mark: str(escape(text)) for mark, text in texts.items()}
        put = {}
        for name, part in self.parts.items():
            table = html if name in _HTML_PARTS else texts
            put[name] = part if part is None else self.pattern.sub(lambda match, t=table: t[match.group()], part)
        return put


def _shared_parts(template: str, context: dict) -> _Shared | None:
    """``template``'s parts rendered once with stand-ins for ``context``'s varying values, or None
    when the template does not print them as they are (checked with a second set of stand-ins)."""
    stand_ins, checks = _stand_ins(context, check=False), _stand_ins(context, check=True)
    shared = _Shared.of(_raw_parts(template, {**context, **stand_ins}), stand_ins)
    checked = _raw_parts(template, {**context, **checks})
    return shared if shared.put_in(checks) == checked else None


# --- Delivery ---------------------------------------------------------------------------------


# How long after the earlier row of its thread a held row is tried again.
THREAD_GAP = timedelta(seconds=5)


def outbox_deliver(*, message_id: int, rendered: Rendered | None = None) -> timedelta | None:
    """Send one outbox row if it is pending and due. Returns how long to wait before retrying, if at all.

    The row is rendered now (``outbox_drafted``), or ``rendered`` is its rendering when the
    caller rendered a batch's rows at once (``outbox_deliver_many``); what went out is stored
    on the row once sent. Runs outside a transaction: the claim must be committed before the
    send starts.
    """
    now = timezone.now()
    held = _hold_behind_earlier(message_id, now)
    if held is not None:
        return held
    # A retry that arrives before its backoff is over (eager mode runs it at once) leaves the row
    # to the sweeper; the slack forgives clocks of different workers disagreeing a little.
    claimed = OutboxMessage.objects.filter(
        pk=message_id, status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now + CLOCK_SLACK
    ).update(status=OutboxMessage.Status.SENDING, claimed_at=now, attempts=models.F("attempts") + 1)
    if claimed != 1:
        return None
    message = OutboxMessage.objects.get(pk=message_id)
    try:
        drafted = _draft(message, rendered)
        provider_id = _channel(message.channel).send(message)
    except channel_registry.PermanentError as exc:
        _finish_failed(message, str(exc))
        return None
    except Exception as exc:
        if not isinstance(exc, channel_registry.TemporaryError):
            log.exception("outbox message %s: unexpected error while sending", message.pk)
        reason = str(exc) or type(exc).__name__
        if message.attempts >= MAX_ATTEMPTS:
            _finish_failed(message, f"{reason} (gave up after {message.attempts} attempts)")
            return None
        retry_after = getattr(exc, "retry_after", None)
        wait = timedelta(seconds=retry_after) if retry_after else retry_delay(message.attempts)
        OutboxMessage.objects.filter(pk=message.pk, status=OutboxMessage.Status.SENDING).update(
            status=OutboxMessage.Status.PENDING,
            next_attempt_at=timezone.now() + wait,
            **OutboxMessage.error_fields(reason),
            claimed_at=None,
        )
        log.warning(
            "outbox message %s: attempt %s failed, retrying in %s: %s", message.pk, message.attempts, wait, reason
        )
        return wait
    OutboxMessage.objects.filter(pk=message.pk, status=OutboxMessage.Status.SENDING).update(
        status=OutboxMessage.Status.SENT,
        sent_at=timezone.now(),
        provider_id=str(provider_id)[:255],
        **OutboxMessage.error_fields(""),
        **drafted,
        claimed_at=None,
    )
    _release_next(message)
    return None


def outbox_drafted(rows: list[OutboxMessage]) -> list[OutboxMessage]:
    """``rows`` with their subject and parts: what went out for a row sent (as stored), what will
    go for one not sent yet (rendered now, in one ``render_many``, not saved) — what the outbox
    shows. A row whose template is gone keeps its parts empty."""
    drafts = _renderings(rows)
    for row in rows:
        with contextlib.suppress(channel_registry.PermanentError):
            _draft(row, drafts.get(row.pk))
    return rows


def _is_drafted(message: OutboxMessage) -> bool:
    # Sent (what went out is stored), or written before rows were rendered at send time.
    return bool(message.subject or message.body_text or message.body_html)


def _draft(message: OutboxMessage, rendered: Rendered | None = None) -> dict[str, str]:
    """Put on ``message`` the subject, text and HTML its channel sends (``rendered``, or rendered
    now in the row's language and time zone); returns them to store once it is sent, nothing
    for a row that has them already. A row that cannot be rendered (a template since removed or
    broken, a value a filter rejects) is a ``PermanentError``."""
    if _is_drafted(message):
        return {}
    if rendered is None:
        try:
            [rendered] = render_many([_rendering_request(message)])
        except UnknownTemplate as exc:
            raise channel_registry.PermanentError(str(exc)) from exc
        except DatabaseError:
            raise  # the database, not the row: retried with backoff as any passing failure
        except Exception as exc:
            # A template broken since, a value a filter rejects: rendering it again fails the same way.
            raise channel_registry.PermanentError(f"could not render: {type(exc).__name__}: {exc}") from exc
    text, html = _channel(message.channel).parts(rendered)
    parts = {"subject": rendered.subject[:500], "body_text": text, "body_html": html}
    for name, value in parts.items():
        setattr(message, name, value)
    return parts


@dataclass(frozen=True)
class _Addressee:
    """Whom a row was written for, as ``render`` takes a recipient: their name and time zone."""

    full_name: str
    time_zone: str


def _rendering_request(message: OutboxMessage) -> tuple[str, dict, str, _Addressee]:
    """``render_many``'s request for a row: its context live again (messages and labels in the
    row's language, dates in its time zone, as they were when the row was written)."""
    addressee = _Addressee(message.recipient_name, message.time_zone)
    with translation.override(message.language), timezone.override(_time_zone_of(addressee)):
        context = _render_context(messages.live_params(message.context))
    return message.template, context, message.language, addressee


def _renderings(rows: list[OutboxMessage]) -> dict[int, Rendered]:
    """The renderings of the rows not drafted yet, in one ``render_many``; none when one of them
    cannot be rendered (its template gone or broken, a value a filter rejects): each row then
    renders alone, so only that one fails."""
    rows = [row for row in rows if not _is_drafted(row)]
    try:
        return dict(zip([row.pk for row in rows], render_many([_rendering_request(row) for row in rows]), strict=True))
    except Exception:
        return {}


def _thread(message: OutboxMessage):
    """The rows one reader gets about one card through one channel: one conversation, in order."""
    return OutboxMessage.objects.filter(
        channel=message.channel,
        address=message.address,
        target_type_id=message.target_type_id,
        target_id=message.target_id,
    )


def _hold_behind_earlier(message_id: int, now) -> timedelta | None:
    """A row whose earlier sibling in the thread is still waiting (a retry after a failed send)
    waits behind it, so a ticket's «received» never arrives after its «work started»."""
    message = OutboxMessage.objects.filter(pk=message_id, status=OutboxMessage.Status.PENDING).first()
    if message is None or message.target_id is None:
        return None
    waiting = (OutboxMessage.Status.PENDING, OutboxMessage.Status.SENDING)
    earlier = _thread(message).filter(pk__lt=message.pk, status__in=waiting).order_by("-next_attempt_at").first()
    if earlier is None:
        return None
    until = max(earlier.next_attempt_at, now) + THREAD_GAP
    OutboxMessage.objects.filter(pk=message.pk, status=OutboxMessage.Status.PENDING).update(next_attempt_at=until)
    return until - now


def _release_next(message: OutboxMessage) -> None:
    """Once a row is sent, the next one its thread held back goes at once."""
    if message.target_id is None:
        return
    following = _thread(message).filter(pk__gt=message.pk, status=OutboxMessage.Status.PENDING).order_by("pk").first()
    if following is not None and following.next_attempt_at > timezone.now():
        OutboxMessage.objects.filter(pk=following.pk, status=OutboxMessage.Status.PENDING).update(
            next_attempt_at=timezone.now()
        )
        _publish(following.pk)


def outbox_deliver_many(*, message_ids: list[int]) -> None:
    """``outbox_deliver`` of each row in turn (one task for a batch's rows, ``_publish_many``); a
    row that must wait is published again alone, as ``deliver`` retries it. After the first, sends
    start no later than half Celery's soft time limit into the task (a slow provider costs
    EMAIL_TIMEOUT a send): the rows left go into a task of their own, none cut off by the limit."""
    pending = OutboxMessage.objects.filter(pk__in=message_ids, status=OutboxMessage.Status.PENDING)
    drafts = _renderings(list(pending))
    started = time.monotonic()  # the sends' budget: the batch's rendering is done before the first
    for position, message_id in enumerate(message_ids):
        if position and time.monotonic() - started > settings.CELERY_TASK_SOFT_TIME_LIMIT / 2:
            _publish_many(message_ids[position:])
            return
        wait = outbox_deliver(message_id=message_id, rendered=drafts.get(message_id))
        if wait is not None:
            _publish(message_id, countdown=wait.total_seconds())


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: 1, 2, 4 … minutes after the 1st, 2nd, 3rd … failed attempt, at most an hour."""
    return min(FIRST_RETRY_AFTER * 2 ** max(attempts - 1, 0), LONGEST_RETRY_AFTER)


def outbox_sweep(*, now=None, batch: int = SWEEP_BATCH) -> int:
    """Re-publish rows nobody is delivering. Returns how many were published."""
    now = now or timezone.now()
    stuck_before = now - STUCK_AFTER
    stuck = OutboxMessage.objects.filter(status=OutboxMessage.Status.SENDING, claimed_at__lt=stuck_before)
    for message in stuck.only("pk", "attempts")[:batch]:
        still_stuck = OutboxMessage.objects.filter(
            pk=message.pk, status=OutboxMessage.Status.SENDING, claimed_at__lt=stuck_before
        )
        if message.attempts >= MAX_ATTEMPTS:
            still_stuck.update(
                status=OutboxMessage.Status.FAILED,
                claimed_at=None,
                **OutboxMessage.error_fields(f"the worker stopped while sending, {message.attempts} times; gave up"),
            )
        else:
            still_stuck.update(
                status=OutboxMessage.Status.PENDING,
                claimed_at=None,
                next_attempt_at=now,
                **OutboxMessage.error_fields("the worker stopped while sending; sending again"),
            )
    due = OutboxMessage.objects.filter(
        status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now, created_at__lte=now - SWEEP_MIN_AGE
    ).order_by("next_attempt_at", "pk")
    published = 0
    for pk in due.values_list("pk", flat=True)[:batch]:
        if not _publish(pk):
            break  # the broker is down; the next sweep tries again
        published += 1
    return published


def outbox_cancel(*, messages, reason) -> int:
    """Withdraw the rows of ``messages`` that are still pending; returns how many. ``reason`` is a
    ``Message`` (shown in each reader's language) or a technical text (``OutboxMessage.error_fields``).

    A row being sent or already sent is left alone: the caller checks for those afterwards, in
    the same transaction, if they matter. The conditional update takes each pending row's lock,
    so a delivery claiming it at this moment waits and then finds it cancelled.
    """
    return messages.filter(status=OutboxMessage.Status.PENDING).update(
        status=OutboxMessage.Status.CANCELLED, **OutboxMessage.error_fields(reason), claimed_at=None
    )


def outbox_retry(*, messages) -> int:
    """Queue failed (or waiting) rows again with fresh attempts; rows already sent are left alone."""
    retryable = [OutboxMessage.Status.FAILED, OutboxMessage.Status.PENDING]
    pks = list(messages.filter(status__in=retryable).values_list("pk", flat=True))
    OutboxMessage.objects.filter(pk__in=pks, status__in=retryable).update(
        status=OutboxMessage.Status.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
    for pk in pks:
        transaction.on_commit(partial(_publish, pk))
    return len(pks)


# --- In-app -----------------------------------------------------------------------------------


def unread_count(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notification_mark_read(*, user, notification_id: int) -> Notification:
    """Raises Notification.DoesNotExist for someone else's notification."""
    notification = Notification.objects.get(pk=notification_id, recipient=user)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


# --- Helpers ----------------------------------------------------------------------------------


def _publish(message_id: int, *, countdown: float | None = None) -> bool:
    # By name from Celery's registry: the task module calls these services, so importing it here
    # would close an import circle.
    try:
        current_app.tasks["notifications.deliver"].apply_async((message_id,), countdown=countdown)
    except Exception:
        # The row is committed and pending: the sweeper publishes it once the broker is back.
        log.warning("outbox message %s: could not publish its delivery task", message_id, exc_info=True)
        return False
    return True


# Rows one delivery task sends (``deliver_many``): a batch's rows cost a broker round trip per
# this many, and one task's sends stay well inside its time limit.
DELIVERY_BATCH = 20


def _publish_many(message_ids: list[int]) -> None:
    """Publish the delivery of many committed rows, one ``deliver_many`` task per DELIVERY_BATCH."""
    for start in range(0, len(message_ids), DELIVERY_BATCH):
        chunk = message_ids[start : start + DELIVERY_BATCH]
        try:
            current_app.tasks["notifications.deliver_many"].delay(chunk)
        except Exception:
            # Committed and pending, as after a crash before the publish: the sweeper publishes them.
            log.warning("outbox messages %s…: could not publish their delivery", chunk[0], exc_info=True)
            return  # the broker is down: the rest would wait on it too


def _finish_failed(message: OutboxMessage, reason: str) -> None:
    OutboxMessage.objects.filter(pk=message.pk, status=OutboxMessage.Status.SENDING).update(
        status=OutboxMessage.Status.FAILED, **OutboxMessage.error_fields(reason), claimed_at=None
    )
    log.error("outbox message %s to %s failed: %s", message.pk, message.address, reason)


def _channel(name: str) -> channel_registry.Channel:
    return channel_registry.get(name)


def _check_template(template: str) -> list[str]:
    if not _TEMPLATE_NAME.match(template or ""):
        raise UnknownTemplate(f"bad notification template name {template!r}")
    names = [f"notifications/{template}/{part}" for part in _PARTS]
    for name in names:
        try:
            get_template(name)
        except TemplateDoesNotExist:
            raise UnknownTemplate(f"notification template {template!r} has no {name}") from None
    return names


def _write_in_app(note: Notification) -> None:
    if note.key and Notification.objects.filter(recipient=note.recipient, key=note.key).exists():
        return
    try:
        with transaction.atomic():
            note.save(force_insert=True)
    except IntegrityError:
        pass  # the same key committed concurrently: one notification is what we want


def _checked_headers(headers: dict | None) -> dict[str, str]:
    checked = {}
    for name, value in (headers or {}).items():
        if not isinstance(name, str) or not isinstance(value, str) or any(c in name + value for c in "\r\n"):
            raise ValueError(f"email header {name!r} must be one line of text")
        checked[name] = value
    return checked


def _language_of(recipient) -> str:
    known = {code for code, _ in settings.LANGUAGES}
    language = getattr(recipient, "language", "") if not isinstance(recipient, str) else ""
    return language if language in known else settings.LANGUAGE_CODE


def _time_zone_of(recipient):
    name = getattr(recipient, "time_zone", "") if not isinstance(recipient, str) else ""
    try:
        return zoneinfo.ZoneInfo(name) if name else timezone.get_default_timezone()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.get_default_timezone()


def _display_name(recipient) -> str:
    if recipient is None or isinstance(recipient, str):
        return ""
    return str(getattr(recipient, "full_name", "") or getattr(recipient, "name", "") or "")


def _absolute(link: str) -> str:
    return settings.SITE_URL + link if link.startswith("/") else link


def _mail_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def _target_fields(target) -> tuple[ContentType | None, int | None]:
    if target is None:
        return None, None
    return ContentType.objects.get_for_model(target), target.pk


def _idempotency_key(key: str | None, *, channel: str, recipient, address: str) -> str:
    if key is None:
        return uuid.uuid4().hex
    if isinstance(recipient, get_user_model()):
        who = f"user:{recipient.pk}"
    elif isinstance(recipient, models.Model):
        who = f"{recipient._meta.label_lower}:{recipient.pk}"
    else:
        who = f"address:{address.lower()}"
    composite = f"{key}|{channel}|{who}"
    return composite if len(composite) <= 255 else hashlib.sha256(composite.encode()).hexdigest()


class _LenientEncoder(DjangoJSONEncoder):
    """The stored context is for people reading the outbox; what JSON cannot hold is kept as text."""

    def default(self, o):
        try:
            return super().default(o)
        except TypeError:
            return str(o)
