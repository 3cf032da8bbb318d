"""The /api/v1/ router: every app's ``ROUTES`` plus the token endpoint."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from admin24.api.token import ObtainTokenView
from crm import api as crm_api
from notifications import api as notifications_api
from servicedesk import api as servicedesk_api

router = DefaultRouter()
for routes in (crm_api.ROUTES, notifications_api.ROUTES, servicedesk_api.ROUTES):
    for prefix, viewset, basename in routes:
        router.register(prefix, viewset, basename=basename)

urlpatterns = [path("auth/token/", ObtainTokenView.as_view(), name="api-token"), *router.urls]
