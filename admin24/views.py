from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import check_for_language
from django.utils.translation import gettext_lazy as _
from django.views import i18n
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import access, health
from .roles import Role, role_names
from .structure import supervisor_of

# (label, url name, entity the user must be able to read)
HOME_SECTIONS = [
    (_("Ticket board"), "servicedesk:board", access.Entity.TICKET),
    (_("My tickets"), "servicedesk:my", access.Entity.TICKET),
    (_("Leads"), "crm:leads_board", access.Entity.LEAD),
    (_("Deals"), "crm:deals_board", access.Entity.DEAL),
    (_("Companies"), "crm:company-list", access.Entity.COMPANY),
    (_("Contacts"), "crm:contact-list", access.Entity.CONTACT),
]


@login_required
def home(request):
    user = request.user
    roles = [Role.LABELS.get(name, name) for name in sorted(role_names(user))]
    sections = [
        (label, reverse(url_name))
        for label, url_name, entity in HOME_SECTIONS
        if access.level_for(user, entity) > access.Level.NONE
    ]
    context = {"roles": roles, "supervisor": supervisor_of(user), "sections": sections}
    return render(request, "admin24/home.html", context)


@require_GET
def favicon(request):
    # Resolved per request: the static manifest may not exist yet when URLs are imported.
    return HttpResponsePermanentRedirect(static("admin24/favicon.ico"))


@never_cache
@require_GET
def healthz(request):
    checks = health.status()
    ok = all(value == "ok" for value in checks.values())
    return JsonResponse(checks, status=200 if ok else 503)


class LoginView(auth_views.LoginView):
    """Signing in shows the pages in the user's own language (the one their emails and notifications use).

    Not the browser's: a shared browser's cookie, or an English browser, would otherwise decide it.
    """

    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        language = form.get_user().language
        if language in dict(settings.LANGUAGES):
            _remember_language(response, language)
        return response


def set_language(request):
    """The language selector; a signed-in user's choice is also their emails' and notifications' language."""
    response = i18n.set_language(request)
    language = request.POST.get("language", "")
    if request.method == "POST" and request.user.is_authenticated and check_for_language(language):
        _keep_language(request.user, language)
    return response


def _keep_language(user, language: str) -> None:
    if language in dict(settings.LANGUAGES) and user.language != language:
        user.language = language
        user.save(update_fields=["language"])


def _remember_language(response, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
