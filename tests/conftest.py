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

    cache.clear()
    yield
    cache.clear()


def pytest_collection_modifyitems(config, items):
    """Skip tests that need services this run does not have, saying why."""
    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    redis_url = os.environ.get("REDIS_URL", "")
    for item in items:
        if "redis" in item.keywords and not redis_url:
            item.add_marker(pytest.mark.skip(reason="needs a real Redis: set REDIS_URL (CI does)"))
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL (CI does)"))
