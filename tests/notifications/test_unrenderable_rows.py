"""A delivery batch with one row that cannot be rendered (its template broken since it was written,
or a value of its context a filter rejects): that row fails for good with the error as its reason,
the batch's other rows go out in the same task, the sweeper sends nothing again, and the admin's
outbox shows the failed row and why."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from admin24.roles import Role
from notifications import services
from notifications.models import OutboxMessage
from notifications.services import Notice, notify_many
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FRAGILE = {
    "subject.txt": "{{ title }}",
    "body.txt": "{{ text }}{% if n|divisibleby:2 %} (even){% endif %}",
    "body.html": "<p>{{ text }}{% if n|divisibleby:2 %} (even){% endif %}</p>",
}


@pytest.fixture
def fragile(settings, tmp_path):
    """A notification template of a temporary folder; ``break_it()`` puts a syntax error in it
    (and drops the compiled templates, as a deploy does)."""
    folder = tmp_path / "notifications" / "fragile"
    folder.mkdir(parents=True)
    for name, text in FRAGILE.items():
        (folder / name).write_text(text)
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], tmp_path]}]

    def break_it():
        (folder / "body.html").write_text("<p>{% if %}{{ text }}</p>")
        settings.TEMPLATES = [{**settings.TEMPLATES[0]}]

    return break_it


@pytest.mark.parametrize(
    ("bad_n", "broken_since", "error"),
    [("two", False, "ValueError"), (2, True, "TemplateSyntaxError")],
    ids=["a value a filter rejects", "a template broken since written"],
)
def test_a_row_that_cannot_be_rendered_fails_alone_and_its_batch_goes_out(
    fragile, bad_n, broken_since, error, client, django_capture_on_commit_callbacks
):
    good = [f"c{n}@example.ru" for n in (0, 1, 3, 4)]
    notices = [Notice(address, "reminder", {"title": f"Счёт {address}", "text": "Оплатите."}) for address in good]
    notices.insert(2, Notice("bad@example.ru", "fragile", {"title": "Счёт", "text": "Оплатите.", "n": bad_n}))
    with django_capture_on_commit_callbacks(execute=True):
        notify_many(notices)
        if broken_since:
            fragile()
    # One delivery task for the five rows (as the worker runs it): four went out, the fifth failed.
    assert sorted(message.to[0] for message in mail.outbox) == good
    bad = OutboxMessage.objects.get(address="bad@example.ru")
    assert (bad.status, bad.attempts, bad.subject) == ("failed", 1, "")
    assert error in bad.last_error
    assert set(OutboxMessage.objects.exclude(pk=bad.pk).values_list("status", flat=True)) == {"sent"}

    # Failed for good: the sweeper publishes nothing again, however late it comes.
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=1), tick=False):
        assert services.outbox_sweep() == 0
    bad.refresh_from_db()
    assert (bad.status, len(mail.outbox)) == ("failed", 4)

    # The admin's outbox lists it and tells why; its page opens.
    client.force_login(UserFactory(roles=[Role.ADMINISTRATOR], is_staff=True, is_superuser=True))
    page = client.get(reverse("admin:notifications_outboxmessage_changelist"), {"status__exact": "failed"})
    assert page.status_code == 200
    assert "bad@example.ru" in page.content.decode() and error in page.content.decode()
    assert client.get(reverse("admin:notifications_outboxmessage_change", args=[bad.pk])).status_code == 200


def test_the_outbox_lists_a_pending_row_that_cannot_be_rendered_beside_the_others(fragile, client):
    # Not delivered yet (its after-commit publish never runs in this test's transaction).
    notify_many([Notice("ok@example.ru", "reminder", {"title": "Счёт к оплате", "text": "Оплатите."}),
                 Notice("bad@example.ru", "fragile", {"title": "Счёт", "text": "Оплатите.", "n": "two"})])  # fmt: skip
    client.force_login(UserFactory(roles=[Role.ADMINISTRATOR], is_staff=True, is_superuser=True))
    page = client.get(reverse("admin:notifications_outboxmessage_changelist"))
    assert page.status_code == 200
    # The other row is shown as it will go; the bad one is listed, its subject empty.
    assert "Счёт к оплате" in page.content.decode() and "bad@example.ru" in page.content.decode()
