"""The zero-setup defaults and the production checks, each in a fresh interpreter."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHOW = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'db': s.DATABASES['default']['ENGINE'], 'broker': s.CELERY_BROKER_URL, "
    "'tz': s.TIME_ZONE, 'lang': s.LANGUAGE_CODE, 'email': s.EMAIL_BACKEND, 'debug': s.DEBUG, "
    "'cache': s.CACHES['default']['BACKEND'], 'site': s.SITE_URL}))"
)


def run(code: str, tmp_path, **env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DEBUG"}}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings", "VAR_DIR": str(tmp_path / "var"), **env_overrides})
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_defaults_need_no_services(tmp_path):
    result = run(SHOW, tmp_path)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown == {
        "db": "django.db.backends.sqlite3",
        "broker": "filesystem://",
        "tz": "Europe/Moscow",
        "lang": "ru",
        "email": "notifications.console.EmailBackend",
        "debug": False,
        "cache": "django.core.cache.backends.filebased.FileBasedCache",
        "site": "http://localhost:8000",
    }
    assert (tmp_path / "var" / "broker" / "queue").is_dir()
    assert (tmp_path / "var" / "secret_key").exists()


def test_environment_variables_win(tmp_path):
    result = run(
        SHOW,
        tmp_path,
        DATABASE_URL="postgres://u:p@db:5432/x",
        REDIS_URL="redis://cache:6379/1",
        TIME_ZONE="Asia/Yekaterinburg",
        SITE_URL="https://desk.example/",
        EMAIL_URL="smtp://mail.example:25",
    )
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["db"] == "django.db.backends.postgresql"
    assert shown["broker"] == "redis://cache:6379/1"
    assert shown["cache"] == "config.cache.FailSoftRedisCache"
    assert shown["tz"] == "Asia/Yekaterinburg"
    assert shown["site"] == "https://desk.example"
    assert shown["email"] == "django.core.mail.backends.smtp.EmailBackend"


def test_production_settings_pass_the_deploy_check(tmp_path):
    result = run(
        "import sys; from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])",
        tmp_path,
        HTTPS="true",
        SECRET_KEY="x" * 20 + "-a-long-production-secret-with-variety-9f8e7d6c5b4a",
        ALLOWED_HOSTS="desk.example",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deploy_check_catches_an_insecure_setup(tmp_path):
    result = run(
        "from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])",
        tmp_path,
        DEBUG="true",
    )
    assert result.returncode != 0
    assert "DEBUG" in result.stderr + result.stdout


HSTS_HEADER = (
    "import django; django.setup(); from django.test import Client; "
    "print(Client().get('/healthz', secure=True, HTTP_HOST='desk.example').headers.get('Strict-Transport-Security'))"
)
PRODUCTION = {
    "HTTPS": "true",
    "SECRET_KEY": "y" * 20 + "-another-long-secret-1a2b3c4d5e6f",
    "ALLOWED_HOSTS": "desk.example",
}


def test_hsts_names_subdomains_and_preload_only_when_asked(tmp_path):
    """issue 12 §9: preload and includeSubDomains commit more than this site; both are the operator's choice."""
    plain = run(HSTS_HEADER, tmp_path, **PRODUCTION)
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout.strip().splitlines()[-1] == "max-age=31536000"
    asked = run(HSTS_HEADER, tmp_path, **PRODUCTION, HSTS_PRELOAD="true", HSTS_INCLUDE_SUBDOMAINS="true")
    assert asked.stdout.strip().splitlines()[-1] == "max-age=31536000; includeSubDomains; preload"
