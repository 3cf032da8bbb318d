from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from admin24 import telegram
from admin24.views import profile_section

from . import services, staff_telegram
from .models import Notification

PAGE_SIZE = 20


@login_required
@require_GET
def notification_list(request):
    notifications = Notification.objects.filter(recipient=request.user)
    unread_only = request.GET.get("unread") == "1"
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/list.html",
        {"page": page, "unread_only": unread_only, "unread_count": services.unread_count(user=request.user)},
    )


@never_cache
@require_GET
def bell(request):
    if not request.user.is_authenticated:
        # A poll from a page whose session ended: swapping the login page into the navbar helps nobody.
        return HttpResponse(status=204)
    return render(request, "notifications/bell.html")


@login_required
@require_POST
def mark_read(request, pk: int):
    try:
        services.notification_mark_read(user=request.user, notification_id=pk)
    except Notification.DoesNotExist:
        raise Http404 from None
    return redirect(_back(request))


@login_required
@require_POST
def mark_all_read(request):
    marked = services.notifications_mark_all_read(user=request.user)
    messages.success(
        request,
        ngettext("%(count)d notification marked as read.", "%(count)d notifications marked as read.", marked)
        % {"count": marked}
        if marked
        else _("There were no unread notifications."),
    )
    return redirect(_back(request))


@login_required
@require_GET
def open_notification(request, pk: int):
    """Follow a notification's link, marking it read on the way."""
    try:
        notification = services.notification_mark_read(user=request.user, notification_id=pk)
    except Notification.DoesNotExist:
        raise Http404 from None
    if notification.link and _is_ours(request, notification.link):
        return redirect(notification.link)
    return redirect("notifications:list")


def _back(request) -> str:
    target = request.POST.get("next", "")
    return target if target and _is_ours(request, target) else reverse("notifications:list")


def _is_ours(request, url: str) -> bool:
    hosts = {request.get_host(), *settings.ALLOWED_HOSTS}
    return url_has_allowed_host_and_scheme(url, allowed_hosts=hosts, require_https=request.is_secure())


# --- Telegram on the profile ---------------------------------------------------------------


@profile_section
def telegram_section(request):
    from .models import TelegramKind

    user = request.user
    preferences = staff_telegram.settings_for(user)
    return render_to_string(
        "notifications/_profile_telegram.html",
        {
            "bot_username": telegram.identity().username,
            "linked": bool(user.telegram_chat_id),
            "kinds": TelegramKind.choices,
            "chosen": preferences.kinds,
            "unlinked_reason": preferences.unlinked_reason,
            "deep_link": request.session.pop("telegram_deep_link", None),
        },
        request=request,
    )


@login_required
@require_POST
def telegram_settings(request):
    action = request.POST.get("do")
    if action == "link":
        link = staff_telegram.deep_link(request.user)
        if link is None:
            messages.error(request, _("The Telegram bot is not set up yet."))
        else:
            request.session["telegram_deep_link"] = link
    elif action == "unlink":
        staff_telegram.unlink(request.user)
        messages.success(request, _("Telegram is disconnected."))
    elif action == "kinds":
        staff_telegram.set_kinds(request.user, request.POST.getlist("kinds"))
        messages.success(request, _("Your Telegram notifications are saved."))
    return redirect("profile")
