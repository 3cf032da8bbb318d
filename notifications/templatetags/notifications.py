from django import template

from notifications import services
from notifications.models import OutboxMessage

register = template.Library()


@register.simple_tag
def unread_notifications(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return services.unread_count(user=user)


@register.simple_tag
def outbox_message(pk) -> OutboxMessage | None:
    """The outbox row a timeline entry names, for its delivery status."""
    return OutboxMessage.objects.filter(pk=pk).only("status", "last_error", "last_error_message", "sent_at").first()
