"""What a client may upload: files recognised by their content, within the desk's limits; favicons.

The type is read from the content by ``admin24.files`` (never from the name, and executables are
refused whatever they are called); only the kinds in ``ALLOWED_TYPES`` are accepted.
"""

import io
from dataclasses import dataclass
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from admin24.files import IMAGE_MAX_PIXELS, accepted_type

# Documents (PDF, Word, Excel, PowerPoint, OpenDocument, text, CSV), images and ZIP archives.
ALLOWED_TYPES = frozenset(
    {
        "application/pdf",
        "application/x-ole-storage",  # Word, Excel 97–2003
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "text/plain",
        "text/csv",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "application/zip",
    }
)


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed the checks: its bytes are read through ``file``."""

    file: object
    name: str
    size: int
    content_type: str


def check_files(files, *, max_files: int, max_file_bytes: int, max_total_bytes: int) -> list[CheckedFile]:
    """The uploads, checked; raises ValidationError listing every problem (nothing is stored here)."""
    files = [f for f in files if f is not None]
    errors = []
    if len(files) > max_files:
        errors.append(
            ValidationError(
                _("Attach at most %(count)d files; you attached %(given)d.")
                % {"count": max_files, "given": len(files)},
                code="too_many_files",
            )
        )
    checked, total = [], 0
    for upload in files:
        name = PurePath(getattr(upload, "name", "") or "file").name[:255]
        size = upload.size
        total += size
        if isinstance(upload, CheckedFile):
            # Recognised already (the form checked it); only the limits may differ.
            if size > max_file_bytes:
                errors.append(_too_big(name, size, max_file_bytes))
            else:
                checked.append(upload)
            continue
        if size > max_file_bytes:
            errors.append(_too_big(name, size, max_file_bytes))
            continue
        try:
            kind = accepted_type(upload, name, ALLOWED_TYPES)
        except ValidationError as refusal:  # an archive that unpacks to too much
            errors.append(refusal)
            continue
        if kind is None:
            errors.append(
                ValidationError(
                    _(
                        "The file “%(name)s” is not accepted. Attach documents (PDF, Word, Excel, OpenDocument, "
                        "text, CSV), images (PNG, JPEG, GIF, WebP) or ZIP archives."
                    )
                    % {"name": name},
                    code="file_type",
                )
            )
            continue
        checked.append(CheckedFile(file=upload, name=name, size=size, content_type=kind))
    if total > max_total_bytes and len(files) <= max_files:
        errors.append(
            ValidationError(
                _("All files together are %(size)s; at most %(limit)s are accepted.")
                % {"size": filesizeformat(total), "limit": filesizeformat(max_total_bytes)},
                code="files_too_big",
            )
        )
    if errors:
        raise ValidationError(errors)
    return checked


def _too_big(name: str, size: int, limit: int) -> ValidationError:
    return ValidationError(
        _("The file “%(name)s” is %(size)s; one file may be at most %(limit)s.")
        % {"name": name, "size": filesizeformat(size), "limit": filesizeformat(limit)},
        code="file_too_big",
    )


def check_files_for(files, desk) -> list[CheckedFile]:
    """``check_files`` with the limits of the desk settings."""
    return check_files(
        files, max_files=desk.max_files, max_file_bytes=desk.max_file_bytes, max_total_bytes=desk.max_total_bytes
    )


# --- favicon ----------------------------------------------------------------------------------

FAVICON_FORMATS = {"PNG", "ICO", "JPEG"}
FAVICON_SIZES = (32, 180)
FAVICON_MAX_BYTES = 2 * 1024 * 1024
# The largest image decoded for an icon: its header is read first, the pixels only when it fits.
FAVICON_MAX_SIDE = 2048


def favicon_images(upload) -> dict[int, ContentFile]:
    """Square PNGs of every FAVICON_SIZES size re-encoded from the upload; ValidationError if it is no icon."""
    if upload.size > FAVICON_MAX_BYTES:
        raise ValidationError(
            _("The icon may be at most %(limit)s.") % {"limit": filesizeformat(FAVICON_MAX_BYTES)}, code="too_big"
        )
    upload.seek(0)
    data = upload.read()
    if b"<svg" in data[:1024].lower():
        raise ValidationError(_("SVG icons are not accepted: upload a PNG, ICO or JPEG image."), code="svg")
    too_large = ValidationError(
        _("The image is too large for an icon: upload one of at most %(side)d×%(side)d pixels.")
        % {"side": FAVICON_MAX_SIDE},
        code="too_large",
    )
    try:
        image = Image.open(io.BytesIO(data))
        image_format = image.format
        if max(image.size) > FAVICON_MAX_SIDE:
            raise too_large
        # An ICO's own header may claim 256×256 over a far larger PNG inside: Pillow refuses that
        # on decoding, above twice admin24.files.IMAGE_MAX_PIXELS (the process's limit).
        image.load()
    except Image.DecompressionBombError:
        raise too_large from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise ValidationError(_("This file is not a PNG, ICO or JPEG image."), code="not_image") from None
    if image.width * image.height > IMAGE_MAX_PIXELS:
        raise too_large
    if image_format not in FAVICON_FORMATS:
        raise ValidationError(_("Upload a PNG, ICO or JPEG image."), code="format")
    image = image.convert("RGBA")
    side = min(image.size)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    square = image.crop((left, top, left + side, top + side))
    result = {}
    for size in FAVICON_SIZES:
        out = io.BytesIO()
        square.resize((size, size), Image.Resampling.LANCZOS).save(out, format="PNG", optimize=True)
        result[size] = ContentFile(out.getvalue(), name=f"favicon-{size}.png")
    return result
