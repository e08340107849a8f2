"""OpenAPI schema generation settings (drf-spectacular)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """Every error answer of the API (core.api.exception_handler, core.errors): a stable
    `code` to branch on, a translated `message` to show, and `extra` (the invalid fields of a
    422, the unknown codes, …; empty when there is nothing more to say)."""

    code = serializers.CharField()
    message = serializers.CharField()
    extra = serializers.DictField()


# the errors an endpoint may answer besides what its view declares, and why
_ERROR_DESCRIPTIONS = {
    "400": "Malformed request body (not parseable).",
    "401": "No credentials, or an invalid or revoked token.",
    "403": "The caller's role does not allow this.",
    "404": "No such property for this caller, or no such object in it.",
    "409": "Conflict with the current state (sold out, already done, retried key reused).",
    "415": "Unsupported request body media type.",
    "422": "Invalid input: `extra` names the fields and what is wrong with them.",
}


_ETAG_DESCRIPTION = "The version of this answer: send it back as `If-None-Match`."


class AutoSchema(SpectacularAutoSchema):
    """Name nested `InputSerializer`/`OutputSerializer` components after their view
    (`QuoteApi.OutputSerializer` → `QuoteOutput`) so the schema has no collisions."""

    def _get_serializer_name(self, serializer, direction, bypass_extensions=False) -> str:
        name = super()._get_serializer_name(serializer, direction, bypass_extensions)
        cls = serializer if isinstance(serializer, type) else type(serializer)
        outer, _, inner = cls.__qualname__.rpartition(".")
        if outer and "." not in outer and inner.endswith("Serializer"):
            return outer.removesuffix("Api") + name
        return name

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        """Lists say how many items they take (drf-spectacular reads neither `allow_empty`
        nor a nested list's `min_length`/`max_length`): a client learns it from the schema,
        not from a 422."""
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, serializers.ListField | serializers.ListSerializer) and schema:
            if schema.get("type") == "array":
                low = getattr(field, "min_length", None) or (0 if field.allow_empty else 1)
                if low:
                    schema["minItems"] = max(schema.get("minItems", 0), low)
                high = getattr(field, "max_length", None)
                if high is not None:
                    schema["maxItems"] = min(schema.get("maxItems", high), high)
        return schema

    def _error_statuses(self) -> list[str]:
        """What else this operation can answer: every one needs credentials; one under a
        property also a role there (403) and the property or object (404); input can be
        invalid (422); a write can conflict (409); a body can be unreadable (400, 415)."""
        statuses = ["401"]
        if "{" in self.path:
            statuses += ["403", "404"]
        writes = self.method in ("POST", "PUT", "PATCH", "DELETE")
        if writes or any(p.get("in") == "query" for p in self._get_parameters()):
            statuses.append("422")
        if writes:
            statuses += ["400", "409", "415"]
        return statuses

    def _etag_reads(self) -> bool:
        return self.method == "GET" and getattr(self.view, "etag_reads", False)

    def get_override_parameters(self):
        """A conditional read (core.api_reads.ConditionalReads) takes `If-None-Match`."""
        parameters = list(super().get_override_parameters())
        if self._etag_reads():
            parameters.append(
                OpenApiParameter(
                    "If-None-Match",
                    str,
                    OpenApiParameter.HEADER,
                    required=False,
                    description="The `ETag` of an earlier answer: 304 if it is still current.",
                )
            )
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        if self._etag_reads():
            etag = {"ETag": {"schema": {"type": "string"}, "description": _ETAG_DESCRIPTION}}
            for status in ("200",):
                if status in responses:
                    responses[status].setdefault("headers", {}).update(etag)
            responses.setdefault(
                "304",
                {
                    "description": "Not modified: the `If-None-Match` ETag is current.",
                    "headers": etag,
                },
            )
        error = self.resolve_serializer(ErrorSerializer, "response").ref
        for status in self._error_statuses():
            responses.setdefault(
                status,
                {
                    "content": {"application/json": {"schema": error}},
                    "description": _ERROR_DESCRIPTIONS[status],
                },
            )
        return responses


class ScopedTokenScheme(OpenApiAuthenticationExtension):
    """The scoped tokens a manager creates on screen (core.api_tokens): `Bearer aub_…`."""

    target_class = "core.api_tokens.ScopedTokenAuthentication"
    name = "scopedToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A scoped token (one property, read-only or read-write, some areas).",
        }
