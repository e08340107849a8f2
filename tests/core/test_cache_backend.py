"""The Redis cache backend (one Redis client kept per connection pool, a worker's short-lived
copy of versioned keys), the version tokens read once per request, and the check that the
embedded SQLite is recent enough."""

import threading

import pytest
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


def in_other_worker(fn):
    """Run `fn` with another cache handler (as another gunicorn worker has)."""
    out = []
    thread = threading.Thread(target=lambda: out.append(fn()))
    thread.start()
    thread.join()
    return out[0]


def test_a_versioned_read_gives_each_caller_its_own_copy():
    from core.cache_tokens import versioned_get

    cache.set("menu:v1", {"products": ["salade"]}, 60)
    first = versioned_get("menu:v1")
    first["products"].append("changed by one request")
    assert versioned_get("menu:v1") == {"products": ["salade"]}
    assert versioned_get_many_of(["menu:v1", "menu:none"]) == {"menu:v1": {"products": ["salade"]}}


def versioned_get_many_of(keys):
    from core.cache_tokens import versioned_get_many

    return versioned_get_many(keys)


def test_a_worker_copy_is_served_ten_seconds_at_most(monkeypatch):
    import core.cache_backend as backend
    from core.cache_tokens import versioned_get

    cache.set("staff-user:1:t1", "Camille", 60)
    assert versioned_get("staff-user:1:t1") == "Camille"  # this worker keeps a copy
    in_other_worker(lambda: cache.delete("staff-user:1:t1"))
    assert versioned_get("staff-user:1:t1") == "Camille"
    now = backend.time.monotonic()
    monkeypatch.setattr(backend.time, "monotonic", lambda: now + backend.LOCAL_SECONDS + 1)
    assert versioned_get("staff-user:1:t1") is None
    # a key this worker deletes or sets itself is never served from its copy
    cache.set("staff-user:1:t1", "Camille", 60)
    assert versioned_get("staff-user:1:t1") == "Camille"
    cache.set("staff-user:1:t1", "Dominique", 60)
    assert versioned_get("staff-user:1:t1") == "Dominique"
    cache.delete("staff-user:1:t1")
    assert versioned_get("staff-user:1:t1") is None


@pytest.mark.django_db  # drop_token drops it again after commit
def test_a_request_reads_each_token_once_and_again_after_dropping_it():
    from core.cache_tokens import current_token, drop_token, tokens_for_request

    with tokens_for_request():
        first = current_token("catalog-version:1")
        # another worker changes the catalogue meanwhile: this request keeps one view of it
        in_other_worker(lambda: cache.delete("catalog-version:1"))
        assert current_token("catalog-version:1") == first
        drop_token("catalog-version:1")  # this request's own change
        second = current_token("catalog-version:1")
        assert second != first
    # the next request reads the token again
    with tokens_for_request():
        assert current_token("catalog-version:1") == second
        in_other_worker(lambda: cache.delete("catalog-version:1"))
    with tokens_for_request():
        assert current_token("catalog-version:1") != second
