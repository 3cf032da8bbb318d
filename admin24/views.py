import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.translation import check_for_language, gettext
from django.utils.translation import gettext_lazy as _
from django.views import i18n
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET
from django_ratelimit.core import is_ratelimited

from . import access, health
from .client_address import client_address
from .roles import Role, role_names
from .staff_forms import PasswordResetForm, ProfileForm
from .structure import supervisor_of

log = logging.getLogger(__name__)

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


def remember_language(response, language: str):
    """``response``, setting the language cookie to ``language`` when it is one of the site's."""
    if language in dict(settings.LANGUAGES):
        _remember_language(response, language)
    return response


# --- the profile ----------------------------------------------------------------------------------


@login_required
@sensitive_post_parameters("old_password", "new_password1", "new_password2")
def profile(request):
    """A user's own name, language, time zone and password.

    Two forms on one page, told apart by the submit button's ``form`` value; a changed password
    keeps this session signed in (and signs out every other one).
    """
    user = request.user
    which = request.POST.get("form") if request.method == "POST" else None
    details = ProfileForm(request.POST if which == "details" else None, instance=user)
    password = PasswordChangeForm(user, request.POST if which == "password" else None)
    for field in password.fields.values():
        field.widget.attrs.setdefault("class", "form-control")
    if which == "details" and details.is_valid():
        details.save()
        with translation.override(details.instance.language):  # the confirmation in the chosen language
            messages.success(request, gettext("Your profile is saved."))
        return remember_language(redirect("profile"), details.instance.language)
    if which == "password" and password.is_valid():
        password.save()
        update_session_auth_hash(request, password.user)
        messages.success(request, gettext("Your password is changed."))
        return redirect("profile")
    sections = [section(request) for section in PROFILE_SECTIONS]
    return render(request, "admin24/profile.html", {"details": details, "password": password, "sections": sections})


# Sections other apps add to the profile (the notifications app's Telegram linking): each is
# ``fn(request) -> safe HTML``, registered with ``profile_section``.
PROFILE_SECTIONS: list = []


def profile_section(fn):
    PROFILE_SECTIONS.append(fn)
    return fn


# --- password reset by email (Django's views, our pages, a rate limit) ----------------------------

RESET_RATE_PER_IP = "10/h"
RESET_RATE_PER_EMAIL = "3/h"


class PasswordResetView(auth_views.PasswordResetView):
    """Asks for the email and sends the link, at most a few times an hour per address and per email.

    Whether the email belongs to anyone is never told: the answer is the same page either way.
    """

    template_name = "registration/password_reset_form.html"
    form_class = PasswordResetForm
    email_template_name = "registration/password_reset_email.txt"
    html_email_template_name = "registration/password_reset_email.html"
    subject_template_name = "registration/password_reset_subject.txt"

    @property
    def extra_email_context(self):
        # The link is built on the configured address, never on the Host header of the request.
        return {"site_url": settings.SITE_URL}

    def post(self, request, *args, **kwargs):
        email = (request.POST.get("email") or "").strip().lower()
        limited = is_ratelimited(
            request, group="admin24.password_reset.ip", key="ip", rate=RESET_RATE_PER_IP, increment=True
        )
        limited = (
            is_ratelimited(
                request,
                group="admin24.password_reset.email",
                key=lambda group, request: email,
                rate=RESET_RATE_PER_EMAIL,
                increment=True,
            )
            or limited
        )
        if limited:
            log.warning("password reset refused: too many requests (ip %s)", client_address(request))
            form = self.get_form()
            form.is_valid()
            form.add_error(None, gettext("Too many requests. Please try again in an hour."))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        form.fields["email"].widget.attrs.setdefault("class", "form-control")
        return form


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "registration/password_reset_confirm.html"

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        for field in form.fields.values():
            field.widget.attrs.setdefault("class", "form-control")
        return form
