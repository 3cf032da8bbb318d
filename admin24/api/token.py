"""``POST /api/v1/auth/token/``: DRF's token for a username and password, throttled like every sign-in."""

from django.contrib.auth.signals import user_logged_in
from rest_framework import exceptions, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response

from ..login_throttle import lockout_message


class ObtainTokenView(ObtainAuthToken):
    """The API token for a username (or email) and password.

    After 5 failed sign-ins for the account or from the address (by default; the page's and
    this endpoint's together) it answers 429 with a `detail` for 15 minutes; a token issued
    forgets the account's failures.
    """

    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        try:
            serializer.is_valid(raise_exception=True)
        except exceptions.ValidationError:
            # Axes marks the request it was given: this one, DRF's, not Django's inside it.
            if getattr(request, "axes_locked_out", False):
                return Response({"detail": lockout_message()}, status=status.HTTP_429_TOO_MANY_REQUESTS)
            raise
        user = serializer.validated_data["user"]
        user_logged_in.send(sender=user.__class__, request=request, user=user)
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
