"""The email backend of `make run` without SMTP or an ESP: each email printed as people read it.

Django's console backend prints the raw MIME message, where a Russian subject is an RFC 2047
encoded word (``=?utf-8?b?0KHRh9GR0YI…?=``) and a long body may be quoted-printable. This one
prints the headers decoded and every text part as text; attachments by name, type and size.
"""

from email import message_from_bytes, policy
from email.message import EmailMessage

from django.core.mail.backends.console import EmailBackend as DjangoConsoleBackend

HEADERS = ("From", "To", "Cc", "Reply-To", "Subject", "Date", "Message-ID", "In-Reply-To")


class EmailBackend(DjangoConsoleBackend):
    def write_message(self, message):
        parsed: EmailMessage = _parsed(message.message().as_bytes())
        # A folded header decodes with the folding's whitespace left in: one line, single spaces.
        lines = [f"{name}: {' '.join(str(parsed[name]).split())}" for name in HEADERS if parsed[name] is not None]
        for part in parsed.walk():
            if part.is_multipart():
                continue
            filename = part.get_filename()
            if filename or part.get_content_maintype() != "text":
                size = len(part.get_payload(decode=True) or b"")
                lines.append(f"[attachment: {filename or '—'}, {part.get_content_type()}, {size} bytes]")
            else:
                lines += ["", f"--- {part.get_content_type()} ---", part.get_content().rstrip()]
        self.stream.write("\n".join(lines) + "\n")
        self.stream.write("-" * 79 + "\n")


def _parsed(raw: bytes) -> EmailMessage:
    return message_from_bytes(raw, policy=policy.default)
