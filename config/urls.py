from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from admin24 import views
from servicedesk import telegram_views

from . import api

urlpatterns = [
    # The public pages first: every client's form post is resolved against the patterns in order,
    # and none of the others starts with "desk/".
    path("desk/", include("servicedesk.public_urls")),
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico on pages without an icon link (the Django admin, API docs).
    path("favicon.ico", views.favicon),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("", include("admin24.urls")),
    path("admin/", admin.site.urls),
    path("notifications/", include("notifications.urls")),
    path("api/v1/", include(api.urlpatterns)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view: the page loads its start-up script from `?script` instead of inlining it (admin24.csp).
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
    path("crm/", include("crm.urls")),
    path("servicedesk/", include("servicedesk.urls")),
    path("telegram/webhook/", telegram_views.webhook, name="telegram-webhook"),
]

if settings.ANYMAIL_ESP:
    # The ESP's inbound webhook (`/anymail/<esp>/inbound/`): only with an ESP configured.
    urlpatterns.append(path("anymail/", include("anymail.urls")))

# The error pages in the app's layout (admin24.errors).
handler403 = "admin24.errors.permission_denied"
handler404 = "admin24.errors.page_not_found"
handler500 = "admin24.errors.server_error"
