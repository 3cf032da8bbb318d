"""The documents deals hold (proposal, contract, invoice, renewal contract): what a file may be.

Its own module so that every deal use case (``deals``, ``billing``) checks files the same way
without importing each other.
"""

from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from admin24.files import accepted_type

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
# What a proposal or a contract may be: PDF, Word (old and new), OpenDocument text, or a scan.
DOCUMENT_TYPES = {
    "application/pdf",
    "application/x-ole-storage",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.oasis.opendocument.text",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
}


def check_document(upload) -> None:
    """Refuse anything but a PDF, Word, OpenDocument text or image file of at most 20 MB.

    The type is read from the content (``admin24.files``), never from the name.
    """
    name = PurePath(getattr(upload, "name", "") or "file").name
    if upload.size > MAX_DOCUMENT_BYTES:
        raise ValidationError(
            _("The file “%(name)s” is %(size)s; at most %(limit)s are accepted.")
            % {"name": name, "size": filesizeformat(upload.size), "limit": filesizeformat(MAX_DOCUMENT_BYTES)},
            code="file_too_big",
        )
    if accepted_type(upload, name, DOCUMENT_TYPES) is None:
        raise ValidationError(
            _("The file “%(name)s” is not accepted. Attach a PDF, Word (DOC, DOCX), OpenDocument (ODT) or image file.")
            % {"name": name},
            code="file_type",
        )
