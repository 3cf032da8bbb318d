"""One round trip to the shared cache for everything a public post needs from it.

A post reads the version of the public settings snapshot and adds one to its rate counters. On
Redis that is one pipelined request on a client kept per process (Django's cache builds a new
client object, with its table of response handlers, for every call). On other cache backends
(the file cache of a zero-setup run) it is the equivalent calls one by one.
"""

import threading

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache, RedisSerializer

_clients = threading.local()
_serializer = RedisSerializer()


def read_and_count(keys: list[str], counters: list[tuple[str, int]]) -> tuple[list, list[int]]:
    """The cached values of ``keys`` (None when missing) and each counter after adding one to it.

    A counter ``(name, seconds)`` starts at one and lives ``seconds``.
    """
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        pipe = _client(backend).pipeline(transaction=False)
        for key in keys:
            pipe.get(backend.make_and_validate_key(key))
        for name, seconds in counters:
            full_name = backend.make_and_validate_key(name)
            pipe.set(full_name, 0, ex=seconds, nx=True)
            pipe.incr(full_name)
        results = pipe.execute()
        values = [None if raw is None else _serializer.loads(raw) for raw in results[: len(keys)]]
        return values, results[len(keys) + 1 :: 2]
    counts = []
    for name, seconds in counters:
        backend.add(name, 0, seconds)
        try:
            counts.append(backend.incr(name))
        except ValueError:  # it expired between the two calls
            backend.set(name, 1, seconds)
            counts.append(1)
    return [backend.get(key) for key in keys], counts


def _client(backend: RedisCache):
    client = getattr(_clients, "client", None)
    if client is None or _clients.backend is not backend:
        # Shares the cache's connection pool; only the client object is kept.
        client = backend._cache.get_client(write=True)
        _clients.client, _clients.backend = client, backend
    return client
