"""Reading a raw message as a Russian mailbox sends it: charsets, encoded words, HTML-only mail, files."""

import email
import email.header
import email.policy
import email.utils
import hashlib
import html
import mimetypes
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import unquote

import nh3
from charset_normalizer import from_bytes

# Charsets that declare nothing Cyrillic: bytes above 0x7F under them are a wrong declaration.
_LATIN = {"", "us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1", "windows-1252", "cp1252"}


class Unreadable(Exception):
    """The message cannot be read at all (the reason is the text)."""


@dataclass
class File:
    name: str
    content: bytes
    content_type: str


@dataclass
class Parsed:
    message: email.message.Message
    message_id: str
    from_name: str
    from_address: str
    subject: str
    text: str
    references: list[str] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    files: list[File] = field(default_factory=list)

    def header(self, name: str) -> str:
        return header_text(self.message, name)


def parse_bytes(raw: bytes) -> email.message.Message:
    """The message's structure, with the ``compat32`` policy: headers stay the raw text they came
    as, which is all this module reads (``header_text`` and ``decode_header_value`` decode encoded
    words joined across folded lines, and raw 8-bit bytes by detection, better than the stdlib's
    header classes). ``email.policy.default`` parsed a header again into an object on each
    ``get_content_type()``, ``get_filename()`` … (ten times per message, most of its processing)."""
    return email.message_from_bytes(raw, policy=email.policy.compat32)


def storable(text: str) -> str:
    """``text`` without what no database column takes: NUL (PostgreSQL refuses it) and lone
    surrogates (not encodable as UTF-8), which broken or hostile mail carries."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Text from bytes in the declared charset; detection when it is missing, wrong or unknown."""
    return storable(_decode_bytes(data, charset))


def _decode_bytes(data: bytes, charset: str | None) -> str:
    charset = (charset or "").strip().lower()
    if charset in _LATIN and not any(b > 0x7F for b in data):
        return data.decode("ascii")
    if charset and charset not in _LATIN:
        try:
            return data.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data, cp_isolation=["cp1251", "koi8_r", "iso8859_5", "utf_8", "cp866"]).best()
    if best is not None:
        return str(best)
    return data.decode("cp1251", "replace")


def _raw_header(message, name: str) -> str | None:
    for key, value in message.raw_items():
        if key.lower() == name.lower():
            return value
    return None


def header_text(message, name: str) -> str:
    """A header's text: RFC 2047 words joined before decoding (a character split across two
    words survives), raw 8-bit bytes decoded by detection."""
    raw = _raw_header(message, name)
    if raw is None:
        return ""
    return decode_header_value(raw)


# The stdlib's decode_header is quadratic in the number of encoded words (a 900 KB Subject of
# 50,000 words took 40 s); nothing read from a header needs more than this (a Subject is stored
# in 300 characters, a recipient list of some hundreds of addresses fits).
HEADER_READ_LIMIT = 32_000


def decode_header_value(raw: str) -> str:
    raw = re.sub(r"\r?\n[ \t]+", " ", str(raw)[:HEADER_READ_LIMIT])
    try:
        parts = email.header.decode_header(raw)
    except Exception:
        parts = [(raw, None)]
    out = []
    for chunk, charset in parts:
        if isinstance(chunk, str):
            data = chunk.encode("ascii", "surrogateescape") if _has_surrogates(chunk) else None
            out.append(decode_bytes(data, charset) if data is not None else chunk)
        else:
            out.append(decode_bytes(chunk, charset))
    return storable(" ".join("".join(out).split()))


def _has_surrogates(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _ids(value: str) -> list[str]:
    return re.findall(r"<[^<>\s]+>", value or "")


def _addresses(message, *names) -> list[tuple[str, str]]:
    wanted = {name.lower() for name in names}
    values = [decode_header_value(value) for key, value in message.raw_items() if key.lower() in wanted]
    return [(n, a) for n, a in getaddresses(values) if a]


_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_ADDRESS = rf"{_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
# The forms nearly all mail's addresses take: «a@b.ru», «Имя Фамилия <a@b.ru>», «"Имя, отдел" <a@b.ru>».
_PLAIN = re.compile(rf"\s*(?:({_ADDRESS})|([^\"(),.:;<>@\[\]\\]*?)\s*<({_ADDRESS})>)\s*")
_QUOTED = re.compile(rf'\s*"([^"\\\r\n]*)"\s*<({_ADDRESS})>\s*')


def getaddresses(values: list[str]) -> list[tuple[str, str]]:
    """``email.utils.getaddresses(values)``, the same pairs, read without it for the plain forms
    (its parser, a function call per character, was a tenth of a message's processing)."""
    out = []
    for value in values:
        found = _QUOTED.fullmatch(value)
        if found is not None:
            out.append((found.group(1), found.group(2)))
            continue
        if '"' in value:
            return email.utils.getaddresses(values)
        for piece in value.split(","):
            found = _PLAIN.fullmatch(piece)
            if found is None:
                return email.utils.getaddresses(values)
            if found.group(1):
                out.append(("", found.group(1)))
            else:
                out.append((" ".join(found.group(2).split()), found.group(3)))
    return out


def digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def message_id_of(message) -> str:
    found = _ids(_raw_header(message, "Message-ID") or "")
    return storable(found[0][:300]) if found else ""


def sender(message) -> tuple[str, str]:
    """(name, lower-case address) of who sent the message: From, else Sender, else Reply-To.
    The stored row and the processing read the same, so the flood cap counts one address."""
    senders = _addresses(message, "From") or _addresses(message, "Sender") or _addresses(message, "Reply-To")
    name, address = senders[0] if senders else ("", "")
    return name.strip().strip('"'), address.strip().lower()


def parse(raw: bytes) -> Parsed:
    try:
        message = parse_bytes(raw)
    except Exception as exc:  # the stdlib parser is lenient; this is garbage beyond recovery
        raise Unreadable(f"{type(exc).__name__}: {exc}") from exc
    if not message.keys():
        raise Unreadable("no headers")
    from_name, from_address = sender(message)
    references = [
        storable(ref)
        for ref in _ids(_raw_header(message, "In-Reply-To") or "") + _ids(_raw_header(message, "References") or "")
    ]
    recipients = [a for _n, a in _addresses(message, "To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")]
    text, files = _body_and_files(message)
    return Parsed(
        message=message,
        message_id=message_id_of(message),
        from_name=from_name,
        from_address=from_address,
        subject=header_text(message, "Subject"),
        text=text,
        references=references,
        recipients=recipients,
        files=files,
    )


def part_text(part) -> str:
    payload = part.get_payload(decode=True)
    if payload is None:
        payload = str(part.get_payload() or "").encode("utf-8", "surrogateescape")
    return decode_bytes(payload, part.get_content_charset())


def _body_and_files(message) -> tuple[str, list[File]]:
    """The text and the files. An inline image (``cid:`` in the HTML, ``[cid:…]`` in Outlook's
    plain text) stays a file — the comment is text — and is named by its place: the text says
    ``[image001.png]`` where the image stood, and the file is called that (its Content-ID's name
    when it has no file name), so «see the screenshot below» points at a file staff can open."""
    plain, rich, files, images = [], [], [], {}
    multipart = message.is_multipart()
    if message.get_content_maintype() == "multipart" and not message.is_multipart():
        # A multipart whose boundary is missing or never found: its body is not MIME at all.
        raise Unreadable("multipart without the parts its boundary should separate")
    attached = _parts_of_attached_messages(message)
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822" or kind == "message/global":
            inner = part.get_payload()
            data = (
                inner[0].as_bytes()
                if isinstance(inner, list) and inner
                else bytes(part.get_payload(decode=True) or b"")
            )
            name = (header_text(inner[0], "Subject") if isinstance(inner, list) and inner else "") or "message"
            files.append(File(name=f"{_safe_name(name)}.eml", content=data, content_type="message/rfc822"))
            continue
        if part.is_multipart():
            continue
        if id(part) in attached:
            continue
        disposition = (part.get_content_disposition() or "").lower()
        filename = part.get_filename()
        if filename:
            filename = decode_header_value(filename)
        if disposition == "attachment" or filename or not kind.startswith("text/"):
            if not multipart and kind.startswith("text/"):
                pass
            else:
                content = part.get_payload(decode=True) or b""
                content_id = _content_id(part)
                name = _safe_name(filename or _name_in(content_id) or _default_name(kind))
                files.append(File(name=name, content=content, content_type=kind))
                if content_id:
                    images.setdefault(content_id, name)
                continue
        if kind == "text/plain":
            plain.append(part_text(part))
        elif kind == "text/html":
            rich.append(part_text(part))
    plain = [_CID_REFERENCE.sub(lambda found: _image_mark(found, images), text) for text in plain]
    text = "\n\n".join(t for t in plain if t.strip()) or "\n\n".join(
        t for t in (html_to_text(markup, images) for markup in rich) if t.strip()
    )
    return text.replace("\r\n", "\n").replace("\r", "\n"), files


# Outlook's plain text puts ``[cid:image001.png@01DA1B2C.3D4E5F60]`` where an inline image was.
_CID_REFERENCE = re.compile(r"\[cid:([^\]\s]+)\]", re.IGNORECASE)


def _image_mark(found, images: dict[str, str]) -> str:
    name = images.get(found[1].lower())
    return f"[{name}]" if name else found[0]


def _content_id(part) -> str:
    """The part's Content-ID as ``cid:`` URLs name it: without the angle brackets, lower-case."""
    value = part.get("Content-ID")
    return str(value).strip().strip("<>").strip().lower() if value else ""


def _name_in(content_id: str) -> str:
    """The file name a Content-ID carries (``image001.png@01DA…`` → ``image001.png``), if any."""
    local = content_id.split("@", 1)[0]
    # Thunderbird's ``part1.A1B2C3D4.E5F6@…`` has dots and names no file: a known type says it does.
    return local if re.fullmatch(r"[\w.-]+", local) and mimetypes.guess_type(local)[0] else ""


def _parts_of_attached_messages(root) -> set[int]:
    """The ids of the parts inside an attached message: walk() descends into message/rfc822, and
    those parts belong to the attached message's own file. Gathered once, in one walk: asked
    part by part, 5,000 small attachments took 2.5 minutes."""
    inside = set()
    for container in root.walk():
        if id(container) not in inside and container.get_content_type() in ("message/rfc822", "message/global"):
            inner = container.get_payload()
            for sub in inner if isinstance(inner, list) else ():
                inside.update(id(p) for p in sub.walk())
    return inside


def _default_name(kind: str) -> str:
    return {"image/png": "image.png", "image/jpeg": "image.jpg", "image/gif": "image.gif"}.get(kind, "file")


def _safe_name(name: str) -> str:
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", name).strip(" .") or "file"
    return name[:200]


class _Text(HTMLParser):
    BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "ul", "ol"}

    def __init__(self, images: dict[str, str]):
        super().__init__(convert_charrefs=True)
        self.out = []
        self.images = images

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            # An image of the message itself is marked by its file's name; a remote one is not
            # fetched, and says nothing.
            source = dict(attrs).get("src") or ""
            name = self.images.get(unquote(source[4:]).strip().lower()) if source[:4].lower() == "cid:" else None
            if name:
                self.out.append(f"[{name}]")
        if tag in self.BLOCK:
            self.out.append("\n")
        if tag == "blockquote":
            self.out.append("\n> ")

    def handle_endtag(self, tag):
        if tag in self.BLOCK:
            self.out.append("\n")

    def handle_data(self, data):
        self.out.append(data)


# nh3 (html5ever) takes time quadratic in how deeply elements nest: 50,000 nested <div> took 76 s
# of a worker. No mail program nests more than a few dozen; deeper is refused before nh3 reads it.
MAX_HTML_DEPTH = 1000
# Elements that never hold others, or that the next of their kind closes (an old report's
# unclosed <td> and <p>): they do not deepen the nesting.
_NOT_NESTING = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
    | {"p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody", "tfoot", "option", "optgroup", "colgroup"}
    | {"caption", "rb", "rt", "rp"}
)
# [^<>]* rather than [^>]*: a "<" never closed cannot make each later match scan to the end.
_TAG = re.compile(r"<(/?)([a-zA-Z][^\s/<>]*)[^<>]*>")


def _html_depth(markup: str) -> int:
    depth = deepest = 0
    for closing, name in _TAG.findall(markup):
        if name.lower() in _NOT_NESTING:
            continue
        if closing:
            depth = max(depth - 1, 0)
        else:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


def html_to_text(markup: str, images: dict[str, str]) -> str:
    """Readable text from HTML: sanitised first (nh3), then paragraphs and line breaks kept;
    ``images``: the message's inline images' file names by Content-ID, marked where they stand."""
    if _html_depth(markup) > MAX_HTML_DEPTH:
        raise Unreadable(f"HTML nested more than {MAX_HTML_DEPTH} levels deep")
    clean = nh3.clean(
        markup,
        tags={"p", "div", "br", "li", "ul", "ol", "tr", "td", "table", "blockquote", "b", "i", "a", "img"},
        url_schemes=nh3.ALLOWED_URL_SCHEMES | {"cid"},
    )
    parser = _Text(images)
    parser.feed(clean)
    text = html.unescape("".join(parser.out))
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
