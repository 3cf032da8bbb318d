"""What a client may upload: files recognised by their content, within the desk's limits; favicons.

A file's name says nothing we can trust: ``invoice.pdf`` may be a Windows program. So the type
is read from the first bytes (and, for ZIP-based office files, from the archive's members) and
only the kinds below are accepted; executables are refused whatever they are called, and so
are names with an executable extension even when the content looks harmless.
"""

import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

HEAD = 8192
TEXT_CONTROL_OK = {9, 10, 12, 13}

EXECUTABLE_EXTENSIONS = {
    "apk", "app", "bat", "bin", "cmd", "com", "cpl", "dll", "dmg", "exe", "hta", "jar", "js", "jse", "lnk",
    "msi", "msp", "ps1", "reg", "scr", "sh", "sys", "vb", "vbe", "vbs", "wsf",
}  # fmt: skip

EXECUTABLE_MAGIC = (
    b"MZ",  # Windows PE
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",  # Mach-O
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",  # Mach-O universal (also Java classes)
    b"#!",  # scripts
)

OOXML_MEMBERS = {
    "word/document.xml": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/workbook.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/presentation.xml": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
OPENDOCUMENT_TYPES = {
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
}


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed the checks: its bytes are read through ``file``."""

    file: object
    name: str
    size: int
    content_type: str


def sniff(data: bytes, upload=None) -> str | None:
    """The MIME type of an accepted kind recognised from the content, or None."""
    if data.startswith(EXECUTABLE_MAGIC):
        return None
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        # Word 97–2003, Excel 97–2003: the OLE container, told apart only by reading its streams.
        return "application/x-ole-storage"
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_type(upload if upload is not None else io.BytesIO(data))
    if _is_text(data):
        return "text/plain"
    return None


def _zip_type(handle) -> str | None:
    try:
        handle.seek(0)
        with zipfile.ZipFile(handle) as archive:
            names = set(archive.namelist())
            for member, mime in OOXML_MEMBERS.items():
                if member in names:
                    return mime
            if "mimetype" in names:
                declared = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
                return declared if declared in OPENDOCUMENT_TYPES else None
            return "application/zip"
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    finally:
        handle.seek(0)


def _is_text(data: bytes) -> bool:
    if not data or b"\x00" in data:
        return False
    for encoding in ("utf-8", "cp1251"):
        try:
            # A multi-byte character may be cut at the end of the sample.
            text = data.decode(encoding) if len(data) < HEAD else data[:-4].decode(encoding)
        except UnicodeDecodeError:
            continue
        return not any(ord(ch) < 32 and ord(ch) not in TEXT_CONTROL_OK for ch in text)
    return False


def _extension(name: str) -> str:
    return PurePath(name).suffix.lower().lstrip(".")


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
        upload.seek(0)
        head = upload.read(HEAD)
        upload.seek(0)
        kind = None if _extension(name) in EXECUTABLE_EXTENSIONS else sniff(head, upload)
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
        if kind == "text/plain" and _extension(name) == "csv":
            kind = "text/csv"
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
    try:
        image = Image.open(io.BytesIO(data))
        image_format = image.format
        image.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise ValidationError(_("This file is not a PNG, ICO or JPEG image."), code="not_image") from None
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
