"""Django's Redis cache, with one Redis client per connection pool instead of one per call.

Django's `RedisCacheClient.get_client()` builds a new `redis.Redis` for every cache operation,
and each one copies redis-py's table of ~170 response callbacks: about a tenth of a
millisecond of CPU per `get`, on every one of the dozen cache reads a tablet's tap makes
(sign-in, memberships, catalogue tokens, menu, prices). A `redis.Redis` is thread-safe and
only wraps its pool (which re-creates its connections after a fork), so it is kept and reused
for the pool it wraps.

Keys that contain a version token (core.cache_tokens) hold values that never change: such a
key read a moment ago is answered from the worker's own copy of its stored bytes
(`get_versioned`), for LOCAL_SECONDS at most, so that a deleted or expired entry is not
served much longer than Redis would. Each read still unpickles its own copy: no two requests
share an object. Everything else is Django's own backend."""

import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
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


# a tap on a tablet reads the same menu, sign-in and terminal keys as the one before; ten
# seconds keeps them between taps without serving a dropped entry for long
LOCAL_SECONDS = 10
LOCAL_MAX_ENTRIES = 2000

_MISSING = object()


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
        self._local: dict[str, tuple[float, bytes]] = {}  # key -> (deadline, stored bytes)

    def _local_raw(self, key: str, now: float):
        entry = self._local.get(key)
        if entry is None:
            return _MISSING
        if entry[0] < now:
            del self._local[key]
            return _MISSING
        return entry[1]

    def _local_keep(self, key: str, raw: bytes, now: float) -> None:
        if len(self._local) >= LOCAL_MAX_ENTRIES:
            self._local.clear()  # new tokens leave old keys behind: start again
        self._local[key] = (now + LOCAL_SECONDS, raw)

    def get_versioned(self, key, default=None, version=None):
        key = self.make_and_validate_key(key, version=version)
        now = time.monotonic()
        raw = self._local_raw(key, now)
        if raw is _MISSING:
            raw = self._cache.get_client(key).get(key)
            if raw is None:
                return default
            self._local_keep(key, raw, now)
        return self._cache._serializer.loads(raw)

    def get_many_versioned(self, keys, version=None):
        now = time.monotonic()
        wanted = {self.make_and_validate_key(k, version=version): k for k in keys}
        found, ask = {}, []
        for key in wanted:
            raw = self._local_raw(key, now)
            if raw is _MISSING:
                ask.append(key)
            else:
                found[key] = raw
        if ask:
            for key, raw in zip(ask, self._cache.get_client(None).mget(ask), strict=True):
                if raw is not None:
                    self._local_keep(key, raw, now)
                    found[key] = raw
        loads = self._cache._serializer.loads
        return {wanted[key]: loads(raw) for key, raw in found.items()}

    def delete(self, key, version=None):
        self._local.pop(self.make_and_validate_key(key, version=version), None)
        return super().delete(key, version=version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._local.pop(self.make_and_validate_key(key, version=version), None)
        return super().set(key, value, timeout=timeout, version=version)

    def clear(self):
        self._local.clear()
        return super().clear()
