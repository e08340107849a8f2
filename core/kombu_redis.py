"""kombu's Redis transport, with one Redis client per connection pool instead of one per call.

kombu's `Channel.conn_or_acquire()` builds a new `redis.Redis` for every publish, and each
one copies redis-py's table of ~170 response callbacks: measured in a checkout on a till with
a printer, about a fifth of a millisecond of the ~0.75 ms a Celery publish costs, and the
same on every kitchen send of a waiter's tab (issue 28). A `redis.Redis` is thread-safe and
only wraps its pool (which re-creates its connections after a fork), so the channel keeps the
one it made for its current pool (core.cache_backend does the same for the cache).
Selected by CELERY_BROKER_TRANSPORT when the broker is Redis (config/settings.py)."""

from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    _kept_client = None

    def _create_client(self, asynchronous=False):
        if asynchronous:
            return super()._create_client(asynchronous=True)
        pool = self.pool
        client = self._kept_client
        if client is None or client.connection_pool is not pool:
            client = self._kept_client = super()._create_client()
        return client


class Transport(kombu_redis.Transport):
    Channel = Channel
