"""Why a card entered its closed stage, kept as what was said (issue 13 §1).

A person's reason is kept as typed in ``closing_reason``. A robot's reason is a message
(``admin24.messages``) kept in ``closing_reason_message`` and shown in each reader's language;
``closing_reason`` then holds its text in the site's language, for search and the Django admin.
Each pipeline card (lead, deal, ticket) declares its own ``closing_reason`` (their labels differ)
and takes the message field and ``shown_closing_reason`` from this base.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from admin24 import messages


class ClosingReasonMessage(models.Model):
    closing_reason_message = models.JSONField(_("closing reason (message)"), default=dict, blank=True)

    class Meta:
        abstract = True

    @property
    def shown_closing_reason(self) -> str:
        """The closing reason in the active language (a robot's message), or as typed."""
        return messages.render_stored(self.closing_reason_message, fallback=self.closing_reason)
