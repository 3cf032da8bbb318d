"""Email through Django's mail API, so the configured backend (any anymail ESP, SMTP) delivers it."""

import mimetypes
import smtplib

from anymail.exceptions import (
    AnymailAPIError,
    AnymailInvalidAddress,
    AnymailRecipientsRefused,
    AnymailSerializationError,
    AnymailUnsupportedFeature,
)
from django.core.mail import EmailMultiAlternatives

from .base import Channel, PermanentError, TemporaryError, read_attachment, register


@register
class EmailChannel(Channel):
    name = "email"

    def address_for(self, recipient) -> str | None:
        if isinstance(recipient, str):
            return recipient.strip() or None
        for attribute in ("email", "first_email"):
            if getattr(recipient, attribute, ""):
                return getattr(recipient, attribute)
        emails = getattr(recipient, "emails", None)
        if emails is None:
            return None
        if hasattr(emails, "all"):
            emails = emails.all()
        for item in emails:
            value = item if isinstance(item, str) else getattr(item, "email", "")
            if value:
                return value
        return None

    def send(self, message) -> str:
        headers = dict(message.headers)
        reply_to = headers.pop("Reply-To", None)
        from_email = headers.pop("From", None)
        headers["Message-ID"] = message.message_id
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.body_text,
            from_email=from_email,
            to=[message.address],
            reply_to=[reply_to] if reply_to else None,
            headers=headers,
        )
        if message.body_html:
            email.attach_alternative(message.body_html, "text/html")
        for path in message.attachments:
            name, content = read_attachment(message, path)
            email.attach(name, content, mimetypes.guess_type(name)[0] or "application/octet-stream")
        try:
            sent = email.send(fail_silently=False)
        except Exception as exc:
            raise _classify(exc) from exc
        if not sent:
            raise TemporaryError("the mail backend accepted nothing")
        status = getattr(email, "anymail_status", None)
        provider_id = getattr(status, "message_id", None)
        return str(provider_id) if provider_id else message.message_id


def _classify(exc: Exception) -> TemporaryError | PermanentError:
    """Whether trying the same message again later can succeed."""
    reason = f"{type(exc).__name__}: {_describe(exc)}"
    if isinstance(
        exc, AnymailRecipientsRefused | AnymailInvalidAddress | AnymailUnsupportedFeature | AnymailSerializationError
    ):
        return PermanentError(reason)
    if isinstance(exc, AnymailAPIError):
        # A 4xx is the ESP rejecting this message; timeouts, throttling and 5xx pass.
        code = exc.status_code
        if code is not None and 400 <= code < 500 and code not in (408, 429):
            return PermanentError(reason)
        return TemporaryError(reason)
    if isinstance(exc, ValueError):
        # A header or address the mail library refuses to encode: the same message fails every time.
        return PermanentError(reason)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return PermanentError(reason) if codes and all(code >= 500 for code in codes) else TemporaryError(reason)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        # Wrong credentials are fixed by an administrator; the queued mail should go out after that.
        return TemporaryError(reason)
    if isinstance(exc, smtplib.SMTPResponseException):
        return PermanentError(reason) if 500 <= exc.smtp_code < 600 else TemporaryError(reason)
    # Disconnects, refused connections, timeouts, TLS trouble, misconfiguration: worth another try.
    return TemporaryError(reason)


def _describe(exc: Exception) -> str:
    try:
        return str(exc)
    except Exception:
        # Some client errors build their text from a response that never came (a timeout).
        return " ".join(str(arg) for arg in exc.args)
