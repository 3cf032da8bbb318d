"""What a notification tells its recipient: an in-app notice as they read it (in their language
and time zone), an outbox row as it goes out (rendered as the delivery renders it, or as it went)."""

from django.utils import timezone, translation

from notifications.models import Notification, OutboxMessage
from notifications.services import outbox_drafted


def told(note: Notification) -> tuple[str, str]:
    """The title and text of ``note`` in its recipient's language and time zone."""
    reader = note.recipient
    with translation.override(reader.language or None), timezone.override(reader.time_zone or None):
        return note.shown_title, note.shown_body


def titles(notes) -> list[str]:
    """``told`` titles of ``notes`` (a queryset or list), in their order."""
    return [told(note)[0] for note in notes]


def emails(rows) -> list[OutboxMessage]:
    """``rows`` (a queryset or list) with the subject, text and HTML each sends (or sent)."""
    return outbox_drafted(list(rows))


def email(row: OutboxMessage) -> OutboxMessage:
    return emails([row])[0]
