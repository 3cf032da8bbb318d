from django.conf import settings

from .roles import is_administrator


def navigation(request):
    user = getattr(request, "user", None)
    return {
        "SITE_URL": settings.SITE_URL,
        "is_administrator": bool(user and user.is_authenticated and is_administrator(user)),
    }
