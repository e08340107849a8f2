"""Version tokens for cached values that many keys derive from: a value is stored under a key
that contains the token current when its rows were read, and dropping the token empties all
of them at once without listing their keys (the catalogue, the terminals, a staff member's
rows). Read the token *before* the rows: a value built while a change was being written is
then stored under a token that is already gone."""

import uuid

from django.core.cache import cache
from django.db import transaction

TOKEN_TIMEOUT = 24 * 3600


def current_token(key: str) -> str:
    """The token under `key`, created if there is none (the first writer wins)."""
    token = cache.get(key)
    if token is None:
        token = uuid.uuid4().hex
        if not cache.add(key, token, timeout=TOKEN_TIMEOUT):
            token = cache.get(key) or token
    return token


def drop_token(key: str) -> None:
    """Drop the token now and again after commit (a reader during the writing transaction
    would otherwise store the old rows under the next token)."""
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))
