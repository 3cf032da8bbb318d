"""Show every date and time in the signed-in user's own time zone (User.time_zone)."""

import zoneinfo

from django.utils import timezone


class UserTimeZoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        name = getattr(user, "time_zone", "") if user is not None and user.is_authenticated else ""
        try:
            zone = zoneinfo.ZoneInfo(name) if name else None
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zone = None  # a zone name the system does not know: the site's default is shown
        if zone is None:
            return self.get_response(request)
        with timezone.override(zone):
            return self.get_response(request)
