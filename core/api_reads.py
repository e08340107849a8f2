"""The reads of the API, the same everywhere: validated query parameters (a bad or unknown one
is a 422, never silently ignored), cursor pages (an opaque cursor, `limit` bounded) and
`ETag` / `If-None-Match` (304: nothing is serialised or sent again).

A list is a keyset page: rows ordered by a unique key (the primary key last), the cursor
carries the last row's key, signed (a forged or mangled cursor is a 422). Pages therefore
cover every row exactly once while rows are added or changed between calls, and each page
costs one query however deep it is (no OFFSET).

The ETag of a list is cheap: a hash of the filtered rows' count and latest `updated_at`, the
query string and the caller's role (what an answer shows depends on it), computed in one
aggregate query before the page is read; a 304 reads nothing else. Reads without such a
version (a calendar, KPIs) hash the body they answer."""

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from datetime import date

from django.core import signing
from django.db.models import Count, Max, Model, Q, QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import exceptions as drf_exceptions
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from core.api import PropertyScopedApi
from core.api_tokens import SAFE_METHODS
from core.roles import role_has

LIMIT_DEFAULT = 50
LIMIT_MAX = 200
_CURSOR_SALT = "core.api_reads.cursor"


DATE_MIN, DATE_MAX = date(2000, 1, 1), date(2099, 12, 31)


class BoundedDateField(serializers.DateField):
    """A date an hotel may mean (2000 to 2099): a calendar from 31/12/9999 would overflow
    the day after, a 500 instead of a 422."""

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        if not DATE_MIN <= day <= DATE_MAX:
            raise serializers.ValidationError(_("Give a date between 2000 and 2099."))
        return day


class ListParams(serializers.Serializer):
    """The query parameters of every list; a list's own filters subclass it."""

    cursor = serializers.CharField(
        required=False,
        max_length=500,
        help_text="The `next` of the previous page (opaque); absent: the first page.",
    )
    limit = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=LIMIT_MAX,
        default=LIMIT_DEFAULT,
        help_text=f"Rows per page (1 to {LIMIT_MAX}).",
    )


def query_params(request, params_class: type[serializers.Serializer]) -> dict:
    """The validated query parameters: a 422 names each bad or unknown one."""
    known = set(params_class().fields)
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise serializers.ValidationError(dict.fromkeys(unknown, [_("Unknown parameter.")]))
    params = params_class(data=request.query_params)
    params.is_valid(raise_exception=True)
    return params.validated_data


def page_of(item: type[serializers.Serializer], name: str) -> type[serializers.Serializer]:
    """The schema component of a page of `item`: `{results, next}`."""
    fields = {
        "results": item(many=True),
        "next": serializers.CharField(
            allow_null=True, help_text="The cursor of the next page; null on the last one."
        ),
        "__module__": item.__module__,
    }
    return extend_schema_serializer(component_name=name)(
        type(name, (serializers.Serializer,), fields)
    )


def jsonable(data):
    """`data` as plain JSON types (decimals as strings, dates ISO): what an idempotency
    record stores and a replay answers."""
    return json.loads(json.dumps(data, cls=JSONEncoder))


# --- cursors ---------------------------------------------------------------------------------


def _key_value(row: Model, key: str):
    value = getattr(row, key.lstrip("-"))
    return value if isinstance(value, int | str) or value is None else str(value)


def _after(keys: Sequence[str], values: Sequence) -> Q:
    """Rows strictly after `values` in the order of `keys` (each may be descending)."""
    condition = Q()
    for i, key in enumerate(keys):
        name = key.lstrip("-")
        step = Q(**{f"{name}__{'lt' if key.startswith('-') else 'gt'}": values[i]})
        for prior, value in zip(keys[:i], values[:i], strict=False):
            step &= Q(**{prior.lstrip("-"): value})
        condition |= step
    return condition


def _cursor_sign(values: list) -> str:
    """The same page's cursor is the same text: `signing.dumps` adds a timestamp, which changed
    a page's body (and its ETag, the body's hash) from one second to the next."""
    return signing.Signer(salt=_CURSOR_SALT).sign_object(values)


def _cursor_read(cursor: str, keys: Sequence[str]) -> list:
    try:
        if cursor.count(":") == 2:  # handed out before the cursors lost their timestamp
            values = signing.loads(cursor, salt=_CURSOR_SALT)
        else:
            values = signing.Signer(salt=_CURSOR_SALT).unsign_object(cursor)
    except signing.BadSignature:
        values = None
    if not (isinstance(values, list) and len(values) == len(keys)):
        raise serializers.ValidationError({"cursor": [_("Invalid cursor.")]})
    return values


def cursor_page(
    queryset: QuerySet,
    *,
    params: dict,
    serialize: Callable[[list], list],
    keys: Sequence[str] = ("pk",),
) -> dict:
    """One page of `queryset` in the order of `keys` (unique together; the pk last), after
    `params["cursor"]`: `{results, next}`. One query (plus what `serialize` prefetches)."""
    rows_qs = queryset.order_by(*keys)
    if params.get("cursor"):
        rows_qs = rows_qs.filter(_after(keys, _cursor_read(params["cursor"], keys)))
    limit = params.get("limit") or LIMIT_DEFAULT
    rows = list(rows_qs[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    following = _cursor_sign([_key_value(rows[-1], k) for k in keys]) if more else None
    return {"results": serialize(rows), "next": following}


# --- ETag ------------------------------------------------------------------------------------


def etag_of(*parts) -> str:
    digest = hashlib.sha256(json.dumps(parts, cls=JSONEncoder, sort_keys=True).encode())
    return f'"{digest.hexdigest()[:32]}"'


def queryset_version(*querysets: QuerySet) -> list:
    """A cheap version of sets of rows: how many and the latest change (one query each)."""
    out = []
    for queryset in querysets:
        version = queryset.order_by().aggregate(n=Count("pk"), at=Max("updated_at"))
        out += [version["n"], version["at"]]
    return out


def _matches(request, etag: str) -> bool:
    header = request.META.get("HTTP_IF_NONE_MATCH", "")
    tags = {t.strip().removeprefix("W/") for t in header.split(",") if t.strip()}
    return "*" in tags or etag in tags


def not_modified(etag: str) -> Response:
    response = Response(status=304)
    response["ETag"] = etag
    return response


class ConditionalReads:
    """A view whose GETs answer an `ETag` and a 304 to a matching `If-None-Match`
    (core.schema documents both on its GET operations)."""

    etag_reads = True

    def read(self, request, *, version: Iterable, build: Callable[[], dict]) -> Response:
        """Answer `build()` unless the caller holds the current version (304, nothing
        built). `version` must change whenever the answer would."""
        role = getattr(self, "membership", None) and self.membership.role
        etag = etag_of(request.get_full_path(), role, get_language(), *version)
        if _matches(request, etag):
            return not_modified(etag)
        response = Response(build())
        response["ETag"] = etag
        return response

    def read_body(self, request, body: dict) -> Response:
        """Answer `body`, its ETag its hash (when no cheaper version exists)."""
        body = jsonable(body)
        etag = etag_of(body)
        if _matches(request, etag):
            return not_modified(etag)
        response = Response(body)
        response["ETag"] = etag
        return response


class PropertyReadApi(ConditionalReads, PropertyScopedApi):
    """A property-scoped endpoint with conditional reads; its writes may need more than its
    reads (`write_capability`: e.g. anyone reads the catalogue, a manager changes it)."""

    write_capability: str | None = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if (
            self.write_capability
            and request.method not in SAFE_METHODS
            and not role_has(self.membership.role, self.write_capability)
        ):
            raise drf_exceptions.PermissionDenied(_("Your role does not allow this."))
