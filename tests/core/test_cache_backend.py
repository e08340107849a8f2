"""The Redis cache backend: Django's, with one Redis client kept per connection pool."""

import threading

from django.core.cache import cache

from core.cache_backend import RedisCacheClient


def test_the_cache_keeps_one_client_and_still_reads_what_others_write():
    backend = cache._cache
    assert isinstance(backend, RedisCacheClient)
    assert backend.get_client(write=True) is backend.get_client(write=True)
    cache.set("backend-test", {"table": 5}, 30)
    seen = []
    # another thread has its own cache handler and client, on the same server
    thread = threading.Thread(target=lambda: seen.append(cache.get("backend-test")))
    thread.start()
    thread.join()
    assert seen == [{"table": 5}]
    cache.delete("backend-test")
    assert cache.get("backend-test") is None
