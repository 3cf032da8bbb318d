import os

import pytest
from django.conf import settings


def pytest_configure(config):
    # Real hashing costs ~0.3 s per user created; tests only need passwords to round-trip.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _test_environment(settings, tmp_path):
    """Tests send mail to memory, keep uploads in a temporary folder and see fresh caches."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    from django.core.cache import cache
    from django.utils import translation

    cache.clear()
    # Every test starts in the default language, whatever an earlier test activated.
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()
    cache.clear()


@pytest.fixture
def english_readers(monkeypatch):
    """The people a test creates read English, and so does the test: notifications are told in the
    recipient's language and messages rendered in the active one (the default is Russian)."""
    from django.utils import translation

    from admin24.models import User

    monkeypatch.setattr(User._meta.get_field("language"), "default", "en")
    with translation.override("en"):
        yield


@pytest.fixture
def eager_celery():
    """Published tasks run inline, as a worker would run them.

    Set on the Celery app itself: it read its settings once, so overriding the Django setting
    in a test changes nothing.
    """
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def broker_down():
    """The project's Celery app publishing to a local port nobody listens on, its other settings as
    deployed: a broker that is down for real, rather than our own publishing patched."""
    from config.celery import app
    from tests.servers import free_port

    def use(url):
        app.conf.broker_url = url
        app._pool = app.amqp._producer_pool = None  # made for the broker before: made again for this one

    saved = app.conf.broker_url
    use(f"redis://127.0.0.1:{free_port()}/0")
    yield
    use(saved)


def _is_transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    wants_transaction = bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))
    return wants_transaction or {"transactional_db", "live_server"} & set(item.fixturenames)


def pytest_collection_modifyitems(config, items):
    """Skip tests that need services this run does not have, saying why.

    A transactional test ends by emptying every table, which would take the data that migrations
    seed (roles, access rights, constants, checklists) away from the tests after it; serialized
    rollback restores that data before each of them.
    """
    for item in items:
        if _is_transactional(item) and "django_db_serialized_rollback" not in item.fixturenames:
            item.fixturenames.append("django_db_serialized_rollback")
    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    redis_url = os.environ.get("REDIS_URL", "")
    for item in items:
        if "redis" in item.keywords and not redis_url:
            item.add_marker(pytest.mark.skip(reason="needs a real Redis: set REDIS_URL (CI does)"))
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL (CI does)"))


@pytest.fixture
def migrate(transactional_db):
    """Take the schema to migration ``targets`` and return the apps of that state; with no
    targets, forward to the latest migrations. The latest schema is back after the test even
    when it fails half-way, so the tests after it do not run on an old schema."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()

    def to(targets=None):
        targets = targets or latest
        executor = MigrationExecutor(connection)
        executor.migrate(targets)
        return executor.loader.project_state(targets).apps

    yield to
    to(latest)


@pytest.fixture
def telegram_api(settings, db):
    """A fake Bot API server on a free port; the desk's bot token and username point at it."""
    from servicedesk.models import DeskSettings
    from tests.telegram_fake import FakeBotApi

    fake = FakeBotApi().start()
    settings.TELEGRAM_API_BASE_URL = fake.url
    settings.TELEGRAM_TIMEOUT = 5
    desk = DeskSettings.load()
    desk.telegram_token, desk.telegram_username = fake.token, fake.username
    desk.save()
    yield fake
    fake.stop()
