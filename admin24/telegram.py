"""The Telegram Bot API as plain HTTP calls, and what the apps share about the bot.

The kernel knows no app: the service desk's settings hold the bot's token and username, so the
service desk registers itself as their provider (``provide``), as it does for ``company``.
Every call goes to ``settings.TELEGRAM_API_BASE_URL`` + ``/bot<token>/<method>`` (files from
``/file/bot<token>/<path>``), so a company can run Telegram's own local Bot API server and the
tests a fake one.

A chat that can never be written to again ("bot was blocked by the user", "chat not found") is
reported to the ``on_blocked`` listeners: the service desk disables its client chat, the
notifications app unlinks a staff member's chat and tells them in the app.
"""

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from django.conf import settings

log = logging.getLogger(__name__)

__all__ = [
    "BotApiError",
    "BotIdentity",
    "call",
    "chat_blocked",
    "download",
    "identity",
    "is_permanent_chat_error",
    "on_blocked",
    "provide",
]

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024


@dataclass(frozen=True)
class BotIdentity:
    token: str = ""
    username: str = ""


class BotApiError(Exception):
    """The Bot API refused the call (``code`` its error_code, 0 for no answer at all)."""

    def __init__(self, code: int, description: str, retry_after: int | None = None):
        super().__init__(f"{code}: {description}" if code else description)
        self.code, self.description, self.retry_after = code, description, retry_after

    @property
    def temporary(self) -> bool:
        return self.code in (0, 429) or self.code >= 500


# What Telegram answers when a chat will never accept a message from the bot again.
_PERMANENT_CHAT_ERRORS = (
    "bot was blocked by the user",
    "chat not found",
    "user is deactivated",
    "bot was kicked",
    "bot can't initiate conversation",
    "peer_id_invalid",
)


def is_permanent_chat_error(error: BotApiError) -> bool:
    text = error.description.lower()
    return error.code in (400, 403) and any(marker in text for marker in _PERMANENT_CHAT_ERRORS)


_provider: Callable[[], BotIdentity] | None = None
_blocked_listeners: list[Callable[[int, str], None]] = []
_clients = threading.local()


def provide(fn: Callable[[], BotIdentity]) -> Callable[[], BotIdentity]:
    """Register ``fn() -> BotIdentity`` (the token and username in force now)."""
    global _provider
    _provider = fn
    return fn


def identity() -> BotIdentity:
    return _provider() if _provider is not None else BotIdentity()


def on_blocked(fn: Callable[[int, str], None]) -> Callable[[int, str], None]:
    """Subscribe ``fn(chat_id, reason)`` to "this chat can never be written to again"."""
    _blocked_listeners.append(fn)
    return fn


def chat_blocked(chat_id: int, reason: str) -> None:
    for listener in _blocked_listeners:
        listener(int(chat_id), reason)


def _client() -> httpx.Client:
    client = getattr(_clients, "client", None)
    if client is None:
        client = _clients.client = httpx.Client()
    return client


def method_url(token: str, method: str) -> str:
    return f"{settings.TELEGRAM_API_BASE_URL}/bot{token}/{method}"


def file_url(token: str, path: str) -> str:
    return f"{settings.TELEGRAM_API_BASE_URL}/file/bot{token}/{path}"


def call(method: str, params: dict | None = None, *, files: dict | None = None, token: str | None = None, timeout=None):
    """The ``result`` of one Bot API call; raises ``BotApiError``.

    ``files``: ``{field: (file name, bytes)}``, sent as multipart with ``params`` as its fields.
    """
    token = token if token is not None else identity().token
    if not token:
        raise BotApiError(0, "no Telegram bot token is set")
    timeout = timeout if timeout is not None else settings.TELEGRAM_TIMEOUT
    params = {key: value for key, value in (params or {}).items() if value is not None}
    try:
        if files:
            fields = {k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for k, v in params.items()}
            response = _client().post(method_url(token, method), data=fields, files=files, timeout=timeout)
        else:
            response = _client().post(method_url(token, method), json=params, timeout=timeout)
    except httpx.HTTPError as exc:
        raise BotApiError(0, f"the Bot API did not answer: {type(exc).__name__}: {exc}") from exc
    try:
        answer = response.json()
    except ValueError:
        raise BotApiError(response.status_code or 0, f"not a Bot API answer (HTTP {response.status_code})") from None
    if not isinstance(answer, dict):
        raise BotApiError(response.status_code, "not a Bot API answer")
    if answer.get("ok"):
        return answer.get("result")
    retry_after = (answer.get("parameters") or {}).get("retry_after")
    raise BotApiError(
        int(answer.get("error_code") or response.status_code or 0),
        str(answer.get("description") or "error"),
        int(retry_after) if isinstance(retry_after, int | float) else None,
    )


def download(file_id: str, *, limit: int, token: str | None = None) -> tuple[str, bytes]:
    """The ``(file_path, bytes)`` of a file the bot received; ``BotApiError`` when it is over ``limit``."""
    token = token if token is not None else identity().token
    found = call("getFile", {"file_id": file_id}, token=token)
    size = int(found.get("file_size") or 0)
    if size > limit:
        raise BotApiError(413, "file is too big")
    path = found.get("file_path") or ""
    if not path:
        raise BotApiError(400, "the file has no path to download")
    try:
        with _client().stream("GET", file_url(token, path), timeout=settings.TELEGRAM_TIMEOUT) as response:
            if response.status_code != 200:
                raise BotApiError(response.status_code, "the file could not be downloaded")
            data = bytearray()
            for chunk in response.iter_bytes():
                data += chunk
                if len(data) > limit:
                    raise BotApiError(413, "file is too big")
    except httpx.HTTPError as exc:
        raise BotApiError(0, f"the file did not download: {exc}") from exc
    return path, bytes(data)
