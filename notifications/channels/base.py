"""The channel interface: find a recipient's address, send one outbox message, classify failures."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
