"""Stored files handed to a signed-in user who may see them, never served as public media."""

from django.http import FileResponse, Http404
from django.utils.translation import gettext as _


def protected_download(field_file, *, filename: str, content_type: str = "application/octet-stream") -> FileResponse:
    """The file as a download that no browser renders or sniffs."""
    try:
        handle = field_file.open("rb")
    except FileNotFoundError:
        raise Http404(_("The file is missing.")) from None
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
