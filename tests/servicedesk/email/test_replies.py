"""The reply without its quoted history: the lines that open a quote in every language quotequail
knows are still cut now that quotequail only sees texts that may carry one (issue 14 §8)."""

import pytest

from servicedesk.intake.email.replies import reply_text

OPENINGS = [
    "On Mon, Dec 1, 2026 at 10:00 AM Ivan <i@x.ru> wrote:",
    "On Mon, Dec 1, 2026 at 10:00 AM Ivan Petrov <i@x.ru>\nwrote:",  # wrapped
    "Am 01.12.2026 um 10:00 schrieb Ivan <i@x.ru>:",
    "Le 1 déc. 2026 à 10:00, Ivan <i@x.ru> a écrit :",
    "El 1 dic 2026, Ivan escribió:",
    "Den 1 dec 2026 skrev Ivan <i@x.ru>:",
    "Em 1 de dez de 2026, Ivan escreveu:",
    "Op 1 dec. 2026 schreef Ivan <i@x.ru>:",
    "Op 1 dec. 2026 heeft Ivan het volgende geschreven:",
    "2026/12/01 Ivan <i@x.ru>",
    "-----Original Message-----",
    "Begin forwarded message:",
    "________________________________",
]


@pytest.mark.parametrize("opening", OPENINGS)
def test_every_quote_opening_quotequail_knows_is_cut(opening):
    reply = reply_text(f"Спасибо, заработало.\n\n{opening}\n> старое письмо\n> ещё строка")
    assert reply.startswith("Спасибо, заработало.") and "старое" not in reply, reply


def test_a_text_without_a_quote_is_kept_whole():
    text = "Здравствуйте!\n\nНе открывается 1С, ошибка 0x80.\nПробовал перезагрузить — не помогло."
    assert reply_text(text) == text


def test_past_a_thousand_lines_the_rest_is_cut_as_quotequail_does():
    lines = [f"строка {n}" for n in range(1200)]
    assert reply_text("\n".join(lines)) == "\n".join(lines[:1000])
