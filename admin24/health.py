"""Liveness of the parts the app cannot work without."""

import uuid

from django.db import connection

HEALTH_KEY = "admin24:health"


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"; the reason goes in the answer
        return f"error: {exc.__class__.__name__}"
    return "ok"


def broker_status() -> str:
    from celery import current_app as app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
    except Exception as exc:  # kombu raises many transport-specific errors
        return f"error: {exc.__class__.__name__}"
    return "ok"


def cache_status() -> str:
    """The shared cache answers: a value written is read back (a cache that is down reads as a miss)."""
    from django.core.cache import cache

    token = uuid.uuid4().hex
    try:
        cache.set(HEALTH_KEY, token, 10)
        if cache.get(HEALTH_KEY) != token:
            return "error: unreachable"
    except Exception as exc:  # a backend that raises instead of missing
        return f"error: {exc.__class__.__name__}"
    return "ok"


def status() -> dict[str, str]:
    return {"db": database_status(), "cache": cache_status(), "broker": broker_status()}
