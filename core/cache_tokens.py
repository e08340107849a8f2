"""Version tokens for cached values that many keys derive from: a value is stored under a key
that contains the token current when its rows were read, and dropping the token empties all
of them at once without listing their keys (the catalogue, the terminals, a staff member's
rows). Read the token *before* the rows: a value built while a change was being written is
then stored under a token that is already gone.

A value under such a key never changes (a change makes a new token, so a new key): the
workers keep a copy of what they read for a few seconds (`versioned_get`), and a request
reads each token once (`tokens_for_request`). A tablet's tap read the same three or four
tokens seven times and its menu, sign-in and terminal rows from Redis on every tap."""

import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.core.cache import cache
from django.db import transaction

TOKEN_TIMEOUT = 24 * 3600

# the tokens this request has read: {token key: token}; None outside a request (a Celery task
# reads every token afresh)
_request_tokens: ContextVar[dict[str, str] | None] = ContextVar("request_tokens", default=None)


@contextmanager
def tokens_for_request() -> Iterator[None]:
    """Within it, each token is read from the cache once (core.middleware wraps every
    request). A token this request drops is read again after the drop."""
    reset = _request_tokens.set({})
    try:
        yield
    finally:
        _request_tokens.reset(reset)


def current_token(key: str) -> str:
    """The token under `key`, created if there is none (the first writer wins)."""
    memo = _request_tokens.get()
    if memo is not None and key in memo:
        return memo[key]
    token = cache.get(key)
    if token is None:
        token = uuid.uuid4().hex
        if not cache.add(key, token, timeout=TOKEN_TIMEOUT):
            token = cache.get(key) or token
    if memo is not None:
        memo[key] = token
    return token


def drop_token(key: str) -> None:
    """Drop the token now and again after commit (a reader during the writing transaction
    would otherwise store the old rows under the next token)."""
    memo = _request_tokens.get()

    def drop() -> None:
        cache.delete(key)
        if memo is not None:
            memo.pop(key, None)

    drop()
    transaction.on_commit(drop)


def versioned_get(key: str, default=None):
    """`cache.get` for a key that contains a token. The Redis backend (core.cache_backend)
    answers from the worker's own copy when it read the key a moment ago."""
    getter = getattr(cache, "get_versioned", None)
    return getter(key, default) if getter else cache.get(key, default)


def versioned_get_many(keys: Iterable[str]) -> dict:
    """`cache.get_many` for keys that contain a token (see versioned_get)."""
    getter = getattr(cache, "get_many_versioned", None)
    return getter(keys) if getter else cache.get_many(keys)
