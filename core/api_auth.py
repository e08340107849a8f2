"""API token sign-in with the caller's memberships, cached briefly in the shared cache (and
the invalidation of the staff screens' cached memberships, core.scoping, on the same changes).

Every API call asks the same two questions: whose token is this, and what is their role at
the property in the URL. Answering them from PostgreSQL costs two queries per call; a POS
terminal asks them hundreds of times an hour with the same answer. So the answer (the user
and their active memberships with property and organisation) is kept under one key per token
in the shared cache (Redis in production: every web process sees an invalidation at once),
for at most API_AUTH_CACHE_SECONDS, and dropped on every change that could alter it:

- the token deleted (revocation takes effect on the next call);
- the user saved or deleted (deactivated, password or name changed);
- a membership saved or deleted (role changed, removed, deactivated);
- the property or its organisation saved (name, timezone, business-day roll).

The POS screens' list of managers who may approve (core.scoping.approvers_listed) is dropped
per property when one of its memberships, or one of its users, changes (not on a mere
sign-in, which only writes `last_login`).

Each worker also keeps the sign-ins it served as objects, under the user's staff token
(core.scoping): a call reads that short token instead of unpickling the entry, and every
change above drops it too (a token saved or deleted as well).

Each drop happens now and again after commit, so a request that read the old rows while
the change was being written cannot put them back. A bulk `QuerySet.update()` sends no
signal: code that changes users, tokens or memberships that way must call
`api_auth_forget_users` (and `core.scoping.approvers_forget`); the short lifetime bounds
anything missed.
"""

import copy
import hashlib
import time
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from core.cache_tokens import drop_token
from core.models import Membership, Organization, Property
from core.scoping import approvers_forget, memberships_for, staff_token, staff_token_key

User = settings.AUTH_USER_MODEL


def _cache_key(token_key: str) -> str:
    # the token itself is a credential: only its digest goes to the cache
    return "api-auth:" + hashlib.sha256(token_key.encode()).hexdigest()[:40]


# The worker's own copy of the sign-ins it served: {cache key: (deadline, user id, the
# user's staff token when read, Token, memberships)}. Served while the user's staff token
# (core.scoping, one short read per request) is the one it was read under: every change
# above drops that token (a token saved or deleted too), so the next request of any worker
# reads the sign-in again. No unpickling of the user, memberships and properties per call.
_LOCAL: dict[str, tuple[float, int, str, Token, dict]] = {}
_LOCAL_MAX = 1000


class CachedTokenAuthentication(TokenAuthentication):
    """DRF token authentication; the token's user and memberships come from the cache.

    `request.auth` is the Token, carrying `.memberships` ({property slug: Membership}) for
    `core.api.PropertyScopedApi`. Each request gets its own copies of them."""

    def authenticate_credentials(self, key: str):
        cache_key = _cache_key(key)
        now = time.monotonic()
        local = _LOCAL.get(cache_key)
        if local is not None:
            deadline, user_id, stamp, token, memberships = local
            if deadline < now or staff_token(user_id) != stamp:
                _LOCAL.pop(cache_key, None)
                local = None
        if local is None:
            token, memberships = self._shared(key, cache_key, now)
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        token = _copied(token)
        token.user = _copied(token.user)
        token.memberships = {slug: _copied(m, "property") for slug, m in memberships.items()}
        return token.user, token

    def _shared(self, key: str, cache_key: str, now: float) -> tuple[Token, dict]:
        """The sign-in from the shared cache or PostgreSQL, then kept by the worker under
        the user's staff token. The token is known only once the sign-in is read: it is
        read after, and the shared entry checked again after it — a change drops the
        entries before the tokens (api_auth_forget_users), so an entry still there was
        not dropped before that token was made."""
        entry = cache.get(cache_key)
        if entry is None:
            token = Token.objects.select_related("user").filter(key=key).first()
            if token is None:
                raise exceptions.AuthenticationFailed(_("Invalid token."))
            memberships = {m.property.slug: m for m in memberships_for(token.user)}
            entry = (token, memberships)
            cache.set(cache_key, entry, timeout=settings.API_AUTH_CACHE_SECONDS)
        token, memberships = entry
        stamp = staff_token(token.user_id)
        if cache.get(cache_key) is not None:
            if len(_LOCAL) >= _LOCAL_MAX:
                _LOCAL.clear()
            deadline = now + settings.API_AUTH_CACHE_SECONDS
            _LOCAL[cache_key] = (deadline, token.user_id, stamp, token, memberships)
        return token, memberships


def _copied(instance, *related: str):
    """A shallow copy of a model instance (and of the named related objects it holds)."""
    twin = copy.copy(instance)
    for name in related:
        value = twin._state.fields_cache.get(name)
        if value is not None:
            twin._state.fields_cache[name] = copy.copy(value)
    return twin


def api_auth_forget(token_keys: Iterable[str]) -> None:
    """Drop the cached sign-in of these tokens, now and after commit."""
    keys = [_cache_key(k) for k in token_keys]
    if not keys:
        return
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


def api_auth_forget_users(user_ids: Iterable[int]) -> None:
    """Drop the cached sign-in of every token of these users (one query), and their staff
    screens' cached memberships (core.scoping), now and after commit."""
    ids = [pk for pk in set(user_ids) if pk is not None]
    if ids:
        # the entries before the tokens (now and after commit): a worker that finds the
        # entry still there after reading the token may keep it under that token
        api_auth_forget(Token.objects.filter(user_id__in=ids).values_list("key", flat=True))
        staff_keys = [staff_token_key(pk) for pk in ids]
        cache.delete_many(staff_keys)
        transaction.on_commit(lambda: cache.delete_many(staff_keys))


@receiver([post_save, post_delete], sender=Token)
def _token_changed(sender, instance: Token, **kwargs) -> None:
    api_auth_forget([instance.key])
    # the workers' own copies of this sign-in live under the user's staff token
    drop_token(staff_token_key(instance.user_id))


@receiver([post_save, post_delete], sender=User)
def _user_changed(sender, instance, created: bool = False, update_fields=None, **kwargs) -> None:
    if created:  # a new user has no token and no membership yet
        return
    api_auth_forget_users([instance.pk])
    if not (update_fields and set(update_fields) <= {"last_login"}):  # not a mere sign-in
        approvers_forget(user_ids=[instance.pk])


@receiver([post_save, post_delete], sender=Membership)
def _membership_changed(sender, instance: Membership, **kwargs) -> None:
    api_auth_forget_users([instance.user_id])
    # the properties by name: a deleted membership is no longer found by a query, and one
    # moved to another property leaves the list of the property it was loaded with
    approvers_forget(
        property_ids=[instance.property_id, getattr(instance, "_loaded_property_id", None)]
    )


@receiver(post_save, sender=Property)
def _property_changed(sender, instance: Property, created: bool, **kwargs) -> None:
    if created:
        return
    api_auth_forget_users(
        Membership.objects.filter(property=instance).values_list("user_id", flat=True)
    )


@receiver(post_save, sender=Organization)
def _organization_changed(sender, instance: Organization, created: bool, **kwargs) -> None:
    if created:
        return
    api_auth_forget_users(
        Membership.objects.filter(property__organization=instance).values_list("user_id", flat=True)
    )
