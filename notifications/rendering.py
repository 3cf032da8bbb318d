"""A notification template's in-app parts — its title and text — from a context, in the active
language and time zone: at send time for the recipient (``services.render``) and whenever an
in-app notification is read, for its reader (``Notification.shown_title``)."""

from django.conf import settings
from django.template import Context
from django.template.loader import get_template

from admin24 import messages


def render_text(name: str, context: dict) -> str:
    # Plain text must not be HTML-escaped: «Ромашка & Co» stays as typed.
    return get_template(name).template.render(Context(context, autoescape=False))


def in_app_parts(template: str, context: dict) -> tuple[str, str]:
    """The title (``subject.txt`` on one line) and text (``body.txt`` without the email's link) of
    ``template`` with ``context`` (live values: messages, dates)."""
    return tidy_in_app(*in_app_raw(template, context))


def in_app_raw(template: str, context: dict) -> tuple[str, str]:
    """``in_app_parts`` as the templates render them, before ``tidy_in_app``."""
    # The in-app notification is itself the link: its text without the email's «Open: <URL>».
    context = {"site_url": settings.SITE_URL, "recipient_name": "", **context, "link": ""}
    title = render_text(f"notifications/{template}/subject.txt", context)
    body = render_text(f"notifications/{template}/body.txt", context)
    return title, body


def tidy_in_app(title: str, body: str) -> tuple[str, str]:
    return " ".join(title.split()), body.strip()


def shown_parts(template: str, stored: dict) -> tuple[str, str]:
    """``in_app_parts`` of the parameters an in-app notification kept (``admin24.messages.stored_params``),
    in the active language and time zone."""
    return in_app_parts(template, messages.live_params(stored))
