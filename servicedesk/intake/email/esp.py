"""ESP inbound webhooks through django-anymail (``/anymail/<esp>/inbound/``): store, answer at once."""

from anymail.signals import inbound
from django.dispatch import receiver

from ...models import InboundEmail
from .store import ingest


@receiver(inbound, dispatch_uid="servicedesk.inbound_email")
def store_inbound(sender, event, esp_name, **kwargs):
    message = event.message
    if message is None:
        return
    # The raw message as the ESP gave it; processing happens after commit in a task.
    ingest(message.as_bytes(), source=InboundEmail.Source.ESP)
