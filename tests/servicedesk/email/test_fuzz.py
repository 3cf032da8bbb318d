"""A seeded mutation fuzz: 2,000 damaged messages; none raises, each ends with a status and a reason."""

import random
from email.message import EmailMessage

import pytest

from servicedesk.intake.email import ingest
from servicedesk.models import InboundEmail

pytestmark = [pytest.mark.django_db]
COUNT = 2000


def _seeds() -> list[bytes]:
    plain = EmailMessage()
    plain["From"] = "Иван <ivan@client.ru>"
    plain["To"] = "support+t1-0123456789abcdef0123@example.ru"
    plain["Subject"] = "Re: [#1] Принтер"
    plain["In-Reply-To"] = "<nothing@example.ru>"
    plain.set_content("Ответ клиента\n\n01.12.2026 10:05, Поддержка пишет:\n> цитата", charset="koi8-r")
    rich = EmailMessage()
    rich["From"] = "maria@new.ru"
    rich["Subject"] = "=?windows-1251?b?z/Do4uXy?="
    rich.set_content("<p>Привет <b>мир</b></p>", subtype="html")
    rich.add_attachment(b"%PDF-1.4 x", maintype="application", subtype="pdf", filename="a.pdf")
    bounce = (
        b"From: MAILER-DAEMON@mx.ru\r\nSubject: Undelivered\r\nContent-Type: multipart/report; "
        b'report-type=delivery-status; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n550 5.1.1 no\r\n'
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n\r\n--b--\r\n"
    )
    return [plain.as_bytes(), rich.as_bytes(), bounce]


def _mutate(data: bytes, rng: random.Random) -> bytes:
    data = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        action = rng.randrange(6)
        at = rng.randrange(len(data) + 1)
        if action == 0 and data:
            data[min(at, len(data) - 1)] = rng.randrange(256)
        elif action == 1:
            data[at:at] = rng.choice([b"\r\n", b"=?utf-8?b?", b"?=", b"--b", b"\xff\xfe", b":", b"\x00", b"=\r\n"])
        elif action == 2:
            del data[at : at + rng.randint(1, 40)]
        elif action == 3:
            data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 30)))
        elif action == 4:
            data = data[: rng.randrange(len(data) + 1)]
        else:
            start = rng.randrange(len(data) + 1)
            data[at:at] = data[start : start + rng.randint(1, 200)]
    return bytes(data)


def test_no_mutated_message_escapes_with_an_exception(django_capture_on_commit_callbacks, eager_celery):
    rng = random.Random(14)
    seeds = _seeds()
    for n in range(COUNT):
        raw = _mutate(rng.choice(seeds), rng) + f"\r\nX-Fuzz: {n}\r\n".encode()
        with django_capture_on_commit_callbacks(execute=True):
            ingest(raw, source="other")
    rows = InboundEmail.objects.all()
    assert rows.count() >= COUNT * 0.9  # some mutations cut the unique tail into the same bytes
    assert not rows.filter(status=InboundEmail.Status.RECEIVED).exists()
    assert not rows.exclude(reason__gt="").exists()
    assert rows.filter(status=InboundEmail.Status.PROCESSED).exists()
    assert rows.filter(status=InboundEmail.Status.QUARANTINED).exists() or rows.filter(status="ignored").exists()
