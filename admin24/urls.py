"""The kernel's own pages about people: the profile, the staff page, invitations, password reset."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import staff_views, views

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("staff/", staff_views.staff_list, name="staff"),
    path("staff/invite/", staff_views.staff_invite_view, name="staff-invite"),
    path("staff/<int:pk>/", staff_views.staff_edit, name="staff-edit"),
    path(
        "staff/<int:pk>/<str:action>/",
        staff_views.staff_account_action,
        name="staff-action",
    ),
    path("invitation/<str:token>/", staff_views.accept_invitation, name="invitation"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="registration/password_reset_done.html"),
        name="password_reset_done",
    ),
    path("reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="registration/password_reset_complete.html"),
        name="password_reset_complete",
    ),
]
