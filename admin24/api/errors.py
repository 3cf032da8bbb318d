"""How a use case's refusal reaches an API client."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import PermissionDenied, ValidationError


def service_call(fn, **kwargs):
    """Run a service; Django's ValidationError becomes the API's 400 and PermissionDenied its 403."""
    try:
        return fn(**kwargs)
    except DjangoValidationError as exc:
        raise ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages) from None
    except DjangoPermissionDenied as exc:
        raise PermissionDenied(str(exc)) from None
