"""The shared cache on Redis, answering as a miss when Redis is unreachable.

Nothing the cache holds is the only copy: the settings snapshot and the working calendar reload
from the database, constants are read from their table, and rate counters fail open (the
``RATELIMIT_FAIL_OPEN`` setting for django-ratelimit; ``servicedesk.intake.shared_cache`` for
the public form's own counters). So a Redis that is down or hangs (``REDIS_TIMEOUT``) costs
speed and rate limiting, never a page: reads miss, writes are dropped, ``incr`` raises the
``ValueError`` a missing key raises. Each process logs a warning at most once every
``WARN_EVERY`` seconds per Redis while it stays unreachable; ``/healthz`` reports it.
"""

import logging
import time
from functools import wraps

import redis
from django.core.cache.backends.redis import RedisCache

log = logging.getLogger(__name__)

WARN_EVERY = 30.0
UNREACHABLE = (redis.ConnectionError, redis.TimeoutError)
_warned: dict[str, float] = {}


def warn_unreachable(location: str, error: Exception, what: str) -> None:
    """Log that Redis at ``location`` is unreachable, at most once per WARN_EVERY seconds."""
    now = time.monotonic()
    if now - _warned.get(location, -WARN_EVERY) >= WARN_EVERY:
        _warned[location] = now
        log.warning("Redis cache %s is unreachable (%s: %s): %s", location, error.__class__.__name__, error, what)


def _miss(answer):
    def wrap(method):
        @wraps(method)
        def guarded(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except UNREACHABLE as error:
                warn_unreachable(self._location, error, "answering as a miss; rate limits are not counted")
                return answer(*args, **kwargs)

        return guarded

    return wrap


def _missing_key(*args, **kwargs):
    raise ValueError("the cache is unreachable")


class FailSoftRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._location = server if isinstance(server, str) else ",".join(server)

    get = _miss(lambda key, default=None, version=None: default)(RedisCache.get)
    get_many = _miss(lambda *args, **kwargs: {})(RedisCache.get_many)
    has_key = _miss(lambda *args, **kwargs: False)(RedisCache.has_key)
    add = _miss(lambda *args, **kwargs: False)(RedisCache.add)
    set = _miss(lambda *args, **kwargs: None)(RedisCache.set)
    set_many = _miss(lambda *args, **kwargs: [])(RedisCache.set_many)
    touch = _miss(lambda *args, **kwargs: False)(RedisCache.touch)
    delete = _miss(lambda *args, **kwargs: False)(RedisCache.delete)
    delete_many = _miss(lambda *args, **kwargs: None)(RedisCache.delete_many)
    clear = _miss(lambda *args, **kwargs: False)(RedisCache.clear)
    incr = _miss(_missing_key)(RedisCache.incr)
