"""The pages clients see without an account: the form, the confirmation, their ticket, the consent text.

The form is anonymous and often shown in a frame on another site, where browsers withhold
our cookies; so it does not rely on CSRF cookies. What stands in for them: the unguessable form
key in the URL, the signed render timestamp, the honeypot and the rate limits (``intake.guards``).
"""

from functools import wraps

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.core import is_ratelimited

from admin24.csp import allow_framing
from admin24.downloads import protected_download
from admin24.normalize import normalize_email
from crm.services.directory import company_for_email

from . import emails, links
from .intake import guards, snapshot, web
from .intake.forms import ClientReplyForm
from .models import Attachment, DeskSettings, Ticket, TicketComment
from .services import add_comment

AUTOFILL_RATE = "20/h"  # per address
AUTOFILL_RATE_PER_EMAIL = "5/h"
AUTOFILL_RATE_PER_FORM = "200/h"  # all clients together: beyond it the field is simply not hinted
REPLY_RATE = "30/h"


def _frame_policy(response, desk: DeskSettings):
    """Framing only by the sites the administrator listed; none at all otherwise (admin24.csp)."""
    return allow_framing(response, desk.origins) if desk.origins else response


def _desk_page(view):
    """Loads the settings, refuses a stale form key with a clear page, applies the framing policy."""

    @wraps(view)
    def wrapper(request, *args, key=None, **kwargs):
        return _with_desk(request, snapshot.desk(), view, key, *args, **kwargs)

    return wrapper


def _with_desk(request, desk: DeskSettings, view, key, *args, **kwargs):
    if key is not None and key != desk.form_key:
        response = render(request, "servicedesk/public/link_invalid.html", {"desk": desk}, status=404)
    else:
        response = view(request, desk, *args, **kwargs)
    return _frame_policy(response, desk)


def _page(request, desk: DeskSettings, template: str, context: dict, status: int = 200):
    context = {"desk": desk, "embed": request.GET.get("embed") == "1", **context}
    return render(request, f"servicedesk/public/{template}", context, status=status)


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def ticket_form(request, key):
    if request.method == "GET":
        return _with_desk(request, snapshot.desk(), _show_form, key)
    arrival = web.arrive(request)
    return _with_desk(request, arrival.desk, _submit_form, key, arrival)


def _show_form(request, desk):
    return _page(request, desk, "form.html", {"form": web.form_for(desk)})


def _submit_form(request, desk, arrival):
    outcome = web.submit_form(request, arrival)
    if outcome.ticket is not None:
        target = links.thanks_path(desk, outcome.ticket)
        # A path already: redirect() would first try it as a URL name (a failed reverse per post).
        return HttpResponseRedirect(target + ("?embed=1" if request.GET.get("embed") == "1" else ""))
    context = {"form": outcome.form, "refusal": outcome.refusal}
    return _page(request, desk, "form.html", context, status=outcome.status)


@never_cache
@require_GET
@_desk_page
def thanks(request, desk, signed):
    ticket = _ticket_by_signed(signed)
    return _page(request, desk, "thanks.html", {"ticket": ticket, "client_url": emails.client_page_url(ticket)})


def _autofill_email(group, request) -> str:
    return normalize_email(request.GET.get("email"))


def _autofill_form(group, request) -> str:
    return "form"  # one form key at a time: the limit is the form's, whoever asks


@never_cache
@require_GET
def company_autofill(request, key):
    """HTMX: whether the company of a client with exactly this email is known — never its name.

    The answer is one fact ("we know your company: you may leave the field empty"), only for a
    full valid email and under three limits: per address, per email and for the whole form key,
    so nobody can sweep a list of emails through it. A partial or invalid email is 204 (nothing).
    The ticket is linked to the company by the email after it is sent, whatever the field says.
    """
    desk = DeskSettings.load()
    if key != desk.form_key:
        raise Http404
    if is_ratelimited(request, group="servicedesk.autofill", key="ip", rate=AUTOFILL_RATE, increment=True):
        return HttpResponse(status=429)
    email = normalize_email(request.GET.get("email"))
    try:
        validate_email(email)
    except ValidationError:
        return HttpResponse(status=204)
    for group, limit_key, rate in (
        ("servicedesk.autofill.email", _autofill_email, AUTOFILL_RATE_PER_EMAIL),
        ("servicedesk.autofill.form", _autofill_form, AUTOFILL_RATE_PER_FORM),
    ):
        if is_ratelimited(request, group=group, key=limit_key, rate=rate, increment=True):
            return HttpResponse(status=429)
    known = company_for_email(email) is not None
    return HttpResponse(render_to_string("servicedesk/public/_company_hint.html", {"known": known}))


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
@_desk_page
def client_ticket(request, desk, signed):
    """The client's page of one ticket: status, the public conversation and a reply form."""
    ticket = _ticket_by_signed(signed)
    error = None
    if request.method == "POST":
        if is_ratelimited(request, group="servicedesk.client_reply", key="ip", rate=REPLY_RATE, increment=True):
            error = guards.TOO_MANY
        elif not (reply := ClientReplyForm(request.POST)).is_valid():
            error = " ".join(reply.errors["body"])
        else:
            try:
                add_comment(
                    ticket=ticket,
                    client=True,
                    body=reply.cleaned_data["body"],
                    files=request.FILES.getlist("files"),
                    source=TicketComment.Source.CLIENT_PAGE,
                )
                return redirect(request.path + "#thread-end")
            except ValidationError as exc:
                error = " ".join(exc.messages)
    comments = (
        ticket.comments.filter(public=True)
        .select_related("author")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.filter(staff_only=False)))
    )
    context = {
        "ticket": ticket,
        "signed": signed,
        "comments": comments,
        "files": ticket.attachments.filter(comment__isnull=True, staff_only=False),
        "error": error,
        "body": request.POST.get("body", "") if error else "",
    }
    return _page(request, desk, "client_ticket.html", context, status=400 if error else 200)


@never_cache
@require_GET
def client_file(request, signed, pk):
    """A file of the ticket the client may see: theirs, or one on a public comment."""
    ticket = _ticket_by_signed(signed)
    attachment = get_object_or_404(Attachment, pk=pk, ticket=ticket, staff_only=False)
    if attachment.comment is not None and not attachment.comment.public:
        raise Http404
    return download(attachment)


@require_GET
@_desk_page
def consent(request, desk):
    return _page(request, desk, "consent.html", {})


@require_GET
def embed_js(request):
    response = render(request, "servicedesk/public/embed.js", content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_GET
def favicon(request, size):
    desk = DeskSettings.load()
    field = {32: desk.favicon_32, 180: desk.favicon_180}.get(size)
    if not field:
        raise Http404
    response = FileResponse(field.open("rb"), content_type="image/png")
    response["Cache-Control"] = "public, max-age=3600"
    return response


def download(attachment: Attachment) -> FileResponse:
    return protected_download(attachment.file, filename=attachment.original_name, content_type=attachment.content_type)


def _ticket_by_signed(signed: str) -> Ticket:
    token = emails.client_token_from(signed)
    if token is None:
        raise Http404(_("This link is not valid."))
    return get_object_or_404(Ticket.objects.select_related("service"), client_token=token)
