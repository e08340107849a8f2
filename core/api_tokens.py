"""Scoped API tokens: created and revoked by a manager on screen (`/api-tokens/`), sent as
`Authorization: Bearer aub_…`. A token reaches one property only (another property's URLs
answer 404, as for a caller who does not work there), may be read-only (every write is
403) and is limited to some areas of the API (`core.models.ApiToken.AREAS`: a route of
another area is 403). It acts with its creator's role at its property, so it can never do
more than the manager who made it, and it stops working when their membership ends.

Only the SHA-256 of the key is stored; the key is shown once. The sign-in is cached like a
DRF token's (core.api_auth), under the digest, and dropped when the token, its creator or
their membership changes."""

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from core.audit import audit_log
from core.exceptions import InvalidInput, PermissionDenied
from core.models import ApiToken, Membership, Property
from core.roles import role_has

PREFIX = "aub_"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _cache_key(key_hash: str) -> str:
    return "api-scoped:" + key_hash[:40]


@dataclass
class ScopedAuth:
    """`request.auth` of a scoped token: what core.api.PropertyScopedApi checks."""

    token_id: int
    memberships: dict[str, Membership]
    read_only: bool
    areas: frozenset[str]
    scoped: bool = True


@transaction.atomic
def api_token_create(
    *, property: Property, actor, name: str, read_only: bool, areas: Iterable[str]
) -> tuple[ApiToken, str]:
    """A new token of `actor` for `property`. Returns (token, key): the key is shown once.
    Raises PermissionDenied unless the actor manages the property, InvalidInput."""
    membership = Membership.objects.filter(user=actor, property=property, is_active=True).first()
    if membership is None or not role_has(membership.role, "manage"):
        raise PermissionDenied(_("Only a manager of the property creates API tokens."))
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise InvalidInput(_("Give the token a name (100 characters at most)."))
    chosen = sorted(set(areas or []))
    unknown = [a for a in chosen if a not in ApiToken.AREAS]
    if unknown or not chosen:
        raise InvalidInput(_("Choose at least one area of the API."), extra={"field": "areas"})
    key = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        property=property,
        name=name,
        key_hash=_digest(key),
        prefix=key[: len(PREFIX) + 6],
        read_only=bool(read_only),
        areas=chosen,
        created_by=actor,
    )
    audit_log(
        action="core.api_token.created",
        property=property,
        actor=actor,
        target=token,
        data={"name": name, "read_only": token.read_only, "areas": chosen},
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor) -> ApiToken:
    """Revoke a token: its next call answers 401. Idempotent."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
        audit_log(
            action="core.api_token.revoked", property=token.property, actor=actor, target=token
        )
    return token


class ScopedTokenAuthentication(TokenAuthentication):
    """`Authorization: Bearer aub_…` (a DRF token keeps the `Token` keyword)."""

    keyword = "Bearer"

    def authenticate_credentials(self, key: str):
        if not key.startswith(PREFIX):
            raise exceptions.AuthenticationFailed(gettext_lazy("Invalid token."))
        key_hash = _digest(key)
        entry = cache.get(_cache_key(key_hash))
        if entry is None:
            token = (
                ApiToken.objects.select_related("created_by", "property")
                .filter(key_hash=key_hash, revoked_at__isnull=True)
                .first()
            )
            if token is None:
                raise exceptions.AuthenticationFailed(gettext_lazy("Invalid or revoked token."))
            membership = (
                Membership.objects.select_related("property__organization")
                .filter(user=token.created_by, property=token.property, is_active=True)
                .first()
            )
            memberships = {token.property.slug: membership} if membership is not None else {}
            auth = ScopedAuth(
                token_id=token.pk,
                memberships=memberships,
                read_only=token.read_only,
                areas=frozenset(token.areas),
            )
            entry = (token.created_by, auth)
            cache.set(_cache_key(key_hash), entry, timeout=settings.API_AUTH_CACHE_SECONDS)
        user, auth = entry
        if not user.is_active:
            raise exceptions.AuthenticationFailed(gettext_lazy("User inactive or deleted."))
        return user, auth

    def authenticate_header(self, request) -> str:
        return self.keyword


def scoped_token_check(auth, *, method: str, area: str) -> None:
    """Refuse what a scoped token may not do (DRF's PermissionDenied: 403)."""
    if not getattr(auth, "scoped", False):
        return
    if area not in auth.areas:
        raise exceptions.PermissionDenied(_("This token does not open this part of the API."))
    if auth.read_only and method not in SAFE_METHODS:
        raise exceptions.PermissionDenied(_("This token is read-only."))


def api_tokens_forget(key_hashes: Iterable[str]) -> None:
    keys = [_cache_key(h) for h in key_hashes]
    if keys:
        cache.delete_many(keys)
        transaction.on_commit(lambda: cache.delete_many(keys))


@receiver([post_save, post_delete], sender=ApiToken)
def _token_changed(sender, instance: ApiToken, **kwargs) -> None:
    api_tokens_forget([instance.key_hash])


@receiver([post_save, post_delete], sender=Membership)
def _membership_changed(sender, instance: Membership, **kwargs) -> None:
    api_tokens_forget(
        ApiToken.objects.filter(created_by_id=instance.user_id).values_list("key_hash", flat=True)
    )


@receiver([post_save, post_delete], sender=settings.AUTH_USER_MODEL)
def _user_changed(sender, instance, created: bool = False, update_fields=None, **kwargs) -> None:
    if created or (update_fields and set(update_fields) <= {"last_login"}):
        return
    api_tokens_forget(
        ApiToken.objects.filter(created_by_id=instance.pk).values_list("key_hash", flat=True)
    )
