"""Django's Redis cache, with one Redis client per connection pool instead of one per call.

Django's `RedisCacheClient.get_client()` builds a new `redis.Redis` for every cache operation,
and each one copies redis-py's table of ~170 response callbacks: about a tenth of a
millisecond of CPU per `get`, on every one of the dozen cache reads a tablet's tap makes
(sign-in, memberships, catalogue tokens, menu, prices). A `redis.Redis` is thread-safe and
only wraps its pool (which re-creates its connections after a fork), so it is kept and reused
for the pool it wraps. Everything else is Django's own backend."""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
