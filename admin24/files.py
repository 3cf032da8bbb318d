"""What a file is, read from its content: the name says nothing we can trust.

``invoice.pdf`` may be a Windows program. So the type is read from the first bytes (and, for
ZIP-based office files, from the archive's members); executables are never recognised, whatever
they are called, and neither are names with an executable extension even when the content looks
harmless. Which of the recognised types an upload may be is the caller's policy: it passes them in.

Looking must never cost more than the upload itself. An archive is judged by its table of
contents, whose size and number of members are bounded before Python's ``zipfile`` parses it; a
member that unpacks to far more than the whole archive (a "zip bomb") is refused by its declared
sizes, and the only bytes ever unpacked are the first ``MEMBER_HEAD`` of OpenDocument's
``mimetype`` member, stored or deflated (never bzip2 or LZMA, whose decoders cannot be told to
stop early). Images are decoded by Pillow only up to ``IMAGE_MAX_PIXELS`` (set for the process in
``Admin24Config.ready``).
"""

import io
import os
import struct
import zipfile
from collections.abc import Collection
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

HEAD = 8192

# Archives: what is inspected at most. A real office document has a few dozen members and unpacks
# to a few times its size; logs and text unpack to some tens of times theirs.
MAX_MEMBERS = 10_000
MAX_DIRECTORY_BYTES = 1024 * 1024  # the central directory zipfile parses whole (~9 MB of objects)
MAX_EXPANDED_BYTES = 512 * 1024 * 1024  # all members together, as declared
MAX_RATIO = 200  # one member's unpacked size to its packed size…
RATIO_FROM_BYTES = 1024 * 1024  # …once it unpacks to more than this
MEMBER_HEAD = 100  # bytes read from a member (OpenDocument's "mimetype") at most
READABLE_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}  # decoders that stop when asked to

# Images: Pillow warns above this many pixels and refuses to decode twice as many.
IMAGE_MAX_PIXELS = 2048 * 2048
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


class TooCostly(Exception):
    """The content cannot be looked at within the bounds above; ``message`` says why (``%(name)s`` left open)."""

    def __init__(self, message: str, code: str, **params):
        super().__init__(message)
        self.message, self.code, self.params = message, code, params


def sniff(data: bytes, upload=None) -> str | None:
    """The MIME type of a kind recognised from the content, or None; ``TooCostly`` for an archive bomb."""
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
        directory = _directory_size(handle)
        if directory is None:
            return None
        members, directory_bytes = directory
        if members > MAX_MEMBERS or directory_bytes > MAX_DIRECTORY_BYTES:
            raise _too_many_members()
        handle.seek(0)
        with zipfile.ZipFile(handle) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_MEMBERS:
                raise _too_many_members()
            _check_expansion(infos)
            names = {info.filename for info in infos}
            for member, mime in OOXML_MEMBERS.items():
                if member in names:
                    return mime
            if "mimetype" in names:
                declared = _member_head(archive, archive.getinfo("mimetype")).decode("ascii", "replace").strip()
                return declared if declared in OPENDOCUMENT_TYPES else None
            return "application/zip"
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError):
        # Damaged, encrypted or packed in a way Python cannot read: not a kind we recognise.
        return None
    finally:
        handle.seek(0)


def _directory_size(handle) -> tuple[int, int] | None:
    """(members, bytes) of the archive's central directory, from its end record (ZIP64 too); None if none.

    Found the way ``zipfile`` finds it (the last end record in the final 64 KB), so the numbers
    bound exactly what ``zipfile.ZipFile`` will then parse.
    """
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    tail_size = min(size, 22 + 0xFFFF)
    handle.seek(size - tail_size)
    tail = handle.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return None
    members, directory_bytes, directory_at = struct.unpack_from("<HLL", tail, at + 10)
    if members != 0xFFFF and directory_bytes != 0xFFFFFFFF and directory_at != 0xFFFFFFFF:
        return members, directory_bytes
    locator = tail[at - 20 : at] if at >= 20 else b""
    if len(locator) != 20 or locator[:4] != b"PK\x06\x07":
        return None
    (record_at,) = struct.unpack_from("<Q", locator, 8)
    handle.seek(record_at)
    record = handle.read(56)
    if len(record) != 56 or record[:4] != b"PK\x06\x06":
        return None
    members, directory_bytes = struct.unpack_from("<QQ", record, 32)
    return members, directory_bytes


def _check_expansion(infos) -> None:
    """Refuse an archive whose members, as declared, unpack to too much in all or too much for their size."""
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > RATIO_FROM_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise TooCostly(
                _("The file “%(name)s” unpacks to more than %(ratio)d times its size; it is not accepted."),
                "archive_ratio",
                ratio=MAX_RATIO,
            )
    if total > MAX_EXPANDED_BYTES:
        raise TooCostly(
            _("The file “%(name)s” unpacks to more than %(limit)s; it is not accepted."),
            "archive_expands",
            limit=filesizeformat(MAX_EXPANDED_BYTES),
        )


def _too_many_members() -> TooCostly:
    return TooCostly(
        _("The file “%(name)s” holds more than %(count)d files inside; it is not accepted."),
        "archive_members",
        count=MAX_MEMBERS,
    )


def _member_head(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """At most MEMBER_HEAD bytes of the member, whatever its header declares; b"" for a method we do not unpack.

    ``ZipExtFile.read(n)`` of a deflated member inflates at most a few KB to return n bytes; bzip2
    and LZMA members are inflated by zipfile in one call per 4 KB read, which can be a gigabyte.
    """
    if info.compress_type not in READABLE_METHODS:
        return b""
    with archive.open(info) as member:
        return member.read(MEMBER_HEAD)


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


def extension(name: str) -> str:
    """The name's last extension, lower case, without the dot ("" if none)."""
    return PurePath(name).suffix.lower().lstrip(".")


def content_type(upload, name: str) -> str | None:
    """The type of the upload's content (a CSV name turns plain text into ``text/csv``), or None.

    None for an executable, by its name or its content, and for content of no known kind. The
    upload is read from its start and left at its start. Raises ``ValidationError`` naming the
    file for an archive that would cost more to look into than any upload may (see above).
    """
    upload.seek(0)
    head = upload.read(HEAD)
    upload.seek(0)
    if extension(name) in EXECUTABLE_EXTENSIONS:
        return None
    try:
        kind = sniff(head, upload)
    except TooCostly as refusal:
        raise ValidationError(refusal.message % {"name": name, **refusal.params}, code=refusal.code) from None
    if kind == "text/plain" and extension(name) == "csv":
        kind = "text/csv"
    return kind


def accepted_type(upload, name: str, allowed: Collection[str]) -> str | None:
    """The upload's content type if it is one of ``allowed`` (the caller's policy), else None
    (``ValidationError`` as ``content_type`` raises it)."""
    kind = content_type(upload, name)
    return kind if kind in allowed else None
