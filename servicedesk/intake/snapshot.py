"""The desk settings and the active services as the public pages read them: kept in each process.

Every public form post needs both, and they change a few times a year; reading them from the
database cost two queries per submission. Each process keeps the last copy it loaded, tagged
with a version held in Django's shared cache (Redis in production), so checking that the copy is
current is one cache read. Saving or deleting a ``DeskSettings`` or a ``Service`` writes a new
version at once and again after commit (another process may reload in between and would keep
the uncommitted state otherwise), so a regenerated form key stops working everywhere at once.

The copies are shared by concurrent requests of a process: callers read them, never change them.
"""

import threading
import uuid
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from ..models import DeskSettings, Service

VERSION_KEY = "servicedesk:public-snapshot:version"


@dataclass(frozen=True)
class Snapshot:
    version: str | None
    desk: DeskSettings
    services: dict[int, Service]  # the active ones, in the form's order


_current: Snapshot | None = None
_lock = threading.Lock()


def current(*, version: str | None = None) -> Snapshot:
    """The settings and active services as committed now (reloaded only after a change).

    ``version``: the shared version when the caller has just read ``VERSION_KEY`` itself. With
    the cache unreachable there is none: every call then reads the database.
    """
    global _current
    version = version or _shared_version()
    loaded = _current
    if loaded is not None and version is not None and loaded.version == version:
        return loaded
    with _lock:
        desk = DeskSettings.load()
        services = {service.pk: service for service in Service.objects.filter(active=True)}
        _current = Snapshot(version, desk, services)
    return _current


def desk() -> DeskSettings:
    return current().desk


def services_for(desk: DeskSettings) -> dict[int, Service]:
    """The active services of the snapshot ``desk`` came from (no second version check in a
    request that took ``desk`` from ``current()``), else of the current one."""
    loaded = _current
    if loaded is not None and loaded.desk is desk:
        return loaded.services
    return current().services


def is_current(desk: DeskSettings) -> bool:
    """Whether ``desk`` is the process's current snapshot's (shared, never changed)."""
    loaded = _current
    return loaded is not None and loaded.desk is desk


def invalidate() -> None:
    global _current
    _current = None
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)


def _shared_version() -> str | None:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def _on_change(sender, using=None, **kwargs):
    invalidate()
    transaction.on_commit(invalidate, using=using)


for _model in (DeskSettings, Service):
    post_save.connect(_on_change, sender=_model, dispatch_uid=f"servicedesk-snapshot-save-{_model.__name__}")
    post_delete.connect(_on_change, sender=_model, dispatch_uid=f"servicedesk-snapshot-delete-{_model.__name__}")
