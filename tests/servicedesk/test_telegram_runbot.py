"""`manage.py runbot` as a real process against the fake Bot API: idle without a token, then
polling as soon as one is saved (no restart), each update stored and handled."""

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.telegram_fake import FakeBotApi, text_update, user

ROOT = Path(__file__).resolve().parents[2]


def _wait_for_line(process, text: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line:
            seen.append(line)
            if text in line:
                return line
        elif process.poll() is not None:
            break
    raise AssertionError(f"runbot never printed {text!r}: {''.join(seen)}")


def test_runbot_waits_for_a_token_then_polls_and_answers(tmp_path):
    fake = FakeBotApi().start()
    database = tmp_path / "bot.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "TELEGRAM_API_BASE_URL": fake.url,
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("REDIS_URL", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=300
    )
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runbot", "--check-every", "0.3"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_for_line(process, "BotFather")
        with sqlite3.connect(database) as db:
            db.execute(
                "UPDATE servicedesk_desksettings SET telegram_token = ?, telegram_username = ?, "
                "header_company_name = ?",
                (fake.token, fake.username, "Админ24"),
            )
        _wait_for_line(process, f"@{fake.username}")
        fake.feed(text_update(fake.next_update_id(), 4242, "/start", sender=user(4242, language_code="en")))
        greeting = fake.wait_for(lambda: [t for t in fake.texts(4242) if "Админ24" in t], timeout=30)
        assert "Hello" in greeting[0]
        with sqlite3.connect(database) as db:
            assert db.execute("SELECT status FROM servicedesk_telegramupdate").fetchall() == [("done",)]
        assert fake.calls_to("deleteWebhook")  # polling takes over from a webhook
    finally:
        process.terminate()
        process.wait(timeout=20)
        fake.stop()
