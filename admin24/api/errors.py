"""How a use case's refusal reaches an API client."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import APIException, PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from admin24.workflow import DomainError


def exception_handler(exc, context):
    """DRF's handler, and every domain refusal as its status (409 unless it says otherwise) with its data."""
    if isinstance(exc, DomainError):
        return Response(exc.as_data(), status=exc.status_code)
    return drf_exception_handler(exc, context)


def service_call(fn, **kwargs):
    """Run a service; Django's ValidationError becomes the API's 400 and PermissionDenied its 403."""
    try:
        return fn(**kwargs)
    except DjangoValidationError as exc:
        raise ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages) from None
    except DjangoPermissionDenied as exc:
        raise PermissionDenied(str(exc)) from None


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


# DELETE of a row that others still refer to (a company with deals) is a 409 naming them.
# (A comment: the API docs would show a docstring as the description of every operation.)
class ProtectedDestroyMixin:
    def perform_destroy(self, instance):
        try:
            instance.delete()
        except (ProtectedError, RestrictedError) as error:
            kinds = sorted({str(row._meta.verbose_name_plural) for row in error.protected_objects})
            raise Conflict(_("It cannot be deleted while it has %(kinds)s.") % {"kinds": ", ".join(kinds)}) from None
