"""File upload endpoints: one multipart field ``file`` (plus whatever a serializer adds)."""

import functools

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.parsers import FormParser, MultiPartParser


class FileUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="PDF, DOC, DOCX, ODT or an image; at most 20 MB")


def upload_action(url_path: str, *, body=FileUploadSerializer, responses=None):
    """A detail ``POST`` taking ``multipart/form-data``; the handler gets ``(self, request, entity,
    data)`` with ``data`` validated by ``body``.

    ``entity`` is looked up among the cards the user may read (404 otherwise, before the body is
    looked at); whether they may change it is the handler's or its service's decision. The file
    checks live in the services and refuse with a plain message; it is reported under ``file`` so
    a client shows it next to the field. Without ``responses`` the 200 body is the viewset's own
    representation.
    """

    def decorate(handler):
        @functools.wraps(handler)
        def view(self, request, pk=None):
            entity = get_object_or_404(self.get_queryset(), pk=pk)
            data = body(data=request.data)
            data.is_valid(raise_exception=True)
            try:
                return handler(self, request, entity, data.validated_data)
            except ValidationError as error:
                if isinstance(error.detail, dict):
                    raise
                raise ValidationError({"file": error.detail}) from None

        schema = {"request": {"multipart/form-data": body}}
        if responses is not None:
            schema["responses"] = responses
        return extend_schema(**schema)(
            action(detail=True, methods=["post"], url_path=url_path, parser_classes=[MultiPartParser, FormParser])(view)
        )

    return decorate
