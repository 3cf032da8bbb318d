"""The Russian catalogue is complete: no fuzzy, untranslated or mis-placeholdered entry reaches a page."""

import importlib.util
from pathlib import Path

import pytest

from admin24.roles import Role
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("compile_messages", ROOT / "scripts" / "compile_messages.py")
compile_messages = importlib.util.module_from_spec(spec)
spec.loader.exec_module(compile_messages)

HEADER = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'


def po(tmp_path, body: str) -> Path:
    path = tmp_path / "ru" / "LC_MESSAGES" / "django.po"
    path.parent.mkdir(parents=True)
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_the_russian_catalogue_has_nothing_fuzzy_untranslated_or_wrong():
    assert compile_messages.problems(ROOT / "locale" / "ru" / "LC_MESSAGES" / "django.po") == []


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ('#, fuzzy\nmsgid "Ticket board"\nmsgstr "Страница заявки:"\n', "fuzzy"),
        ('msgid "Ticket board"\nmsgstr ""\n', "untranslated"),
        ('#, python-format\nmsgid "Hello, %(name)s"\nmsgstr "Привет, %(who)s"\n', "placeholder"),
    ],
)
def test_the_check_finds_what_would_show_wrong_on_a_russian_page(tmp_path, body, kind):
    (problem,) = compile_messages.problems(po(tmp_path, body))
    assert kind in problem


@pytest.mark.django_db
def test_the_home_page_is_russian_through_and_through(client):
    client.force_login(UserFactory(roles=[Role.ADMINISTRATOR]))
    page = client.get("/").content.decode()
    assert "Доска заявок" in page and "Ticket board" not in page
