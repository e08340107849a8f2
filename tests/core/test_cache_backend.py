"""The Redis cache backend (one Redis client kept per connection pool) and the check that the
embedded SQLite is recent enough."""

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


def test_an_old_sqlite_is_refused_at_start():
    from django.core.management import call_command

    from core.checks import sqlite_errors

    sqlite = "django.db.backends.sqlite3"
    errors = sqlite_errors(sqlite, (3, 31, 1), "3.31.1")
    assert [e.id for e in errors] == ["auberge.E001"] and "3.31.1 is too old" in errors[0].msg
    assert sqlite_errors(sqlite, (3, 40, 1), "3.40.1") == []
    assert sqlite_errors("django.db.backends.postgresql", (3, 0), "3.0") == []
    call_command("check")  # this machine's database passes
