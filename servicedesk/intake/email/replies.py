"""The reply without the quoted history and the signature: quotequail plus what it does not know in Russian."""

import re

import quotequail

_MONTHS = r"(?:янв|фев|мар|апр|ма[йя]|июн|июл|авг|сен|окт|ноя|дек)[а-я]*\.?"
_WEEKDAY = r"(?:(?:пн|вт|ср|чт|пт|сб|вс|понедельник|вторник|среда|четверг|пятница|суббота|воскресенье),?\s+)?"
# A line that opens the quoted history, in the programs Russian clients use.
_QUOTE_HEADERS = [
    # Gmail, Apple Mail, Yandex: «вт, 1 дек. 2026 г. в 10:05, Имя <addr>:» / «… написал(а):»
    re.compile(
        rf"^\s*{_WEEKDAY}\d{{1,2}}\s+{_MONTHS}\s+\d{{4}}\s*(?:г\.)?,?\s*(?:в\s+)?\d{{1,2}}:\d{{2}}.*"
        r"(?:пишет|написал\(а\)|написала?|:)\s*$",
        re.IGNORECASE,
    ),
    # Mail.ru: «Вторник, 1 декабря 2026, 10:05 +03:00 от Имя <addr>:»
    re.compile(rf"^\s*{_WEEKDAY}\d{{1,2}}\s+{_MONTHS}\s+\d{{4}},?\s+\d{{1,2}}:\d{{2}}.*\sот\s.*:\s*$", re.IGNORECASE),
    # Thunderbird: «01.12.2026 10:05, Имя пишет:»
    re.compile(r"^\s*\d{1,2}\.\d{1,2}\.\d{2,4},?\s+\d{1,2}:\d{2}.*(?:пишет|написал\(а\)|написала?):\s*$", re.I),
    re.compile(r"^.{0,200}(?:пишет|написал\(а\)|написала?):\s*$", re.IGNORECASE),
    re.compile(r"^\s*-{2,}\s*(?:Исходное сообщение|Original Message)\s*-{2,}\s*$", re.IGNORECASE),
    # Outlook in Russian: «От: …» followed by «Отправлено:» / «Дата:» within a few lines.
    re.compile(r"^\s*\*?(?:От|From)\s*:\*?\s+.+$", re.IGNORECASE),
]
_OUTLOOK_NEXT = re.compile(r"^\s*\*?(?:Отправлено|Дата|Sent|Date|Кому|To)\s*:", re.IGNORECASE)
_FORWARD = re.compile(
    r"^\s*-{2,}\s*(?:Пересылаемое сообщение|Forwarded message|Перенаправленное сообщение)\s*-{2,}\s*$", re.I
)
_SIGNATURES = [
    re.compile(r"^-- ?$"),
    re.compile(r"^\s*(?:Отправлено с (?:iPhone|iPad|моего iPhone|моего iPad|мобильного)|Sent from my \w+)", re.I),
    re.compile(r"^\s*(?:Отправлено из|Отправлено через) .*(?:Mail|Почт)", re.IGNORECASE),
]


# What a line must contain for one of quotequail's patterns (0.5.4, ``quotequail._patterns``) to
# match it, looked for in the text without its spaces and line breaks (quotequail joins wrapped
# lines) and in any case: a text with none of them is what quotequail would return whole, so it is
# not handed to it (its line-by-line search was a tenth of a message's processing). A date like
# «2026/12/01» is its Gmail pattern; past its limit of lines it quotes the rest, so a long text
# always goes to it.
_QUOTEQUAIL_WORDS = re.compile(
    r"wrote:|schrieb|écrit:|escribió:|написал\(а\):|skrev|escreveu:|schreef|geschreven:|_{32}"
    r"|beginforwardedmessage|anfangderweitergeleitetene-mail|débutdumessageréexpédié"
    r"|iniciodelmensajereenviado|begindoorgestuurdbericht|forwardedmessage|mensajereenviado"
    r"|vidarebefordratmeddelande|doorgestuurdbericht|originalmessage|ursprünglichenachricht"
    r"|mensajeoriginal|oorspronkelijkbericht|messagetransféré|origineelbericht|пересылаемоесообщение"
    r"|\d{4}/\d{1,2}/\d{1,2}",
    re.IGNORECASE,
)
_QUOTEQUAIL_LIMIT = 1000


def _quotequail_may_cut(text: str) -> bool:
    if text.count("\n") >= _QUOTEQUAIL_LIMIT - 1:
        return True
    return bool(_QUOTEQUAIL_WORDS.search(re.sub(r"\s+", "", text)))


def _cut_at(lines: list[str], ours) -> int | None:
    for index, line in enumerate(lines):
        if _FORWARD.match(line):
            if ours("\n".join(lines[index:])):
                return index
            return None  # the client forwards someone else's message: that is the content
        for pattern in _QUOTE_HEADERS:
            if not pattern.match(line):
                continue
            if pattern is _QUOTE_HEADERS[-1]:
                following = lines[index + 1 : index + 6]
                if not any(_OUTLOOK_NEXT.match(other) for other in following):
                    break
            return index
        if line.startswith(">") and all(not rest.strip() or rest.startswith(">") for rest in lines[index:]):
            return index
    return None


def reply_text(text: str, *, ours=lambda block: False) -> str:
    """What the sender wrote this time. ``ours(block)`` tells whether a forwarded block is our own email."""
    lines = text.replace("\r\n", "\n").split("\n")
    cut = _cut_at(lines, ours)
    if cut is not None:
        lines = lines[:cut]
    text = "\n".join(lines)
    forwarded = any(_FORWARD.match(line) for line in lines)
    if not forwarded and _quotequail_may_cut(text):
        try:
            visible = quotequail.quote(text, limit=_QUOTEQUAIL_LIMIT)
        except Exception:
            visible = [(True, text)]
        text = "".join(part for shown, part in visible if shown) if visible else text
        lines = text.split("\n")
        # quotequail keeps the «On … wrote:» line itself.
        while lines and (not lines[-1].strip() or re.search(r"wrote:\s*$", lines[-1])):
            lines.pop()
    for index, line in enumerate(lines):
        if any(pattern.match(line) for pattern in _SIGNATURES):
            lines = lines[:index]
            break
    return "\n".join(lines).strip()
