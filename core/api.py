"""API plumbing shared by every app: error mapping, property scoping, idempotent writes."""

import hashlib
import json
from collections.abc import Callable

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions as drf_exceptions
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from core.api_tokens import scoped_token_check
from core.exceptions import DomainError, IdempotencyConflict
from core.idempotency import idempotency_claim, idempotency_store
from core.models import IdempotencyRecord, Membership, Property
from core.roles import role_has
from core.scoping import memberships_for


def exception_handler(exc, context):
    """Map domain errors once: {code, message, extra} with the error's HTTP status."""
    if isinstance(exc, DomainError):
        return Response(
            {"code": exc.code, "message": str(exc.message), "extra": exc.extra},
            status=exc.status_code,
        )
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, drf_exceptions.ValidationError):
        response.status_code = 422
        extra = response.data if isinstance(response.data, dict) else {"errors": response.data}
        response.data = {"code": "invalid", "message": _("Invalid input."), "extra": extra}
    elif isinstance(exc, drf_exceptions.APIException):
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        response.data = {"code": exc.default_code, "message": str(detail), "extra": {}}
    return response


class StaffMember(BasePermission):
    """The OpenAPI schema and its Swagger UI: a signed-in staff member (password session) or
    an API token of one; not anonymous callers (the schema maps every write of the API), and
    not a PIN session (core.terminal_sessions keeps those off /api/)."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return user.is_superuser or memberships_for(user).exists()


class PropertyScopedApi(APIView):
    """Endpoints under /api/v1/properties/<slug>/…: the caller must work at that property
    and hold `capability`. Anything else is a 404 (we do not confirm other tenants exist)."""

    capability = "api.use"

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        slug = kwargs.get("property_slug")
        # a token's memberships come with it from the cache (core.api_auth); a session asks
        cached = getattr(request.auth, "memberships", None)
        if not slug:
            membership = None
        elif cached is not None:
            membership = cached.get(slug)
        else:
            membership = memberships_for(request.user).filter(property__slug=slug).first()
        if membership is None:
            raise drf_exceptions.NotFound(_("No such property."))
        if not role_has(membership.role, self.capability):
            raise drf_exceptions.PermissionDenied(_("Your role does not allow this."))
        # a scoped token (core.api_tokens): its areas, and read-only
        scoped_token_check(request.auth, method=request.method, area=self.api_area())
        self.membership: Membership = membership
        self.property: Property = membership.property

    def api_area(self) -> str:
        """The area of the API a scoped token must open: the view's app by default."""
        return getattr(self, "area", None) or type(self).__module__.split(".")[0]


IDEMPOTENCY_HEADER = "HTTP_IDEMPOTENCY_KEY"
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Send the same key when retrying: the first result is replayed, nothing new "
    "is created.",
)


def idempotent_response(
    request, *, scope: str, compute: Callable[[], tuple[int, dict]]
) -> Response:
    """Run `compute` once per (scope, Idempotency-Key): a replay returns the stored answer.

    The record and the operation commit together: if the operation fails, no record is kept
    and the client may retry with the same key. Error answers are not stored.
    """
    key = request.META.get(IDEMPOTENCY_HEADER, "").strip()
    if len(key) > 200:
        raise drf_exceptions.ValidationError({"Idempotency-Key": _("At most 200 characters.")})
    status, body, replayed = idempotent_call(
        key=key, data=request.data, user_id=request.user.pk, scope=scope, compute=compute
    )
    response = Response(body, status=status)
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def idempotent_call(
    *, key: str, data, user_id, scope: str, compute: Callable[[], tuple[int, dict]]
) -> tuple[int, dict, bool]:
    """idempotent_response without DRF (core.fast_api): (status, body, replayed) for the
    request body `data` (its JSON, for the fingerprint) sent with Idempotency-Key `key`
    (stripped, at most 200 characters; empty: no idempotency). Raises IdempotencyConflict."""
    if not key:
        status, body = compute()
        return status, body, False
    fingerprint = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
    full_scope = f"{scope}:{user_id}"
    with transaction.atomic():
        # Claim the key first: the unique (scope, key) row serialises concurrent retries
        # (the second waits here, then finds the key taken). One statement when it is new.
        record_id = _claim(full_scope, key, fingerprint)
        if record_id is not None:
            status, body = compute()
            if status >= 400:
                transaction.set_rollback(True)
                return status, body, False
            idempotency_store(record_id=record_id, response=body, status_code=status)
            return status, body, False
    # taken: by a committed earlier call (replay it) — nothing was written by this one
    existing = IdempotencyRecord.objects.filter(scope=full_scope, key=key).first()
    if existing is None:
        raise IdempotencyConflict()
    if existing.request_fingerprint and existing.request_fingerprint != fingerprint:
        raise IdempotencyConflict()
    return existing.status_code or 200, existing.response, True


def _claim(scope: str, key: str, fingerprint: str) -> int | None:
    """Insert the idempotency record unless (scope, key) exists; its id, or None if taken."""
    return idempotency_claim(scope=scope, key=key, fingerprint=fingerprint)


class MeApi(APIView):
    """Who am I, and where do I work (the properties this token may reach)."""

    class OutputSerializer(serializers.Serializer):
        username = serializers.CharField()
        properties = serializers.ListField(child=serializers.DictField())

    @extend_schema(responses=OutputSerializer)
    def get(self, request):
        return Response(
            {
                "username": request.user.get_username(),
                "properties": [
                    {"slug": m.property.slug, "name": m.property.name, "role": m.role}
                    for m in (
                        request.auth.memberships.values()
                        if getattr(request.auth, "scoped", False)
                        else memberships_for(request.user)
                    )
                ],
            }
        )
