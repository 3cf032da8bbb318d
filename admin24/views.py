from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import check_for_language
from django.views import i18n
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import health
from .roles import Role, role_names
from .structure import supervisor_of


@login_required
def home(request):
    user = request.user
    roles = [Role.LABELS.get(name, name) for name in sorted(role_names(user))]
    return render(request, "admin24/home.html", {"roles": roles, "supervisor": supervisor_of(user)})


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
