"""Links staff and clients follow: the ticket card, the public form and its embed code."""

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape


def ticket_card_path(ticket) -> str:
    """The staff card of the ticket; its admin page while the staff pages are not installed."""
    try:
        return reverse("servicedesk:ticket", args=[ticket.pk])
    except NoReverseMatch:
        return reverse("admin:servicedesk_ticket_change", args=[ticket.pk])


def form_path(desk) -> str:
    return reverse("desk:form", args=[desk.form_key])


def form_url(desk) -> str:
    return settings.SITE_URL + form_path(desk)


def embed_snippet(desk) -> str:
    """The HTML a client's web site pastes to show the form; the frame grows with its content."""
    frame_src = escape(form_url(desk) + "?embed=1")
    script_src = escape(settings.SITE_URL + reverse("desk:embed_js"))
    return (
        f'<iframe src="{frame_src}" data-admin24-form title="Admin24" '
        f'style="width:100%;min-height:600px;border:0" loading="lazy"></iframe>\n'
        f'<script src="{script_src}" async></script>'
    )


def thanks_path(desk, ticket) -> str:
    from .emails import client_page_token

    return reverse("desk:thanks", args=[desk.form_key, client_page_token(ticket)])
