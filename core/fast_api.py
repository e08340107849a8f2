"""The hot API writes served without DRF at run time (issue 28): a POS terminal's checkout
and a booking (pms.api.reservation_create_view).

DRF costs a few milliseconds a call on these endpoints (building the nested serializers'
fields, validating through them, serialising the answer): a tenth of a sale. Such an
endpoint keeps its DRF view (the schema, the Swagger UI and every unusual request go
through it) and is routed through `fast_view`, which answers the common request itself:

- an `Authorization: Token …` caller (core.api_auth's cached sign-in) working at the
  property in the URL with the view's capability;
- a JSON body the endpoint's plain validator accepts (`parse` returns the validated data);
- no query string, and an Accept header the JSON renderer satisfies.

Everything else — a session (CSRF stays DRF's), a scoped token, an unknown or revoked
token, another property, a missing right, a body the plain validator does not accept — is
handed to the DRF view untouched, which answers exactly as before (the 401, 403, 404 and
422 bodies are DRF's own). The fast answer has the same status codes, the same
`{code, message, extra}` error body (core.api.exception_handler maps the errors) and the
same idempotency (core.api.idempotent_call)."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse
from rest_framework import exceptions as drf_exceptions

from core.api import IDEMPOTENCY_HEADER, exception_handler
from core.api_auth import CachedTokenAuthentication
from core.models import Membership, Property
from core.roles import role_has

_AUTH = CachedTokenAuthentication()
_JSON_ACCEPTS = ("application/json", "application/*", "*/*")


@dataclass(frozen=True)
class Caller:
    """Who calls, where: what a PropertyScopedApi has after `initial`."""

    user: Any
    token: Any
    membership: Membership
    property: Property


def render_json(status: int, body: Any, headers: dict | None = None) -> HttpResponse:
    """The body as DRF's JSONRenderer writes it (compact, UTF-8, U+2028/9 escaped)."""
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str)
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    response = HttpResponse(text.encode(), status=status, content_type="application/json")
    for name, value in (headers or {}).items():
        response[name] = value
    return response


MISSING = object()


def text(value, max_length: int, *, blank: bool = False, null: bool = False):
    """DRF's CharField input (trimmed), for a string; MISSING: refused or unusual."""
    if value is None:
        return None if null else MISSING
    if not isinstance(value, str):
        return MISSING
    value = value.strip()
    if (not value and not blank) or len(value) > max_length:
        return MISSING
    # DRF refuses NUL and lone surrogate characters
    if not value.isascii() and any("\ud800" <= c <= "\udfff" for c in value) or "\x00" in value:
        return MISSING
    return value


def _accepts_json(request) -> bool:
    accept = request.META.get("HTTP_ACCEPT", "")
    if not accept.strip():
        return True
    return any(part.split(";")[0].strip() in _JSON_ACCEPTS for part in accept.split(","))


def token_caller(request, *, slug: str, capability: str) -> Caller | None:
    """The caller of a plain API token allowed `capability` at `slug`, or None (let DRF
    answer: no token, a scoped one, unknown, revoked, inactive, elsewhere, not allowed)."""
    header = request.META.get("HTTP_AUTHORIZATION", "").split()
    if len(header) != 2 or header[0].lower() != "token":
        return None
    try:
        user, token = _AUTH.authenticate_credentials(header[1])
    except drf_exceptions.APIException:
        return None
    if getattr(token, "scoped", False):
        return None
    membership = token.memberships.get(slug)
    if membership is None or not role_has(membership.role, capability):
        return None
    return Caller(user=user, token=token, membership=membership, property=membership.property)


def fast_view(
    drf_view: Callable,
    *,
    capability: str,
    parse: Callable[[Any], dict | None],
    answer: Callable[[Any, Caller, dict, dict], HttpResponse],
    allow: str = "POST, OPTIONS",
) -> Callable:
    """A view answering a POST itself when it can (see the module), else `drf_view`.
    `parse(json body)` returns the validated data or None; `answer(request, caller, data,
    raw body)` returns the response. The DRF view's attributes (cls, initkwargs,
    csrf_exempt) are kept, so the schema generator still sees the DRF view."""

    def view(request, *args, **kwargs):
        if (
            request.method != "POST"
            or request.GET
            or request.content_type != "application/json"
            or not _accepts_json(request)
            or len(request.META.get(IDEMPOTENCY_HEADER, "").strip()) > 200
        ):
            return drf_view(request, *args, **kwargs)
        caller = token_caller(request, slug=kwargs.get("property_slug"), capability=capability)
        if caller is None:
            return drf_view(request, *args, **kwargs)
        try:
            raw = json.loads(request.body.decode(request.encoding or "utf-8"))
        except (ValueError, UnicodeDecodeError):
            return drf_view(request, *args, **kwargs)
        data = parse(raw)
        if data is None:
            return drf_view(request, *args, **kwargs)
        # as DRF leaves it: the token's user on the request (later layers, the logs)
        request.user, request.auth = caller.user, caller.token
        try:
            response = answer(request, caller, data, raw)
        except Exception as exc:
            mapped = exception_handler(exc, {"request": request})
            if mapped is None:
                raise
            response = render_json(mapped.status_code, mapped.data)
        response["Allow"] = allow
        return response

    view.__dict__.update(drf_view.__dict__)
    view.__name__ = getattr(drf_view, "__name__", "view")
    view.__doc__ = drf_view.__doc__
    return view
