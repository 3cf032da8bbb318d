"""The Telegram bot: every update, from the webhook or the polling process, is handled here.

``store`` keeps an update once (its ``update_id`` is unique, a re-delivered one is ignored) and
has a Celery task handle it after commit; ``handle`` runs the dialogue of SPEC §1 for a client
chat (service, name, email, phone, company, subject, description, files, consents, summary →
the ticket through the web form's own validation and ``accept_ticket``, source ``telegram``),
turns a client's other messages into comments on their ticket, and links staff chats
(``/start <token>`` from the profile's «Подключить Telegram»).

The dialogue's state is the ``TelegramChat`` row (step and draft), locked while an update of
that chat is handled, so any process continues any chat and two updates never mix drafts. The
replies are sent after the state is committed.
"""

import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.datastructures import MultiValueDict
from django.utils.html import escape
from django.utils.translation import gettext as _

from admin24 import telegram
from admin24.normalize import normalize_phone, validate_phone
from crm.services.directory import company_for_email
from notifications.models import OutboxMessage
from notifications.services import notify
from notifications.staff_telegram import link_chat

from .. import texts, uploads
from ..emails import client_page_url
from ..models import DeskSettings, Service, TelegramChat, TelegramTicket, TelegramUpdate, Ticket, TicketSource
from ..models.telegram import DRAFT_LIFETIME
from ..services import add_comment
from . import snapshot, web
from .forms import PublicTicketForm

log = logging.getLogger(__name__)

FLOOD_PER_MINUTE = 20
TEXT_LIMIT = 4000
STEPS = ("service", "name", "email", "phone", "company", "subject", "description", "files", "consent", "confirm")
MAX_ATTEMPTS = 5


# --- storing and dispatching updates ----------------------------------------------------------


def update_id_of(payload) -> int | None:
    """The update's id, or None when ``payload`` is no update: an id that is no whole number or
    does not fit the column (a boolean is Python's int too) would fail the insert."""
    update_id = payload.get("update_id") if isinstance(payload, dict) else None
    if type(update_id) is not int or not -(2**63) <= update_id < 2**63:
        return None
    return update_id


def _without_nul(value):
    """``value`` with each NUL in its strings and keys shown as U+FFFD: PostgreSQL's jsonb refuses
    a NUL, and the message around it is still the client's to be answered."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    return value


def store(payload: dict) -> TelegramUpdate | None:
    """Keep an update once and have it handled after commit; None for a duplicate or a non-update."""
    update_id = update_id_of(payload)
    if update_id is None:
        return None
    try:
        with transaction.atomic():
            update = TelegramUpdate.objects.create(update_id=update_id, payload=_without_nul(payload))
    except IntegrityError:
        return None
    transaction.on_commit(lambda: _publish(update.pk))
    return update


def _publish(pk: int) -> None:
    from celery import current_app

    try:
        current_app.tasks["servicedesk.telegram_handle"].delay(pk)
    except Exception:
        log.warning("Telegram update %s: could not queue it; the sweeper will", pk, exc_info=True)


def sweep(*, older_than: timedelta = timedelta(seconds=30)) -> int:
    """Queue again the updates nobody handled (broker down, worker died)."""
    pks = list(
        TelegramUpdate.objects.filter(
            status=TelegramUpdate.Status.PENDING, received_at__lt=timezone.now() - older_than
        ).values_list("pk", flat=True)[:500]
    )
    for pk in pks:
        _publish(pk)
    return len(pks)


def handle_again(updates) -> int:
    """Queue the failed ones of ``updates`` again with fresh attempts (the admin's action); how many."""
    pks = list(updates.filter(status=TelegramUpdate.Status.FAILED).values_list("pk", flat=True))
    TelegramUpdate.objects.filter(pk__in=pks, status=TelegramUpdate.Status.FAILED).update(
        status=TelegramUpdate.Status.PENDING, attempts=0, error=""
    )
    for pk in pks:
        transaction.on_commit(lambda pk=pk: _publish(pk))
    return len(pks)


def handle(pk: int) -> None:
    """Handle one stored update once (a second task for it finds it done and does nothing)."""
    claimed = TelegramUpdate.objects.filter(pk=pk, status=TelegramUpdate.Status.PENDING).update(
        attempts=F("attempts") + 1
    )
    if not claimed:
        return
    update = TelegramUpdate.objects.get(pk=pk)
    replies: list[Reply] = []
    try:
        # The network first, with no transaction open: a slow download holds no lock on the chat.
        received = _receive_file(update.payload)
        with transaction.atomic():
            # Locks the update: a duplicate task waits here and then finds it done.
            locked = TelegramUpdate.objects.select_for_update().get(pk=pk)
            if locked.status != TelegramUpdate.Status.PENDING:
                return
            replies = _dispatch(update.payload, received)
            locked.status, locked.handled_at, locked.error = TelegramUpdate.Status.DONE, timezone.now(), ""
            locked.save(update_fields=["status", "handled_at", "error"])
    except Exception as exc:
        log.exception("Telegram update %s could not be handled", update.update_id)
        failed = update.attempts >= MAX_ATTEMPTS
        TelegramUpdate.objects.filter(pk=pk).update(
            status=TelegramUpdate.Status.FAILED if failed else TelegramUpdate.Status.PENDING,
            error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        return
    for reply in replies:
        reply.send()


@dataclass
class Reply:
    method: str
    params: dict = field(default_factory=dict)

    def send(self) -> None:
        for _attempt in range(3):
            try:
                telegram.call(self.method, self.params)
                return
            except telegram.BotApiError as error:
                if error.code == 429 and error.retry_after and error.retry_after <= 5:
                    time.sleep(error.retry_after)
                    continue
                if telegram.is_permanent_chat_error(error) and "chat_id" in self.params:
                    telegram.chat_blocked(int(self.params["chat_id"]), error.description)
                log.warning("Telegram %s failed: %s", self.method, error)
                return


@dataclass(frozen=True)
class Received:
    """The file a message carried, downloaded before the update's transaction: its content, or
    why it could not be had (``BotApiError``; code 413 when it is over the desk's limit)."""

    file_id: str
    content: bytes = b""
    error: telegram.BotApiError | None = None


def _message_file(message: dict) -> tuple[str, str] | None:
    """``(file_id, name)`` of the document or photo (its largest size) a message carries."""
    if isinstance(message.get("document"), dict):
        document = message["document"]
        return str(document.get("file_id") or ""), str(document.get("file_name") or "document")
    if isinstance(message.get("photo"), list) and message["photo"]:
        return str(message["photo"][-1].get("file_id") or ""), "photo.jpg"
    return None


def _receive_file(payload: dict) -> Received | None:
    """Download the update's file, outside any transaction, when the chat may want it.

    A chat in the middle of the dialogue at a step other than files answers "files come a little
    later" and needs nothing; nor does a chat over its flood limit, whose message is dropped
    unread (a flood of large files would otherwise keep the worker downloading). Whatever happens
    next, the download is only read: the ticket, the comment or the draft that keeps it is written
    in the update's transaction, so a handling that fails and is run again downloads again and
    still makes one comment.
    """
    message = payload.get("message") if isinstance(payload, dict) else None
    if not isinstance(message, dict) or (message.get("chat") or {}).get("type") != "private":
        return None
    found = _message_file(message)
    if found is None or not found[0]:
        return None
    chat = TelegramChat.objects.filter(chat_id=message["chat"].get("id")).first()
    if chat is not None and ((chat.step and chat.step != "files") or _flooded(chat, timezone.now())):
        return None  # the dialogue will not take a file now, or the flood check will drop the message
    try:
        _path, content = telegram.download(found[0], limit=snapshot.desk().max_file_bytes)
    except telegram.BotApiError as error:
        return Received(found[0], error=error)
    return Received(found[0], content=content)


def _dispatch(payload: dict, received: Received | None = None) -> list[Reply]:
    if "callback_query" in payload:
        query = payload["callback_query"]
        message = query.get("message") or {}
        chat_id = (message.get("chat") or {}).get("id") or (query.get("from") or {}).get("id")
        replies = [Reply("answerCallbackQuery", {"callback_query_id": query.get("id")})]
        if chat_id and message.get("message_id"):
            replies.append(
                Reply(
                    "editMessageReplyMarkup",
                    {"chat_id": chat_id, "message_id": message["message_id"], "reply_markup": {"inline_keyboard": []}},
                )
            )
        if not chat_id:
            return replies
        return replies + _in_chat(chat_id, query.get("from") or {}, callback=str(query.get("data") or ""))
    if "edited_message" in payload:
        message = payload["edited_message"]
        chat_id = (message.get("chat") or {}).get("id")
        if not chat_id:
            return []
        chat = _chat(chat_id, message.get("from") or {})
        with translation.override(chat.language):
            return [_say(chat_id, _("Edited messages are not read: please send the correction as a new message."))]
    message = payload.get("message")
    if not isinstance(message, dict):
        return []
    chat = message.get("chat") or {}
    if chat.get("type") != "private":
        return []
    return _in_chat(chat["id"], message.get("from") or {}, message=message, received=received)


# --- one chat -----------------------------------------------------------------------------------


def _chat(chat_id: int, sender: dict) -> TelegramChat:
    chat, _created = TelegramChat.objects.get_or_create(chat_id=chat_id)
    chat = TelegramChat.objects.select_for_update().get(pk=chat.pk)
    language = "en" if str(sender.get("language_code") or "").lower().startswith("en") else "ru"
    changed = False
    for name, value in (
        ("language", language),
        ("first_name", str(sender.get("first_name") or "")[:200]),
        ("last_name", str(sender.get("last_name") or "")[:200]),
        ("username", str(sender.get("username") or "")[:64]),
    ):
        if value and getattr(chat, name) != value:
            setattr(chat, name, value)
            changed = True
    if chat.disabled:
        # The client wrote again: they unblocked the bot.
        chat.disabled, chat.disabled_reason, changed = False, "", True
    if changed:
        chat.save()
    return chat


def _in_chat(
    chat_id: int, sender: dict, *, message: dict | None = None, callback: str | None = None, received=None
) -> list[Reply]:
    chat = _chat(chat_id, sender)
    with translation.override(chat.language):
        if message is not None and _flooding(chat):
            if chat.flood_warned:
                return []
            chat.flood_warned = True
            chat.save(update_fields=["flood_warned"])
            return [_say(chat_id, _("You are sending messages too fast. Please wait a minute and go on."))]
        if chat.step and chat.draft_expired:
            _drop_draft(chat)
            chat.save()
            if callback is None and not (message or {}).get("text", "").startswith("/"):
                return [_say(chat_id, _("Your unfinished request expired after 24 hours. Send /new to start again."))]
        dialogue = Dialogue(chat, sender, received)
        replies = dialogue.on_callback(callback) if callback is not None else dialogue.on_message(message)
        chat.save()
        return replies


def _in_window(chat: TelegramChat, now) -> bool:
    return chat.window_started_at is not None and now - chat.window_started_at <= timedelta(minutes=1)


def _flooded(chat: TelegramChat, now) -> bool:
    """Whether this minute's messages are used up, so the next one is dropped (nothing counted)."""
    return _in_window(chat, now) and chat.window_count >= FLOOD_PER_MINUTE


def _flooding(chat: TelegramChat) -> bool:
    """Count one more message of the chat; whether it is over this minute's limit."""
    now = timezone.now()
    if not _in_window(chat, now):
        chat.window_started_at, chat.window_count, chat.flood_warned = now, 0, False
    chat.window_count += 1
    chat.save(update_fields=["window_started_at", "window_count", "flood_warned"])
    return chat.window_count > FLOOD_PER_MINUTE


def _say(chat_id: int, text: str, *, keyboard: list[list[dict]] | None = None, reply_keyboard=None) -> Reply:
    params = {"chat_id": chat_id, "text": text[: telegram.MESSAGE_LIMIT], "parse_mode": "HTML"}
    params["link_preview_options"] = {"is_disabled": True}
    if keyboard is not None:
        params["reply_markup"] = {"inline_keyboard": keyboard}
    elif reply_keyboard is not None:
        params["reply_markup"] = reply_keyboard
    return Reply("sendMessage", params)


def _button(text: str, data: str) -> dict:
    return {"text": text, "callback_data": data}


def _drop_draft(chat: TelegramChat) -> None:
    for item in (chat.draft or {}).get("files", []):
        default_storage.delete(item["path"])
    _drop_pending_files(chat.draft)
    chat.step, chat.draft, chat.draft_updated_at = "", {}, None


REMOVE_KEYBOARD = {"remove_keyboard": True}


def _drop_pending_files(draft: dict | None) -> None:
    """The files of a message waiting for «which request?», once it is answered or dropped (after
    the commit: a rolled-back handling still needs them)."""
    paths = [item[0] for item in ((draft or {}).get("pending") or {}).get("files", []) if _is_stored(item[0])]
    if paths:
        transaction.on_commit(lambda: [default_storage.delete(path) for path in paths])


PENDING_FILES = "servicedesk/telegram/pending/"


def _is_stored(path) -> bool:
    return isinstance(path, str) and path.startswith(PENDING_FILES)


class Dialogue:
    def __init__(self, chat: TelegramChat, sender: dict, received: Received | None = None):
        self.chat, self.sender, self.id = chat, sender, chat.chat_id
        self.desk = snapshot.desk()
        self.received = received

    def content_of(self, file_id) -> bytes:
        """The downloaded file ``file_id`` (``handle`` fetched it before the transaction)."""
        if self.received is None or self.received.file_id != str(file_id):
            raise telegram.BotApiError(0, "the file was not downloaded")
        if self.received.error is not None:
            raise self.received.error
        return self.received.content

    # --- entry points -----------------------------------------------------------------------

    def on_message(self, message: dict) -> list[Reply]:
        text = message.get("text")
        if isinstance(text, str) and text.startswith("/"):
            command, _space, argument = text.partition(" ")
            return self.command(command.split("@")[0].lower(), argument.strip())
        if message.get("sticker") is not None:
            return [self.say(_("Stickers are nice, but I read only text, documents and photos."))]
        if any(message.get(kind) is not None for kind in ("voice", "audio", "video", "video_note", "animation")):
            return [self.say(_("I cannot listen to voice or watch video messages: please write it as text."))]
        step = self.chat.step
        if not step:
            return self.outside_dialogue(message)
        if message.get("contact") is not None and step == "phone":
            return self.phone(str(message["contact"].get("phone_number") or ""))
        if message.get("document") is not None or message.get("photo"):
            if step == "files":
                return self.file(message)
            return [self.say(_("Files come a little later: please answer the question above first."))]
        if not isinstance(text, str) or not text.strip():
            return [self.say(_("Please answer with text.")), *self.ask(step)]
        if len(text) > TEXT_LIMIT:
            return [self.say(_("This text is too long: at most %(limit)d characters.") % {"limit": TEXT_LIMIT})]
        return self.answer(step, text.strip())

    def on_callback(self, data: str) -> list[Reply]:
        kind, _colon, value = data.partition(":")
        step = self.chat.step
        if kind == "reply":
            return self.reply_to_chosen(value)
        if kind == "new":
            return self.start_draft()
        if not step:
            return [self.say(_("This button is from an earlier request. Send /new to file a new one."))]
        if kind == "service" and step == "service":
            service = snapshot.services_for(self.desk).get(_int(value))
            if service is None:
                return [self.say(_("This service is no longer offered. Choose another one.")), *self.ask("service")]
            self.put(service=service.pk, service_name=service.name)
            return self.go("name")
        if kind == "keep" and step in ("name", "company"):
            return self.answer(step, self.draft.get(f"suggested_{step}", ""))
        if kind == "skip" and step in ("phone", "company") and not (step == "phone" and self.desk.phone_required):
            self.put(**{step: ""})
            return self.go("company" if step == "phone" else "subject")
        if kind == "done" and step == "files":
            return self.go("consent")
        if kind == "consent" and step == "consent":
            return self.go("confirm")
        if kind == "confirm" and step == "confirm":
            return self.submit()
        if kind == "cancel":
            return self.command("/cancel", "")
        return [self.say(_("This button no longer applies.")), *self.ask(step)]

    def command(self, command: str, argument: str) -> list[Reply]:
        if command == "/start" and argument:
            return self.link_staff(argument)
        if command in ("/start", "/new"):
            return self.start_draft(greet=command == "/start")
        if command == "/cancel":
            if not self.chat.step:
                return [self.say(_("There is nothing to cancel. Send /new to file a request."))]
            _drop_draft(self.chat)
            return [
                self.say(_("The request is cancelled. Send /new to start a new one."), reply_keyboard=REMOVE_KEYBOARD)
            ]
        if command == "/status":
            return [self.status()]
        if command == "/help":
            return [self.say(self.help_text())]
        return [self.say(_("I do not know this command.") + "\n\n" + self.help_text())]

    # --- the draft ----------------------------------------------------------------------------

    @property
    def draft(self) -> dict:
        return self.chat.draft

    def put(self, **values) -> None:
        self.chat.draft = {**self.chat.draft, **values}
        self.chat.draft_updated_at = timezone.now()

    def say(self, text: str, **kwargs) -> Reply:
        return _say(self.id, text, **kwargs)

    def help_text(self) -> str:
        return _(
            "/new — file a new request\n/status — your open requests\n/cancel — drop the request you are filling in"
        )

    def start_draft(self, *, greet: bool = False) -> list[Reply]:
        _drop_draft(self.chat)
        self.chat.step = "service"
        self.chat.draft_updated_at = timezone.now()
        replies = []
        if greet:
            company = self.desk.header_company_name or self.desk.legal_name or _("our company")
            replies.append(
                self.say(
                    _("Hello! This is the support service of %(company)s. I will help you file a request.")
                    % {"company": escape(company)}
                )
            )
        if not snapshot.services_for(self.desk):
            self.chat.step = ""
            return [*replies, self.say(_("Requests cannot be filed at the moment: no services are offered."))]
        return replies + self.ask("service")

    def go(self, step: str) -> list[Reply]:
        self.chat.step = step
        self.chat.draft_updated_at = timezone.now()
        return self.ask(step)

    def ask(self, step: str) -> list[Reply]:
        cancel = [_button(_("Cancel"), "cancel")]
        if step == "service":
            rows = [[_button(s.name, f"service:{pk}")] for pk, s in snapshot.services_for(self.desk).items()]
            return [self.say(_("Choose the service:"), keyboard=[*rows, cancel])]
        if step == "name":
            suggested = " ".join(
                part for part in (self.sender.get("first_name"), self.sender.get("last_name")) if part
            ).strip()
            self.put(suggested_name=suggested)
            keyboard = [[_button(suggested, "keep:")], cancel] if suggested else [cancel]
            return [self.say(_("What is your name? Write it or press the button."), keyboard=keyboard)]
        if step == "email":
            return [self.say(_("Your email: we will send the answers there too."))]
        if step == "phone":
            share = {
                "keyboard": [[{"text": _("Share my phone number"), "request_contact": True}]],
                "resize_keyboard": True,
                "one_time_keyboard": True,
            }
            text = (
                _("Your phone number: press the button below or type it.")
                if self.desk.phone_required
                else _("Your phone number: press the button below or type it (or skip).")
            )
            replies = [self.say(text, reply_keyboard=share)]
            if not self.desk.phone_required:
                replies.append(self.say(_("No phone?"), keyboard=[[_button(_("Skip"), "skip:")]]))
            return replies
        if step == "company":
            suggested = self.draft.get("suggested_company", "")
            if suggested:
                keyboard = [[_button(suggested, "keep:")], [_button(_("Skip"), "skip:")]]
                text = _("Your company: is it %(company)s? Press the button or type another name.") % {
                    "company": escape(suggested)
                }
            else:
                keyboard = [[_button(_("Skip"), "skip:")]]
                text = _("Your company's name (or skip):")
            return [self.say(text, keyboard=keyboard, reply_keyboard=None)]
        if step == "subject":
            return [self.say(_("The subject of the request, in a few words:"), reply_keyboard=REMOVE_KEYBOARD)]
        if step == "description":
            return [self.say(_("Describe the problem in detail:"))]
        if step == "files":
            return [
                self.say(
                    _("Attach files if you have any (documents or photos, several). Press «Done» when finished."),
                    keyboard=[[_button(_("Done adding files"), "done:")]],
                )
            ]
        if step == "consent":
            consent_url = settings.SITE_URL + reverse("desk:consent")
            return [
                self.say(
                    _(
                        "To accept the request we need your consent to the processing of your personal data by "
                        "the Service Desk and by the company: %(link)s"
                    )
                    % {"link": f'<a href="{consent_url}">{escape(consent_url)}</a>'},
                    keyboard=[[_button(_("I consent to both"), "consent:")], cancel],
                )
            ]
        if step == "confirm":
            return [self.say(self.summary(), keyboard=[[_button(_("Send the request"), "confirm:")], cancel])]
        return []

    def answer(self, step: str, text: str) -> list[Reply]:
        if step == "name":
            if not text:
                return [self.say(_("Tell us your name."))]
            self.put(name=text[:300])
            return self.go("email")
        if step == "email":
            try:
                validate_email(text)
            except ValidationError:
                return [self.say(_("This is not an email address. Enter an email like name@example.ru."))]
            company = company_for_email(text)
            self.put(email=text, suggested_company=company.name if company else "")
            return self.go("phone")
        if step == "phone":
            return self.phone(text)
        if step == "company":
            self.put(company=text[:300])
            return self.go("subject")
        if step == "subject":
            if len(text) > 300:
                return [self.say(_("The subject is too long: at most 300 characters. Make it shorter."))]
            self.put(subject=text)
            return self.go("description")
        if step == "description":
            self.put(description=text)
            return self.go("files")
        if step == "service":
            return [self.say(_("Choose the service with a button.")), *self.ask("service")]
        return [self.say(_("Please use the buttons above.")), *self.ask(step)]

    def phone(self, phone: str) -> list[Reply]:
        try:
            validate_phone(phone)
        except ValidationError:
            return [self.say(_("This does not look like a phone number. Type it like +7 900 123-45-67."))]
        if not normalize_phone(phone):
            return [self.say(_("Enter your phone number."))]
        self.put(phone=normalize_phone(phone))
        return self.go("company")

    def file(self, message: dict) -> list[Reply]:
        if message.get("document") is not None:
            document = message["document"]
            file_id, name = document.get("file_id"), str(document.get("file_name") or "document")
        else:
            largest = message["photo"][-1]
            file_id, name = largest.get("file_id"), f"photo-{len(self.draft.get('files', [])) + 1}.jpg"
        files = list(self.draft.get("files", []))
        if len(files) >= self.desk.max_files:
            return [self.say(_("Attach at most %(count)d files.") % {"count": self.desk.max_files})]
        try:
            content = self.content_of(file_id)
        except telegram.BotApiError as error:
            if error.code == 413:
                return [
                    self.say(
                        _("The file “%(name)s” is too big: one file may be at most %(limit)d MB.")
                        % {"name": escape(name), "limit": self.desk.max_file_mb}
                    )
                ]
            return [self.say(_("The file could not be received. Please send it again."))]
        upload = SimpleUploadedFile(name, content)
        total = sum(item["size"] for item in files) + len(content)
        try:
            uploads.check_files(
                [upload],
                max_files=1,
                max_file_bytes=self.desk.max_file_bytes,
                max_total_bytes=self.desk.max_total_bytes,
            )
            if total > self.desk.max_total_bytes:
                raise ValidationError(
                    _("All files together may be at most %(limit)d MB.") % {"limit": self.desk.max_total_mb}
                )
        except ValidationError as error:
            return [self.say(escape(" ".join(error.messages)))]
        path = default_storage.save(f"servicedesk/telegram/{uuid.uuid4().hex}", ContentFile(content))
        files.append({"path": path, "name": name[:255], "size": len(content)})
        self.put(files=files)
        return [
            self.say(
                _("Received “%(name)s” (%(count)d in all). Send more or press «Done».")
                % {"name": escape(name), "count": len(files)},
                keyboard=[[_button(_("Done adding files"), "done:")]],
            )
        ]

    def summary(self) -> str:
        d = self.draft
        lines = [
            _("Please check your request:"),
            "",
            f"<b>{_('Service')}:</b> {escape(d.get('service_name', ''))}",
            f"<b>{_('Name')}:</b> {escape(d.get('name', ''))}",
            f"<b>{_('Email')}:</b> {escape(d.get('email', ''))}",
            f"<b>{_('Phone')}:</b> {escape(d.get('phone') or '—')}",
            f"<b>{_('Company')}:</b> {escape(d.get('company') or '—')}",
            f"<b>{_('Subject')}:</b> {escape(d.get('subject', ''))}",
            f"<b>{_('Description')}:</b> {escape(d.get('description', '')[:1500])}",
            f"<b>{_('Files')}:</b> {escape(', '.join(f['name'] for f in d.get('files', [])) or '—')}",
        ]
        return "\n".join(lines)

    def submit(self) -> list[Reply]:
        d = self.draft
        files = []
        for item in d.get("files", []):
            with default_storage.open(item["path"], "rb") as handle:
                files.append(SimpleUploadedFile(item["name"], handle.read()))
        data = {
            "service": str(d.get("service", "")),
            "name": d.get("name", ""),
            "email": d.get("email", ""),
            "phone": d.get("phone", ""),
            "company": d.get("company", ""),
            "subject": d.get("subject", ""),
            "description": d.get("description", ""),
            "consent_desk": "on",
            "consent_company": "on",
        }
        form = PublicTicketForm(data, MultiValueDict({"files": files}), desk=self.desk)
        if not form.is_valid():
            problems = "\n".join(f"• {escape(m)}" for errors in form.errors.values() for m in errors)
            first = next(iter(form.errors))
            step = {"service": "service", "phone": "phone", "files": "files"}.get(first)
            if step is None:
                step = first if first in STEPS else "service"
            return [self.say(_("The request cannot be accepted yet:") + "\n" + problems), *self.go(step)]
        try:
            ticket = web.accept(form=form, source=TicketSource.TELEGRAM)
        except ValidationError as error:
            return [self.say(escape(" ".join(error.messages))), *self.go("files")]
        TelegramTicket.objects.create(chat=self.chat, ticket=ticket)
        _drop_draft(self.chat)
        # The receipt is the client's record of the number and the page: through the outbox, so a
        # Bot API that is down or says 429 delays it instead of losing it, and as the first row of
        # the ticket's thread to this chat, so a quick staff answer never arrives before it.
        notify(
            self.chat,
            "servicedesk/telegram_accepted",
            {"number": ticket.display_number, "link": client_page_url(ticket)},
            channels=("telegram",),
            key=f"servicedesk.telegram_accepted:{ticket.pk}",
            target=ticket,
        )
        return []

    # --- outside the dialogue: replies and status ------------------------------------------

    def open_tickets(self):
        return list(Ticket.objects.filter(telegram_link__chat=self.chat).open().order_by("created_at"))

    def status(self) -> Reply:
        tickets = self.open_tickets()
        if not tickets:
            return self.say(_("You have no open requests. Send /new to file one."))
        lines = [_("Your open requests:")]
        for ticket in tickets:
            lines.append(
                f"{ticket.display_number} «{escape(ticket.subject)}» — {escape(ticket.get_status_display())}\n"
                f"{escape(client_page_url(ticket))}"
            )
        return self.say("\n\n".join(lines))

    def outside_dialogue(self, message: dict) -> list[Reply]:
        text = message.get("text") or message.get("caption") or ""
        if len(text) > TEXT_LIMIT:
            return [self.say(_("This text is too long: at most %(limit)d characters.") % {"limit": TEXT_LIMIT})]
        ticket = self.replied_ticket(message)
        if ticket is None:
            tickets = self.open_tickets()
            if not tickets:
                return [
                    self.say(_("To file a request, send /new."), keyboard=[[_button(_("File a new request"), "new:")]])
                ]
            if len(tickets) > 1:
                return self.ask_which(message, tickets)
            ticket = tickets[0]
        try:
            files = self.files_of(message)
        except telegram.BotApiError:
            return [self.say(_("The file could not be received. Please send it again."))]
        return self.comment(ticket, text, files)

    def files_of(self, message: dict) -> list[tuple[str, bytes]]:
        """``(name, content)`` of the file the message carries (none or one)."""
        found = _message_file(message)
        return [(found[1], self.content_of(found[0]))] if found else []

    def ask_which(self, message: dict, tickets) -> list[Reply]:
        """Several open requests: the message waits in the chat's draft, its file in storage."""
        try:
            files = self.files_of(message)
        except telegram.BotApiError:
            return [self.say(_("The file could not be received. Please send it again."))]
        _drop_pending_files(self.chat.draft)  # an earlier message nobody said where to put
        stored = [[default_storage.save(f"{PENDING_FILES}{uuid.uuid4().hex}", ContentFile(c)), n] for n, c in files]
        text = message.get("text") or message.get("caption") or ""
        self.chat.draft = {"pending": {"text": text, "files": stored}}
        self.chat.draft_updated_at = timezone.now()
        rows = [[_button(f"{t.display_number} {t.subject}"[:60], f"reply:{t.pk}")] for t in tickets]
        return [self.say(_("Which request is your message about?"), keyboard=rows)]

    def replied_ticket(self, message: dict) -> Ticket | None:
        replied = (message.get("reply_to_message") or {}).get("message_id")
        if not replied:
            return None
        # provider_id lists the ids of the chat messages one outbox row became, comma-separated.
        sent_as = str(replied)
        row = (
            OutboxMessage.objects.filter(channel="telegram", address=str(self.id))
            .filter(
                Q(provider_id=sent_as)
                | Q(provider_id__startswith=f"{sent_as},")
                | Q(provider_id__endswith=f",{sent_as}")
                | Q(provider_id__contains=f",{sent_as},")
            )
            .values_list("target_id", flat=True)
            .first()
        )
        return Ticket.objects.filter(pk=row, telegram_link__chat=self.chat).first() if row else None

    def reply_to_chosen(self, value: str) -> list[Reply]:
        pending = (self.chat.draft or {}).get("pending")
        ticket = Ticket.objects.filter(pk=_int(value), telegram_link__chat=self.chat).first()
        if not pending or ticket is None:
            return [self.say(_("This button no longer applies."))]
        files = []
        for path, name in pending.get("files", []):
            if not _is_stored(path) or not default_storage.exists(path):
                return [self.say(_("The file could not be received. Please send it again."))]
            with default_storage.open(path, "rb") as handle:
                files.append((name, handle.read()))
        _drop_pending_files(self.chat.draft)
        self.chat.draft, self.chat.draft_updated_at = {}, None
        return self.comment(ticket, pending.get("text") or "", files)

    def comment(self, ticket: Ticket, text: str, received: list[tuple[str, bytes]]) -> list[Reply]:
        files = [SimpleUploadedFile(name, content) for name, content in received]
        body = text or (texts.say("servicedesk.files_attached") if files else "")
        try:
            with transaction.atomic():
                add_comment(ticket=ticket, body=body, client=True, files=files, source=TicketSource.TELEGRAM)
        except ValidationError as error:
            return [self.say(escape(" ".join(error.messages)))]
        return [self.say(_("Added to request %(number)s.") % {"number": ticket.display_number})]

    # --- staff --------------------------------------------------------------------------------

    def link_staff(self, token: str) -> list[Reply]:
        user = link_chat(token=token, chat_id=self.id)
        if user is None:
            return [
                self.say(_("This link is not valid any more. Open your profile and press «Connect Telegram» again."))
            ]
        with translation.override(user.language):
            return [
                self.say(
                    _("Done: Admin24 notifications for %(name)s will come to this chat.")
                    % {"name": escape(user.full_name or user.username)}
                )
            ]


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- the bot's identity for the kernel and the outbox -------------------------------------------


@telegram.provide
def desk_bot() -> telegram.BotIdentity:
    desk = snapshot.desk()
    return telegram.BotIdentity(token=desk.telegram_token.strip(), username=desk.telegram_username.strip().lstrip("@"))


@telegram.on_blocked
def disable_client_chat(chat_id: int, reason: str) -> None:
    """A chat that blocked the bot gets nothing more: it is disabled and its waiting messages withdrawn."""
    TelegramChat.objects.filter(chat_id=chat_id).update(disabled=True, disabled_reason=reason[:300])
    from notifications.services import outbox_cancel

    outbox_cancel(
        messages=OutboxMessage.objects.filter(channel="telegram", address=str(chat_id)),
        reason=f"the chat is disabled: {reason}",
    )


def webhook_secret() -> str:
    """The desk's webhook secret, generated and saved when it is empty."""
    desk = DeskSettings.load()
    if not desk.telegram_webhook_secret:
        from ..models.settings import new_webhook_secret

        desk.telegram_webhook_secret = new_webhook_secret()
        desk.save(update_fields=["telegram_webhook_secret", "updated_at"])
    return desk.telegram_webhook_secret


__all__ = ["DRAFT_LIFETIME", "Service", "handle", "store", "sweep", "webhook_secret"]
