"""The staff's Service Desk pages under /servicedesk/ (namespace "servicedesk")."""

from django.urls import path

from .boards import ticket_board
from .views import reports, settings, tickets

app_name = "servicedesk"

urlpatterns = [
    *ticket_board.urlpatterns(""),
    path("my/", tickets.my_tickets, name="my"),
    path("reports/", reports.desk_report_page, name="reports"),
    path("tickets/<int:pk>/", tickets.ticket_detail, name="ticket"),
    path("tickets/<int:pk>/assign/", tickets.ticket_assign, name="ticket_assign"),
    path("tickets/<int:pk>/comment/", tickets.ticket_comment, name="ticket_comment"),
    path("tickets/<int:pk>/<slug:action>/", tickets.ticket_action, name="ticket_action"),
    path("settings/", settings.settings_page, name="settings"),
    path("settings/form-key/", settings.regenerate_form_key, name="regenerate_form_key"),
    path("settings/favicon/", settings.favicon, name="favicon"),
    path("settings/services/new/", settings.service_form, name="service_create"),
    path("settings/services/<int:pk>/", settings.service_form, name="service_edit"),
]
