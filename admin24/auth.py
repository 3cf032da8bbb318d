from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Q


class UsernameOrEmailBackend(ModelBackend):
    """Staff sign in with their username or their email, in any letter case."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        User = get_user_model()
        login = username.strip()
        matches = list(User.objects.filter(Q(username__iexact=login) | Q(email__iexact=login))[:2])
        # An email shared by two accounts identifies nobody; only an exact username still does.
        if len(matches) > 1:
            matches = [u for u in matches if u.username.lower() == login.lower()]
        if len(matches) != 1:
            User().set_password(password)  # same cost as a real check: no timing oracle
            return None
        user = matches[0]
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
