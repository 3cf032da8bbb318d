"""`make run` prints emails to the console: decoded, as people read them."""

import io
import subprocess
import sys
from pathlib import Path

from django.core.mail import EmailMultiAlternatives

from notifications.console import EmailBackend

ROOT = Path(__file__).resolve().parent.parent.parent


def test_a_russian_email_is_printed_with_its_subject_and_body_decoded():
    stream = io.StringIO()
    email = EmailMultiAlternatives(
        subject="[#1042] Ваша заявка выполнена: Не печатает принтер",
        body="Здравствуйте!\n" + "Очень длинная строка письма. " * 60,
        from_email="Админ24 <noreply@admin24.example>",
        to=["Пётр Клиентов <petr@client.ru>"],
        reply_to=["support+t1-abc@admin24.example"],
    )
    email.attach_alternative("<p>Здравствуйте!</p>", "text/html")
    email.attach("счёт.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")

    EmailBackend(stream=stream).send_messages([email])

    printed = stream.getvalue()
    assert "Subject: [#1042] Ваша заявка выполнена: Не печатает принтер" in printed
    assert "From: Админ24 <noreply@admin24.example>" in printed
    assert "To: Пётр Клиентов <petr@client.ru>" in printed
    assert "Очень длинная строка письма. Очень длинная строка письма." in printed
    assert "<p>Здравствуйте!</p>" in printed
    assert "[attachment: счёт.pdf, application/pdf, 15 bytes]" in printed
    assert "=?utf-8?" not in printed.lower()


def test_make_run_prints_emails_with_this_backend(tmp_path):
    # The default when neither EMAIL_URL nor an ESP is configured (tests override it for memory);
    # empty variables win over a developer's .env, which never overrides the environment.
    code = "from django.conf import settings; print(settings.EMAIL_BACKEND)"
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PATH": "/usr/bin:/bin",
        "VAR_DIR": str(tmp_path),
        "EMAIL_URL": "",
        "ANYMAIL_ESP": "",
        "DEBUG": "true",
    }
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "notifications.console.EmailBackend"
