"""The service desk's system texts: message keys and their templates (``admin24.messages``).

What its services and robots write onto ticket histories and tell staff is stored as one of
these keys with its parameters and shown in each reader's language. ``say`` builds a message.
"""

from django.utils.translation import gettext_lazy as _

from admin24.messages import Message, register

TEMPLATES = {
    "servicedesk.assigned.title": _("Ticket assigned to you: %(ticket)s"),
    "servicedesk.assigned.text": _("%(who)s gave you ticket %(number)s “%(subject)s”."),
    "servicedesk.client_replied": _("The client replied."),
    "servicedesk.client_replied.title": _("The client replied: %(ticket)s"),
    "servicedesk.client_replied.reopened": _("The client replied, the ticket is in work again: %(ticket)s"),
    "servicedesk.reaction_breach.title": _("Reaction time breached: %(ticket)s"),
    "servicedesk.reaction_breach.text": _(
        "Nobody has started work on ticket %(number)s “%(subject)s” within the reaction time."
    ),
    "servicedesk.resolution_breach.title": _("Deadline breached: %(ticket)s"),
    "servicedesk.resolution_breach.text": _("Ticket %(number)s “%(subject)s” is not done by its deadline."),
    "servicedesk.deferral_over": _("The deferral is over."),
    "servicedesk.deferral_over.title": _("Back in work: %(ticket)s"),
    "servicedesk.deferral_over.text": _(
        "The deferral of ticket %(number)s “%(subject)s” is over; it is in work again."
    ),
    "servicedesk.robot": _("Admin24"),
}

for _key, _template in TEMPLATES.items():
    register(_key, _template)


def say(key: str, /, **params) -> Message:
    """The message ``key`` (one of ``TEMPLATES``) with ``params``."""
    return Message(key, **params)
