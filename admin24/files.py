"""What a file is, read from its content: the name says nothing we can trust.

``invoice.pdf`` may be a Windows program. So the type is read from the first bytes (and, for
ZIP-based office files, from the archive's members); executables are never recognised, whatever
they are called, and neither are names with an executable extension even when the content looks
harmless. Which of the recognised types an upload may be is the caller's policy: it passes them in.
"""

import io
import zipfile
from collections.abc import Collection
from pathlib import PurePath

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


def sniff(data: bytes, upload=None) -> str | None:
    """The MIME type of a kind recognised from the content, or None."""
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


def extension(name: str) -> str:
    """The name's last extension, lower case, without the dot ("" if none)."""
    return PurePath(name).suffix.lower().lstrip(".")


def content_type(upload, name: str) -> str | None:
    """The type of the upload's content (a CSV name turns plain text into ``text/csv``), or None.

    None for an executable, by its name or its content, and for content of no known kind. The
    upload is read from its start and left at its start.
    """
    upload.seek(0)
    head = upload.read(HEAD)
    upload.seek(0)
    if extension(name) in EXECUTABLE_EXTENSIONS:
        return None
    kind = sniff(head, upload)
    if kind == "text/plain" and extension(name) == "csv":
        kind = "text/csv"
    return kind


def accepted_type(upload, name: str, allowed: Collection[str]) -> str | None:
    """The upload's content type if it is one of ``allowed`` (the caller's policy), else None."""
    kind = content_type(upload, name)
    return kind if kind in allowed else None
