"""One round trip to the shared cache for everything a public post needs from it.

A post reads the versions of what the process keeps (the public settings, the working calendar)
and adds one to its rate counters. On Redis that is one script call, sent on a connection each
process (thread) takes from the cache's pool once and keeps: a client's call would take it from
the pool and give it back, through the retry and response-handler layers, every time — 95 µs of
CPU per call against 38 µs (``docs/benchmarks.md``, intake3). On other cache backends (the file
cache of a zero-setup run) it is the equivalent calls one by one.
"""

import hashlib
import logging
import os
import threading

import redis
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache, RedisSerializer

log = logging.getLogger(__name__)
_clients = threading.local()
_serializer = RedisSerializer()


def read_and_count(keys: list[str], counters: list[tuple[str, int]]) -> tuple[list, list[int]]:
    """The cached values of ``keys`` (None when missing) and each counter after adding one to it.

    A counter ``(name, seconds)`` starts at one and lives ``seconds``. With Redis unreachable
    every value is missing and every counter reads 0: the post is not limited (logged).
    """
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        # Our own keys, short and plain: no need for the backend's per-key validation.
        full_keys = [backend.make_key(key) for key in keys]
        full_names = [backend.make_key(name) for name, _seconds in counters]
        try:
            results = _run_script(backend, [*full_keys, *full_names], [len(keys), *(s for _name, s in counters)])
        except (redis.ConnectionError, redis.TimeoutError) as error:
            log.warning("the cache is unreachable (%s): this post's rate counters are not counted", error)
            return [None] * len(keys), [0] * len(counters)
        values = [None if raw is None else _serializer.loads(raw) for raw in results[: len(keys)]]
        return values, results[len(keys) :]
    counts = []
    for name, seconds in counters:
        backend.add(name, 0, seconds)
        try:
            counts.append(backend.incr(name))
        except ValueError:  # it expired between the two calls (or the cache is unreachable)
            backend.set(name, 1, seconds)
            counts.append(1)
    return [backend.get(key) for key in keys], counts


# One command instead of a GET per key and a SET NX + INCR per counter: less to pack and parse.
_READ_AND_COUNT = """
local read = tonumber(ARGV[1])
local out = {}
for i = 1, read do
  out[i] = redis.call('GET', KEYS[i])
end
for i = read + 1, #KEYS do
  redis.call('SET', KEYS[i], 0, 'EX', ARGV[i - read + 1], 'NX')
  out[i] = redis.call('INCR', KEYS[i])
end
return out
"""


_SHA = hashlib.sha1(_READ_AND_COUNT.encode()).hexdigest()  # noqa: S324 - Redis names scripts by SHA-1


def _run_script(backend: RedisCache, keys: list[str], args: list):
    """The script's answer, on this thread's connection to ``backend``'s Redis (taken from its
    pool on first use, again after a fork or for another cache). A connection the server closed
    is opened again once (a timeout is not retried: the post is not held up twice); a Redis that
    lost its scripts (restarted) is sent the script's text, which loads it again."""
    held = getattr(_clients, "held", None)
    if held is None or held[0] is not backend or held[1] != os.getpid():
        held = (backend, os.getpid(), backend._cache.get_client(write=True).connection_pool.get_connection())
        _clients.held = held
    connection = held[2]
    try:
        return _send(connection, keys, args)
    except redis.TimeoutError:
        connection.disconnect()
        raise
    except redis.ConnectionError:
        connection.disconnect()  # closed by the server (a restart, an idle timeout): once more, anew
    try:
        return _send(connection, keys, args)
    except (redis.ConnectionError, redis.TimeoutError):
        connection.disconnect()
        raise


def _send(connection, keys: list[str], args: list):
    try:
        connection.send_command("EVALSHA", _SHA, len(keys), *keys, *args)
        return connection.read_response()
    except redis.exceptions.NoScriptError:
        connection.send_command("EVAL", _READ_AND_COUNT, len(keys), *keys, *args)
        return connection.read_response()


def uncount(name: str) -> None:
    """Takes back one from the counter ``name`` (a post counted ahead that did not become a
    ticket); a counter gone or a cache unreachable is left as it is (logged)."""
    backend = caches["default"]
    try:
        if isinstance(backend, RedisCache):
            backend._cache.get_client(write=True).decr(backend.make_key(name))
        else:
            backend.decr(name)
    except (ValueError, redis.ConnectionError, redis.TimeoutError) as error:
        log.warning("a rate counter could not be given back (%s)", error)
