"""The Service Desk settings page: one page, a form per section (administrators only)."""

from functools import wraps

from django.conf import settings as django_settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from admin24.roles import is_administrator

from .. import links, services
from ..forms import EmailIntakeForm, FaviconForm, FormOptionsForm, RequisitesForm, ServiceForm, SpeedForm, TelegramForm
from ..models import DeskSettings, Service

SECTIONS = {
    "speed": (SpeedForm, gettext_lazy("The speed of work is saved.")),
    "requisites": (RequisitesForm, gettext_lazy("The requisites are saved.")),
    "form": (FormOptionsForm, gettext_lazy("The form settings are saved.")),
    "telegram": (TelegramForm, gettext_lazy("The Telegram bot settings are saved.")),
    "email": (EmailIntakeForm, gettext_lazy("The email settings are saved.")),
}


def administrator_required(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not is_administrator(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _settings_url(section: str) -> str:
    return f"{reverse('servicedesk:settings')}#{section}"


@administrator_required
def settings_page(request):
    desk = DeskSettings.load()
    bound = {}
    if request.method == "POST":
        section = request.POST.get("section", "")
        if section not in SECTIONS:
            messages.error(request, _("Unknown settings section."))
            return redirect("servicedesk:settings")
        form_class, saved = SECTIONS[section]
        form = form_class(request.POST, instance=desk)
        if form.is_valid():
            form.save()
            messages.success(request, saved)
            return redirect(_settings_url(section))
        bound[section] = form
        messages.error(request, _("The settings are not saved: correct the marked fields."))
    forms = {name: bound.get(name) or form_class(instance=desk) for name, (form_class, _saved) in SECTIONS.items()}
    context = {
        "desk": desk,
        "forms": forms,
        "invalid_section": next(iter(bound), ""),
        "favicon_form": FaviconForm(),
        "services": Service.objects.select_related("responsible").annotate(ticket_count=Count("tickets")),
        "form_url": links.form_url(desk),
        "embed_code": links.embed_snippet(desk),
        "webhook_url": django_settings.SITE_URL + reverse("telegram-webhook"),
    }
    return render(request, "servicedesk/staff/settings.html", context, status=400 if bound else 200)


@administrator_required
@require_POST
def regenerate_form_key(request):
    services.regenerate_form_key(by=request.user)
    messages.success(
        request,
        _("A new form link is made. The old link and the old embed code no longer work: update them on your sites."),
    )
    return redirect(_settings_url("link"))


@administrator_required
@require_POST
def favicon(request):
    desk = DeskSettings.load()
    if request.POST.get("clear"):
        services.clear_favicon(desk=desk)
        messages.success(request, _("The icon is removed."))
        return redirect(_settings_url("favicon"))
    form = FaviconForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose an image file."))
        return redirect(_settings_url("favicon"))
    try:
        services.set_favicon(desk=desk, upload=form.cleaned_data["icon"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The icon is saved."))
    return redirect(_settings_url("favicon"))


@administrator_required
def service_form(request, pk: int | None = None):
    service = get_object_or_404(Service, pk=pk) if pk is not None else None
    form = ServiceForm(request.POST or None, instance=service)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The service “%(name)s” is saved.") % {"name": form.instance.name})
        return redirect(_settings_url("services"))
    title = service.name if service else _("New service")
    return render(request, "servicedesk/staff/service_form.html", {"form": form, "service": service, "title": title})
