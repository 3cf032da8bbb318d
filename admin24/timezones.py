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


def time_zone_choices() -> list[tuple[str, str]]:
    """Every zone the system knows, Russia's first (where most users are), then the rest by name."""
    names = sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})
    russian = [name for name in RUSSIAN_ZONES if name in names]
    return [(name, name) for name in russian] + [(name, name) for name in names if name not in russian]


RUSSIAN_ZONES = (
    "Europe/Kaliningrad",
    "Europe/Moscow",
    "Europe/Samara",
    "Asia/Yekaterinburg",
    "Asia/Omsk",
    "Asia/Novosibirsk",
    "Asia/Krasnoyarsk",
    "Asia/Irkutsk",
    "Asia/Yakutsk",
    "Asia/Vladivostok",
    "Asia/Magadan",
    "Asia/Kamchatka",
)
