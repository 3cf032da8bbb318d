"""The /api/v1/ router. Each app registers its viewsets in its own api module."""

from django.urls import path
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

router = DefaultRouter()

urlpatterns = [
    path("auth/token/", obtain_auth_token, name="api-token"),
]
import crm.api  # noqa: E402, F401  registers /api/v1/companies|contacts|leads|tasks|deals/ and public/leads/
import notifications.api  # noqa: E402, F401  registers /api/v1/notifications/
import servicedesk.api  # noqa: E402, F401  registers /api/v1/tickets|services/ and public/tickets/
