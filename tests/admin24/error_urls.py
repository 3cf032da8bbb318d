"""The project's URLs and error handlers, plus one view that fails: a 500 to look at."""

from django.urls import path

from config.urls import handler403, handler404, handler500, urlpatterns  # noqa: F401 - Django reads them here


def broken(request):
    raise RuntimeError("database password is hunter2 at /srv/admin24/secret.py")


urlpatterns = [*urlpatterns, path("broken/", broken)]
