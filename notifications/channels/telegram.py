"""Telegram through the Bot API (``admin24.telegram``): one outbox row, one or more messages and files.

Telegram takes plain text or its own small HTML subset (no ``<p>``, no ``<br>``) and at most
4,096 characters a message: ``telegram_html`` converts our sanitised HTML, ``split`` cuts it
into messages that each close the tags they opened. The files of a row go as documents under
their own names. A row half sent when an error came (the second part refused) remembers the
parts already accepted in its ``provider_id`` and sends only the rest on the next attempt.

A 429 is a ``TemporaryError`` carrying Telegram's ``retry_after``; a chat that will never take a
message again ("bot was blocked by the user", "chat not found") is reported to
``admin24.telegram.chat_blocked`` and the row fails for good.
"""

from html import escape
from html.parser import HTMLParser

from admin24 import telegram

from .base import Channel, PermanentError, TemporaryError, read_attachment, register

KEPT = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "pre", "a", "blockquote"}
BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "tr", "blockquote", "pre"}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
DROPPED = {"style", "script", "head", "title"}


class _Converter(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in DROPPED:
            self.skipping += 1
            return
        if self.skipping:
            return
        if tag == "br":
            self.out.append("\n")
        elif tag == "li":
            self.out.append("\n• ")
        elif tag in HEADINGS:
            self._block()
            self.out.append("<b>")
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            if href.startswith(("http://", "https://", "mailto:", "tg://")):
                self.out.append(f'<a href="{escape(href, quote=True)}">')
            else:
                self.out.append("<a>")  # closed below; removed as empty of meaning
        elif tag in KEPT:
            if tag in BLOCKS:
                self._block()
            self.out.append(f"<{tag}>")
        elif tag in BLOCKS:
            self._block()
        elif tag == "td" or tag == "th":
            self.out.append(" ")

    def handle_endtag(self, tag):
        if tag in DROPPED:
            self.skipping = max(self.skipping - 1, 0)
            return
        if self.skipping:
            return
        if tag in HEADINGS:
            self.out.append("</b>")
            self._block()
        elif tag in KEPT:
            self.out.append(f"</{tag}>")
            if tag in BLOCKS:
                self._block()
        elif tag in BLOCKS:
            self._block()

    def handle_data(self, data):
        if not self.skipping:
            self.out.append(escape(data, quote=False))

    def _block(self):
        self.out.append("\n\n")


def telegram_html(html: str) -> str:
    """Sanitised HTML in Telegram's subset: paragraphs and line breaks become new lines."""
    converter = _Converter()
    converter.feed(html or "")
    converter.close()
    text = "".join(converter.out).replace("<a></a>", "").replace("<a>", "")
    # An <a> without a usable href lost its opening tag: drop its closing tag too.
    text = _balance_links(text)
    lines = [line.strip() for line in text.replace("\r", "").split("\n")]
    collapsed: list[str] = []
    for line in lines:
        if line or (collapsed and collapsed[-1]):
            collapsed.append(line)
    return "\n".join(collapsed).strip()


def _balance_links(text: str) -> str:
    out, depth, index = [], 0, 0
    while index < len(text):
        if text.startswith("<a href=", index):
            depth += 1
        elif text.startswith("</a>", index):
            if depth == 0:
                index += 4
                continue
            depth -= 1
        out.append(text[index])
        index += 1
    return "".join(out)


def _tokens(html: str) -> list[str]:
    """Tags and text pieces, in order (our converter's output has no "<" outside tags)."""
    tokens, index = [], 0
    while index < len(html):
        if html[index] == "<":
            end = html.index(">", index) + 1
            tokens.append(html[index:end])
            index = end
        else:
            end = html.find("<", index)
            end = len(html) if end == -1 else end
            tokens.append(html[index:end])
            index = end
    return tokens


def split(html: str, limit: int = telegram.MESSAGE_LIMIT) -> list[str]:
    """Messages of at most ``limit`` characters, cut at new lines or spaces where possible; each
    message closes the tags it has open and the next one opens them again."""
    if len(html) <= limit:
        return [html] if html else []
    parts: list[str] = []
    current, open_tags = "", []  # open_tags: the opening tags in force, outermost first

    def closing() -> str:
        return "".join(f"</{_name(tag)}>" for tag in reversed(open_tags))

    def flush():
        nonlocal current
        body = current + closing()
        if body.strip():
            parts.append(body.strip())
        current = "".join(open_tags)

    for token in _tokens(html):
        if token.startswith("<"):
            if len(current) + len(token) + len(closing()) + 8 > limit:
                flush()
            current += token
            if token.startswith("</"):
                if open_tags:
                    open_tags.pop()
            else:
                open_tags.append(token)
            continue
        text = token
        while text:
            room = limit - len(current) - len(closing()) - len("</blockquote>")
            if len(text) <= room:
                current += text
                break
            if room <= 0:
                flush()
                continue
            cut = _cut(text, room)
            current += text[:cut]
            text = text[cut:].lstrip(" ")
            flush()
    flush()
    return parts


def _cut(text: str, room: int) -> int:
    """Where to cut ``text`` to fit ``room``: after a new line, else a space, else mid-word (never in an entity)."""
    window = text[:room]
    for separator in ("\n\n", "\n", " "):
        at = window.rfind(separator)
        if at > room // 2:
            return at + len(separator)
    amp = window.rfind("&")
    if amp != -1 and ";" not in window[amp:]:
        return amp or room
    return room


def _name(tag: str) -> str:
    return tag[1:-1].split()[0].strip("/")


@register
class TelegramChannel(Channel):
    name = "telegram"

    def address_for(self, recipient) -> str | None:
        chat_id = getattr(recipient, "telegram_chat_id", None)
        return str(chat_id) if chat_id else None

    def parts(self, rendered) -> tuple[str, str]:
        return rendered.summary, rendered.telegram

    def send(self, message) -> str:
        from notifications.models import OutboxMessage

        chat_id = int(message.address)
        html = telegram_html(message.body_html) if message.body_html else escape(message.body_text)
        done = [part for part in (message.provider_id or "").split(",") if part]
        steps = [("text", part) for part in split(html)] + [("file", path) for path in message.attachments]
        for kind, value in steps[len(done) :]:
            try:
                if kind == "text":
                    sent = telegram.call(
                        "sendMessage",
                        {"chat_id": chat_id, "text": value, "parse_mode": "HTML", "link_preview_options": _NO_PREVIEW},
                    )
                else:
                    name, content = read_attachment(message, value)
                    sent = telegram.call("sendDocument", {"chat_id": chat_id}, files={"document": (name, content)})
            except telegram.BotApiError as error:
                raise _classify(error, chat_id) from error
            done.append(str(sent.get("message_id", "")) if isinstance(sent, dict) else "")
            OutboxMessage.objects.filter(pk=message.pk).update(provider_id=",".join(done)[:255])
            message.provider_id = ",".join(done)
        return ",".join(done)


_NO_PREVIEW = {"is_disabled": True}


def _classify(error: telegram.BotApiError, chat_id: int) -> Exception:
    if error.temporary:
        return TemporaryError(str(error), retry_after=error.retry_after)
    if telegram.is_permanent_chat_error(error):
        telegram.chat_blocked(chat_id, error.description)
    return PermanentError(str(error))
