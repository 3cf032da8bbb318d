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
    # the email intake: a client's reply of files only, the files it refused and why, a bounce
    "servicedesk.files_attached": _("(files attached)"),
    "servicedesk.email.files_refused": _("Files of the email not accepted: %(files)s"),
    "servicedesk.file_refused": _("%(name)s (type or size)"),  # a refusal of no known code
    "servicedesk.file_refused.file_type": _("%(name)s (a kind of file not accepted)"),
    "servicedesk.file_refused.file_too_big": _("%(name)s (larger than one file may be)"),
    "servicedesk.file_refused.files_too_big": _("%(name)s (all files together too large)"),
    "servicedesk.file_refused.too_many_files": _("%(name)s (more files than one message may bring)"),
    "servicedesk.file_refused.archive": _("%(name)s (an archive that unpacks to too much)"),
    "servicedesk.email.returned": _("Returned by the mail server: %(d)s"),
}

# Why a file is refused (the ``ValidationError`` codes of ``uploads.check_files`` and
# ``admin24.files``) → the key that says so.
REFUSAL_KEYS = {
    "file_type": "servicedesk.file_refused.file_type",
    "file_too_big": "servicedesk.file_refused.file_too_big",
    "files_too_big": "servicedesk.file_refused.files_too_big",
    "too_many_files": "servicedesk.file_refused.too_many_files",
    "archive_ratio": "servicedesk.file_refused.archive",
    "archive_expands": "servicedesk.file_refused.archive",
    "archive_members": "servicedesk.file_refused.archive",
}

for _key, _template in TEMPLATES.items():
    register(_key, _template)


def say(key: str, /, **params) -> Message:
    """The message ``key`` (one of ``TEMPLATES``) with ``params``."""
    return Message(key, **params)


def file_refused(name: str, code: str | None) -> Message:
    """A refused file's name and why (``REFUSAL_KEYS``), for ``servicedesk.email.files_refused``."""
    return Message(REFUSAL_KEYS.get(code or "", "servicedesk.file_refused"), name=name)
