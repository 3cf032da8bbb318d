"""The error pages (config/urls.py's ``handler403/404/500``): the app's layout, the reader's language,
a way back, and nothing about the server — no exception text, no paths, no versions.

Django's own views would render ``403.html``/``404.html`` too, but pass the exception's message
along (for a ``get_object_or_404`` that names the model); these pass only what the page shows.
"""

import logging

from django.http import HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token

log = logging.getLogger(__name__)


def _back_url(request) -> str:
    """Where the reader came from, when that was a page of this site (else none)."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return ""


@requires_csrf_token
def permission_denied(request, exception=None) -> HttpResponse:
    return render(request, "403.html", {"back_url": _back_url(request)}, status=403)


@requires_csrf_token
def page_not_found(request, exception=None) -> HttpResponse:
    return render(request, "404.html", {"back_url": _back_url(request)}, status=404)


@requires_csrf_token
def server_error(request) -> HttpResponse:
    """The page in the layout when it can be drawn; without the request's context (no database
    needed) when even that fails; a few plain words as the last resort."""
    try:
        return render(request, "500.html", {}, status=500)
    except Exception:
        log.warning("the error page could not be drawn with the request's context", exc_info=True)
    try:
        return HttpResponseServerError(loader.get_template("500.html").render())
    except Exception:
        log.warning("the error page could not be drawn", exc_info=True)
    words = escape(_("Something went wrong"))
    return HttpResponseServerError(
        f"<!doctype html><title>{words}</title><h1>{words}</h1><p><a href='/'>Admin24</a></p>",
        content_type="text/html; charset=utf-8",
    )


class ClientErrorsWithoutTraceback(logging.Filter):
    """A refused request (403, 404, 400 …) is one line in the log: Django attaches the exception to
    it, whose traceback says nothing about a refusal that the code meant to make."""

    def filter(self, record: logging.LogRecord) -> bool:
        if 400 <= (getattr(record, "status_code", None) or 0) < 500:
            record.exc_info = None
            record.exc_text = None
        return True
