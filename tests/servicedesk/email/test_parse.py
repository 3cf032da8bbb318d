"""Reading addresses without the stdlib's slow parser gives the stdlib's pairs (issue 14 §8)."""

import email.utils

import pytest

from servicedesk.intake.email.parse import getaddresses

VALUES = [
    "a@b.ru",
    "Клиент <client1@client.example>",
    "  Иван   Петров  <ivan@client.ru> ",
    '"Иван, отдел продаж" <i@x.ru>',
    '"Иван  Петров" <i@x.ru>',
    "a@b.ru, c@d.ru",
    'Иван <i@x.ru>, "П" <p@x.ru>',
    "<a@b.ru>",
    "Ivan P. <a@b.ru>",
    "ivan..petrov@client.ru",
    "ivan@client",
    "a b@c.ru",
    "",
    "undisclosed-recipients:;",
    "Name (comment) <a@b.ru>",
    "a@b.ru,",
    "x@y.ru , z@w.ru",
    '"" <a@b.ru>',
    "support+t12-abcdef12@example.ru",
    "Иван <ivan@клиент.рф>",
    '"Broken <a@b.ru>',
    "a@b.ru <c@d.ru>",
]


@pytest.mark.parametrize("value", VALUES)
def test_the_same_pairs_as_the_stdlib(value):
    assert getaddresses([value]) == email.utils.getaddresses([value])


def test_several_headers_together():
    assert getaddresses(VALUES[:8]) == email.utils.getaddresses(VALUES[:8])
