"""The Redis broker transport, guarded where kombu 5.7 lets a lost connection kill the worker.

When the Redis connection drops, the worker closes the broken connection and its channel. The
channel's close puts the messages it had delivered and not yet acknowledged back on the queue;
by then kombu has detached the transport from its connection (``transport.client = None``) and
rebuilding the channel's connection pool reads ``client.hostname`` from nothing: an
``AttributeError`` that kombu's ``ignore_errors`` does not expect, so the worker exits with
"Unrecoverable error" (reproduced with celery/kombu 5.7.0 and redis-py 8.1, a prefork worker
and a task in flight when Redis stopped).

Here the channel keeps the connection parameters it was opened with: a restore or an
acknowledgement made on it after the detach goes to the same Redis (a plain connection error
while Redis is still down, which kombu handles), and the task still running when the connection
dropped can acknowledge its message once Redis is back instead of leaving it to be delivered again
after the visibility timeout.

Selected by ``CELERY_BROKER_TRANSPORT`` in settings for ``redis://`` and ``rediss://`` broker URLs.
"""

import redis
from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous=False):
        saved = self.__dict__.setdefault("_admin24_connparams", {})
        if self.connection.client is None:
            if asynchronous not in saved:
                raise redis.ConnectionError("the broker connection of this channel is closed")
            return dict(saved[asynchronous])
        params = super()._connparams(asynchronous=asynchronous)
        saved[asynchronous] = dict(params)
        return params


class Transport(kombu_redis.Transport):
    Channel = Channel
