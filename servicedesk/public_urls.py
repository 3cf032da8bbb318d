"""The client-facing pages under /desk/ (namespace "desk"), plus the staff-only attachment download."""

from django.urls import path

from . import attachment_views, public_views

app_name = "desk"

urlpatterns = [
    path("form/<str:key>/", public_views.ticket_form, name="form"),
    path("form/<str:key>/thanks/<str:signed>/", public_views.thanks, name="thanks"),
    path("form/<str:key>/company/", public_views.company_autofill, name="company_autofill"),
    path("ticket/<str:signed>/", public_views.client_ticket, name="client_ticket"),
    path("ticket/<str:signed>/files/<int:pk>/", public_views.client_file, name="client_file"),
    path("consent/", public_views.consent, name="consent"),
    path("embed.js", public_views.embed_js, name="embed_js"),
    path("favicon-<int:size>.png", public_views.favicon, name="favicon"),
    path("attachments/<int:pk>/", attachment_views.attachment_download, name="attachment"),
]
