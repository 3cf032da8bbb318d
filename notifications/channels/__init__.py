"""Delivery channels, registered by name. A new channel (Telegram) is a module that calls `register`."""

from .base import Channel, PermanentError, TemporaryError, UnknownChannel, get, register

# Importing the built-in channels registers them.
from . import email, telegram  # noqa: F401  isort: skip

__all__ = ["Channel", "PermanentError", "TemporaryError", "UnknownChannel", "get", "register"]
