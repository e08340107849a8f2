"""API plumbing shared by every app: error mapping, property scoping, idempotent writes."""

import hashlib
import json
from collections.abc import Callable

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions as drf_exceptions
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from core.exceptions import DomainError, IdempotencyConflict
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
        response.data = {"code": "invalid", "message": _("Invalid input."), "extra": response.data}
    elif isinstance(exc, drf_exceptions.APIException):
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        response.data = {"code": exc.default_code, "message": str(detail), "extra": {}}
    return response


class PropertyScopedApi(APIView):
    """Endpoints under /api/v1/properties/<slug>/…: the caller must work at that property
    and hold `capability`. Anything else is a 404 (we do not confirm other tenants exist)."""

    capability = "api.use"

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        slug = kwargs.get("property_slug")
        membership = (
            memberships_for(request.user).filter(property__slug=slug).first() if slug else None
        )
        if membership is None:
            raise drf_exceptions.NotFound(_("No such property."))
        if not role_has(membership.role, self.capability):
            raise drf_exceptions.PermissionDenied(_("Your role does not allow this."))
        self.membership: Membership = membership
        self.property: Property = membership.property


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
    if not key:
        status, body = compute()
        return Response(body, status=status)
    if len(key) > 200:
        raise drf_exceptions.ValidationError({"Idempotency-Key": _("At most 200 characters.")})
    fingerprint = hashlib.sha256(
        json.dumps(request.data, sort_keys=True, default=str).encode()
    ).hexdigest()
    full_scope = f"{scope}:{request.user.pk}"
    existing = IdempotencyRecord.objects.filter(scope=full_scope, key=key).first()
    if existing is not None:
        return _replay(existing, fingerprint)
    try:
        with transaction.atomic():
            # the unique row serialises concurrent retries: the second waits, then conflicts
            record = IdempotencyRecord.objects.create(
                scope=full_scope, key=key, request_fingerprint=fingerprint
            )
            status, body = compute()
            if status >= 400:
                transaction.set_rollback(True)
                return Response(body, status=status)
            record.status_code = status
            record.response = body
            record.save(update_fields=["status_code", "response"])
    except IntegrityError:
        existing = IdempotencyRecord.objects.get(scope=full_scope, key=key)
        return _replay(existing, fingerprint)
    return Response(body, status=status)


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.request_fingerprint and record.request_fingerprint != fingerprint:
        raise IdempotencyConflict()
    response = Response(record.response, status=record.status_code or 200)
    response["Idempotent-Replayed"] = "true"
    return response


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
                    for m in memberships_for(request.user)
                ],
            }
        )
