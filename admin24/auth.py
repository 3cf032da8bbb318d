from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Q

from .roles import is_administrator


def account_for_login(login: str):
    """The account a sign-in names by its username or its email, in any letter case; None when
    it names none, or an email two accounts share (only an exact username still identifies one)."""
    User = get_user_model()
    login = login.strip()
    if not login:
        return None
    matches = list(User.objects.filter(Q(username__iexact=login) | Q(email__iexact=login))[:2])
    if len(matches) > 1:
        matches = [u for u in matches if u.username.lower() == login.lower()]
    return matches[0] if len(matches) == 1 else None


class UsernameOrEmailBackend(ModelBackend):
    """Staff sign in with their username or their email, in any letter case."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        user = account_for_login(username)
        if user is None:
            get_user_model()().set_password(password)  # same cost as a real check: no timing oracle
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    # The Administrator role configures everything (SPEC §0): it holds every model permission,
    # so administrators need no per-model permission rows to use the admin.
    def has_perm(self, user_obj, perm, obj=None):
        if user_obj.is_active and is_administrator(user_obj):
            return True
        return super().has_perm(user_obj, perm, obj)

    def has_module_perms(self, user_obj, app_label):
        if user_obj.is_active and is_administrator(user_obj):
            return True
        return super().has_module_perms(user_obj, app_label)
