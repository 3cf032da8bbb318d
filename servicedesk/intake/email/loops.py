"""Loops, bounces, noise (RFC 3834, RFC 3464): what must never become a comment or get an answer."""

import re

from .parse import Parsed, _ids, _raw_header, header_text, part_text

_BULK = {"bulk", "junk", "list", "auto_reply"}


def auto_reply_header(parsed: Parsed) -> str:
    """The header that marks the message automatic ("" for a human's message)."""
    auto = parsed.header("Auto-Submitted").strip().lower()
    if auto and auto.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {auto}"
    precedence = parsed.header("Precedence").strip().lower()
    if precedence in _BULK:
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress", "List-Id", "List-Unsubscribe"):
        if parsed.header(name):
            return name
    return ""


def is_bounce(parsed: Parsed) -> bool:
    message = parsed.message
    if message.get_content_type() == "multipart/report":
        return True
    local = parsed.from_address.split("@", 1)[0]
    if local in ("mailer-daemon", "postmaster") or parsed.from_name.lower().startswith("mail delivery"):
        return True
    return_path = header_text(message, "Return-Path").strip()
    return return_path == "<>" and bool(
        re.search(r"(?:undeliver|delivery (?:status|failure)|не доставлен|returned mail)", parsed.subject, re.I)
    )


def bounce_details(parsed: Parsed) -> tuple[list[str], str]:
    """(the Message-IDs the bounce may return, its diagnostic)."""
    ids, diagnostic, text = [], "", ""
    for part in parsed.message.walk():
        kind = part.get_content_type()
        if kind in ("message/delivery-status", "message/global-delivery-status"):
            body = part.get_payload()
            blocks = body if isinstance(body, list) else []
            lines = []
            for block in blocks:
                for key in ("Diagnostic-Code", "Status", "Action", "Final-Recipient"):
                    value = header_text(block, key)
                    if value:
                        lines.append(f"{key}: {value}")
            if not blocks:
                lines = [line for line in part_text(part).splitlines() if line.strip()]
            diagnostic = diagnostic or "; ".join(lines)
        elif kind in ("message/rfc822", "message/global"):
            inner = part.get_payload()
            if isinstance(inner, list) and inner:
                ids += _ids(_raw_header(inner[0], "Message-ID") or "")
        elif kind == "text/rfc822-headers":
            ids += re.findall(r"(?im)^Message-ID:\s*(<[^>]+>)", part_text(part))
        elif kind == "text/plain" and not text:
            text = part_text(part)
    ids += parsed.references
    if not ids and text:
        ids += re.findall(r"(?im)^\s*Message-ID:\s*(<[^>]+>)", text)
    if not diagnostic:
        found = re.search(r"(?im)^.*(?:\b[45]\d\d[ -][45]\.\d+\.\d+|diagnostic|remote server|#[45]\.\d\.\d+).*$", text)
        diagnostic = found.group(0).strip() if found else " ".join(text.split())[:300]
    return ids, diagnostic[:1000] or parsed.subject
