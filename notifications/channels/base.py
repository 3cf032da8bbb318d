"""The channel interface: find a recipient's address, send one outbox message, classify failures."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from django.core.files.storage import default_storage

if TYPE_CHECKING:
    from notifications.models import OutboxMessage


class TemporaryError(Exception):
    """The provider may accept the message later (network, rate limit, 5xx): retry with backoff.

    ``retry_after``: the seconds the provider asked us to wait (Telegram's 429), used instead of
    the backoff.
    """

    def __init__(self, *args, retry_after: int | None = None):
        super().__init__(*args)
        self.retry_after = retry_after


class PermanentError(Exception):
    """The message can never be delivered as it is (bad address, rejected content): mark it failed."""


class UnknownChannel(LookupError):
    pass


def read_attachment(message: OutboxMessage, path: str) -> tuple[str, bytes]:
    """One of ``message``'s files: the name the reader sees (its original name, when the sender
    gave ``file_names`` in the context; storage names are random) and its content."""
    names = (message.context or {}).get("file_names") or {}
    try:
        with default_storage.open(path, "rb") as handle:
            content = handle.read()
    except FileNotFoundError:
        raise PermanentError(f"attachment {path!r} is missing from storage") from None
    except OSError as exc:
        raise TemporaryError(f"attachment {path!r} could not be read: {exc}") from exc
    return names.get(path) or PurePosixPath(path).name, content


class Channel:
    name: str = ""

    def address_for(self, recipient) -> str | None:
        """Where this channel reaches the recipient, or None when it cannot."""
        raise NotImplementedError

    def parts(self, rendered) -> tuple[str, str]:
        """The text and HTML this channel stores for a rendered notification."""
        return rendered.text, rendered.html

    def send(self, message: OutboxMessage) -> str:
        """Deliver the message; return the provider's id for it. Raise TemporaryError or PermanentError."""
        raise NotImplementedError


_registry: dict[str, Channel] = {}


def register(channel_class: type[Channel]) -> type[Channel]:
    if not channel_class.name:
        raise ValueError(f"{channel_class.__name__} has no name")
    _registry[channel_class.name] = channel_class()
    return channel_class


def get(name: str) -> Channel:
    try:
        return _registry[name]
    except KeyError:
        raise UnknownChannel(f"unknown notification channel {name!r}; known: {sorted(_registry)}") from None
