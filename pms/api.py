"""PMS API under /api/v1/properties/<property_slug>/: availability and reservations.

Thin: parse with an InputSerializer, resolve codes through the property, call a service or a
selector, answer with an OutputSerializer. Domain errors are mapped once by core.api."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpResponse
from django.utils.dateparse import parse_date, parse_time
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from core.api import (
    IDEMPOTENCY_HEADER,
    IDEMPOTENCY_PARAMETER,
    PropertyScopedApi,
    idempotent_call,
    idempotent_response,
)
from core.api_reads import ConditionalReads, jsonable
from core.exceptions import InvalidInput, PermissionDenied
from core.fast_api import MISSING as _MISSING
from core.fast_api import fast_view, render_json
from core.fast_api import text as _text
from core.money import ZERO, quantize
from core.roles import role_has
from core.scoping import approvers_for
from core.services import staff_pin_verify
from crm.models import Company
from inventory.models import Channel, Product
from inventory.services.capacity import MAX_SPAN_DAYS
from pms.models import Reservation, RoomType
from pms.selectors import reservation_detail, reservation_get, room_types_availability
from pms.services import (
    DepartureBalance,
    ExtraRequest,
    RoomRequest,
    reservation_check_in,
    reservation_check_out,
    reservation_create_for_guest,
    reservation_modify,
)
from pms.services.online_payments import booking_cancel_with_refund

# who may book through which channel: the front desk books for its own desk, its website
# and API integrations; OTA bookings are imported by a manager's channel connection
CHANNEL_CAPABILITY = {
    Channel.API: "pms.frontdesk",
    Channel.FRONT_DESK: "pms.frontdesk",
    Channel.BOOKING_ENGINE: "pms.frontdesk",
    Channel.OTA: "manage",
}


def _money(amount, currency: str) -> str:
    return str(quantize(amount, currency))


# --- output ---------------------------------------------------------------------------------


class GuestOutput(serializers.Serializer):
    public_id = serializers.UUIDField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    # contact details: only for roles with `guests.contact` (absent otherwise)
    email = serializers.CharField(required=False)
    phone = serializers.CharField(required=False)


class NightPriceOutput(serializers.Serializer):
    date = serializers.DateField()
    price = serializers.CharField()


class ReservationRoomOutput(serializers.Serializer):
    id = serializers.IntegerField()
    room_type = serializers.CharField()
    adults = serializers.IntegerField()
    children = serializers.IntegerField()
    room = serializers.CharField(allow_null=True)
    price_total = serializers.CharField()
    rate_plan = serializers.CharField()
    applied_rule = serializers.CharField()
    nights = NightPriceOutput(many=True)
    is_cancelled = serializers.BooleanField()


class ReservationExtraOutput(serializers.Serializer):
    id = serializers.IntegerField()
    product = serializers.CharField()
    description = serializers.CharField()
    quantity = serializers.IntegerField()
    day = serializers.DateField()
    slot_time = serializers.TimeField(allow_null=True, format="%H:%M")
    unit_price = serializers.CharField()
    total = serializers.CharField()
    applied_rule = serializers.CharField()


class ReservationFolioLineOutput(serializers.Serializer):
    description = serializers.CharField()
    service_date = serializers.DateField(allow_null=True)
    quantity = serializers.CharField()
    total = serializers.CharField()
    vat_rate = serializers.CharField()
    source = serializers.CharField()


class FolioOutput(serializers.Serializer):
    public_id = serializers.UUIDField()
    status = serializers.CharField()
    lines = ReservationFolioLineOutput(many=True)
    charges = serializers.CharField()


class ReservationOutput(serializers.Serializer):
    reference = serializers.CharField()
    status = serializers.CharField()
    channel = serializers.CharField()
    external_reference = serializers.CharField()
    arrival = serializers.DateField()
    departure = serializers.DateField()
    nights = serializers.IntegerField()
    adults = serializers.IntegerField()
    children = serializers.IntegerField()
    total = serializers.CharField()
    currency = serializers.CharField()
    notes = serializers.CharField(required=False)  # guests.contact: may name the guest's needs
    guest = GuestOutput()
    company = serializers.CharField(allow_null=True)
    rooms = ReservationRoomOutput(many=True)
    extras = ReservationExtraOutput(many=True)
    folio = FolioOutput(allow_null=True, required=False)  # only for roles with billing.read
    checked_in_at = serializers.DateTimeField(allow_null=True)
    checked_out_at = serializers.DateTimeField(allow_null=True)


def reservation_payload(reservation: Reservation, *, role: str) -> dict:
    """The JSON of a reservation read through pms.selectors.reservation_detail, shaped by the
    caller's role: the guest's contact details and the notes need `guests.contact`, the folio
    `billing.read` (a bar tablet charging a room reads the stay and the guest's name only)."""
    out = _reservation_out(reservation_fields(reservation, role=role))
    if not role_has(role, "guests.contact"):
        del out["notes"], out["guest"]["email"], out["guest"]["phone"]
    if not role_has(role, "billing.read"):
        del out["folio"]
    return out


def reservation_fields(reservation: Reservation, *, role: str) -> dict:
    """ReservationOutput's input for the reservation (the folio's lines: `billing.read`)."""
    currency = reservation.property.currency
    guest = reservation.guest
    folio = reservation.folio
    data = {
        "reference": reservation.reference,
        "status": reservation.status,
        "channel": reservation.channel,
        "external_reference": reservation.external_reference,
        "arrival": reservation.arrival,
        "departure": reservation.departure,
        "nights": (reservation.departure - reservation.arrival).days,
        "adults": reservation.adults,
        "children": reservation.children,
        "total": _money(reservation.total_price, currency),
        "currency": currency,
        "notes": reservation.notes,
        "guest": {
            "public_id": guest.public_id,
            "first_name": guest.first_name,
            "last_name": guest.last_name,
            "email": guest.email,
            "phone": guest.phone,
        },
        "company": reservation.company.name if reservation.company else None,
        "rooms": [
            {
                "id": r.pk,
                "room_type": r.room_type.code,
                "adults": r.adults,
                "children": r.children,
                "room": r.room.number if r.room else None,
                "price_total": _money(r.price_total, currency),
                "rate_plan": r.rate_plan_code,
                "applied_rule": r.applied_rule,
                "nights": [{"date": d, "price": p} for d, p in sorted(r.nightly_prices.items())],
                "is_cancelled": r.is_cancelled,
            }
            for r in reservation.rooms.all()
        ],
        "extras": [
            {
                "id": e.pk,
                "product": e.product.code,
                "description": e.description,
                "quantity": e.quantity,
                "day": e.day,
                "slot_time": e.slot_time,
                "unit_price": _money(e.unit_price, currency),
                "total": _money(e.total, currency),
                "applied_rule": e.applied_rule,
            }
            for e in reservation.extras.all()
            if not e.is_cancelled
        ],
        "folio": None,
        "checked_in_at": reservation.checked_in_at,
        "checked_out_at": reservation.checked_out_at,
    }
    if folio is not None and role_has(role, "billing.read"):
        lines = list(folio.lines.all())
        data["folio"] = {
            "public_id": folio.public_id,
            "status": folio.status,
            "lines": [
                {
                    "description": line.description,
                    "service_date": line.service_date,
                    "quantity": line.quantity.normalize(),
                    "total": _money(line.total, currency),
                    "vat_rate": line.vat_rate,
                    "source": line.source,
                }
                for line in lines
            ],
            "charges": _money(sum((line.total for line in lines), ZERO), currency),
        }
    return data


# ReservationOutput's representation of reservation_payload's fields, in plain Python (the
# serializer took a millisecond or two of a booking): None stays None as DRF leaves it, the
# dates and times written by DRF's own fields, the rest str()/int() as CharField/IntegerField
# write them. tests/pms/test_api_fast_reservation.py compares both on the same reservations.
_DATE = serializers.DateField()
_TIME_HM = serializers.TimeField(format="%H:%M")
_DATETIME = serializers.DateTimeField()


def _opt(convert, value):
    return None if value is None else convert(value)


def _date(value):
    return _opt(_DATE.to_representation, value)


def _reservation_out(data: dict) -> dict:
    guest, folio = data["guest"], data["folio"]
    return {
        "reference": _opt(str, data["reference"]),
        "status": _opt(str, data["status"]),
        "channel": _opt(str, data["channel"]),
        "external_reference": _opt(str, data["external_reference"]),
        "arrival": _date(data["arrival"]),
        "departure": _date(data["departure"]),
        "nights": _opt(int, data["nights"]),
        "adults": _opt(int, data["adults"]),
        "children": _opt(int, data["children"]),
        "total": _opt(str, data["total"]),
        "currency": _opt(str, data["currency"]),
        "notes": _opt(str, data["notes"]),
        "guest": {
            "public_id": _opt(str, guest["public_id"]),
            "first_name": _opt(str, guest["first_name"]),
            "last_name": _opt(str, guest["last_name"]),
            "email": _opt(str, guest["email"]),
            "phone": _opt(str, guest["phone"]),
        },
        "company": _opt(str, data["company"]),
        "rooms": [
            {
                "id": _opt(int, r["id"]),
                "room_type": _opt(str, r["room_type"]),
                "adults": _opt(int, r["adults"]),
                "children": _opt(int, r["children"]),
                "room": _opt(str, r["room"]),
                "price_total": _opt(str, r["price_total"]),
                "rate_plan": _opt(str, r["rate_plan"]),
                "applied_rule": _opt(str, r["applied_rule"]),
                "nights": [
                    {"date": _date(n["date"]), "price": _opt(str, n["price"])} for n in r["nights"]
                ],
                "is_cancelled": _opt(bool, r["is_cancelled"]),
            }
            for r in data["rooms"]
        ],
        "extras": [
            {
                "id": _opt(int, e["id"]),
                "product": _opt(str, e["product"]),
                "description": _opt(str, e["description"]),
                "quantity": _opt(int, e["quantity"]),
                "day": _date(e["day"]),
                "slot_time": _opt(_TIME_HM.to_representation, e["slot_time"]),
                "unit_price": _opt(str, e["unit_price"]),
                "total": _opt(str, e["total"]),
                "applied_rule": _opt(str, e["applied_rule"]),
            }
            for e in data["extras"]
        ],
        "folio": None
        if folio is None
        else {
            "public_id": _opt(str, folio["public_id"]),
            "status": _opt(str, folio["status"]),
            "lines": [
                {
                    "description": _opt(str, line["description"]),
                    "service_date": _date(line["service_date"]),
                    "quantity": _opt(str, line["quantity"]),
                    "total": _opt(str, line["total"]),
                    "vat_rate": _opt(str, line["vat_rate"]),
                    "source": _opt(str, line["source"]),
                }
                for line in folio["lines"]
            ],
            "charges": _opt(str, folio["charges"]),
        },
        "checked_in_at": _opt(_DATETIME.to_representation, data["checked_in_at"]),
        "checked_out_at": _opt(_DATETIME.to_representation, data["checked_out_at"]),
    }


# --- input ----------------------------------------------------------------------------------


class RoomInput(serializers.Serializer):
    room_type = serializers.SlugField(max_length=20)
    adults = serializers.IntegerField(min_value=1, max_value=20, default=2)
    children = serializers.IntegerField(min_value=0, max_value=20, default=0)


class ExtraInput(serializers.Serializer):
    product = serializers.SlugField(max_length=50)
    quantity = serializers.IntegerField(min_value=1, max_value=100, default=1)
    day = serializers.DateField()
    slot_time = serializers.TimeField(required=False, allow_null=True, default=None)


def _room_requests(property, rooms: list[dict]) -> list[RoomRequest]:
    codes = {r["room_type"] for r in rooms}
    types = {t.code: t.pk for t in RoomType.objects.filter(property=property, code__in=codes)}
    unknown = sorted(codes - set(types))
    if unknown:
        raise InvalidInput(
            _("Unknown room type: %(codes)s.") % {"codes": ", ".join(unknown)},
            extra={"field": "rooms"},
        )
    return [RoomRequest(types[r["room_type"]], r["adults"], r["children"]) for r in rooms]


def _extra_requests(property, extras: list[dict]) -> list[ExtraRequest]:
    codes = {e["product"] for e in extras}
    products = {
        p.code: p.pk
        for p in Product.objects.filter(property=property, code__in=codes, is_active=True)
    }
    unknown = sorted(codes - set(products))
    if unknown:
        raise InvalidInput(
            _("Unknown extra: %(codes)s.") % {"codes": ", ".join(unknown)},
            extra={"field": "extras"},
        )
    return [
        ExtraRequest(products[e["product"]], e["quantity"], e["day"], e["slot_time"])
        for e in extras
    ]


@extend_schema_serializer(component_name="PmsReservationCreateGuestInput")
class GuestInput(serializers.Serializer):
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=100)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    language = serializers.CharField(max_length=5, required=False, default="fr")


@extend_schema_serializer(component_name="PmsReservationCheckInAssignmentInput")
class AssignmentInput(serializers.Serializer):
    reservation_room = serializers.IntegerField()
    room = serializers.CharField(max_length=10)


# --- endpoints ------------------------------------------------------------------------------


class AvailabilityNightOutput(serializers.Serializer):
    date = serializers.DateField()
    available = serializers.IntegerField()
    price = serializers.CharField()


class AvailabilityRoomTypeOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    max_occupancy = serializers.IntegerField()
    nights = AvailabilityNightOutput(many=True)


class AvailabilityApi(PropertyScopedApi):
    """Units each room type can still sell per night through a channel, and its price."""

    capability = "api.use"
    MAX_DAYS = 92

    @extend_schema_serializer(component_name="PmsAvailabilityInput")
    class InputSerializer(serializers.Serializer):
        start = serializers.DateField(help_text="First night, YYYY-MM-DD")
        end = serializers.DateField(help_text="Day after the last night, YYYY-MM-DD")
        channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.FRONT_DESK)

        def validate(self, attrs):
            if attrs["end"] <= attrs["start"]:
                raise serializers.ValidationError({"end": _("The end must be after the start.")})
            if (attrs["end"] - attrs["start"]).days > min(AvailabilityApi.MAX_DAYS, MAX_SPAN_DAYS):
                raise serializers.ValidationError(
                    {"end": _("At most %(n)s days at once.") % {"n": AvailabilityApi.MAX_DAYS}}
                )
            return attrs

    @extend_schema_serializer(component_name="PmsAvailabilityOutput")
    class OutputSerializer(serializers.Serializer):
        start = serializers.DateField()
        end = serializers.DateField()
        channel = serializers.CharField()
        currency = serializers.CharField()
        room_types = AvailabilityRoomTypeOutput(many=True)

    @extend_schema(parameters=[InputSerializer], responses=OutputSerializer)
    def get(self, request, property_slug: str):
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        currency = self.property.currency
        offers = room_types_availability(
            property=self.property, start=data["start"], end=data["end"], channel=data["channel"]
        )
        body = {
            "start": data["start"],
            "end": data["end"],
            "channel": data["channel"],
            "currency": currency,
            "room_types": [
                {
                    "code": room_type.code,
                    "name": room_type.name,
                    "max_occupancy": room_type.max_occupancy,
                    "nights": [
                        {
                            "date": night.day.isoformat(),
                            "available": night.available,
                            "price": _money(night.price, currency),
                        }
                        for night in nights
                    ],
                }
                for room_type, nights in offers
            ],
        }
        return Response(self.OutputSerializer(body).data)


class ReservationCreateApi(PropertyScopedApi):
    """Book rooms and extras for a guest. Send an Idempotency-Key to retry safely."""

    capability = "pms.frontdesk"

    @extend_schema_serializer(component_name="PmsReservationCreateInput")
    class InputSerializer(serializers.Serializer):
        guest = GuestInput()
        arrival = serializers.DateField()
        departure = serializers.DateField()
        rooms = RoomInput(many=True, allow_empty=False, max_length=20)
        extras = ExtraInput(many=True, required=False, default=list, max_length=50)
        channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.API)
        external_reference = serializers.CharField(
            max_length=100, required=False, allow_blank=True, default=""
        )
        notes = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    @extend_schema(
        request=InputSerializer,
        responses={201: ReservationOutput},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    def post(self, request, property_slug: str):
        params = self.InputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        return reservation_create_answer(
            request,
            property=self.property,
            membership=self.membership,
            user=request.user,
            data=params.validated_data,
            reply=idempotent_response,
        )


def reservation_create_answer(request, *, property, membership, user, data: dict, reply):
    """The booking of a validated body (InputSerializer's validated data, or
    reservation_create_parse's): the channel's right checked, then `reply(request, scope=,
    compute=)` (core.api.idempotent_response, or the same without DRF) runs it once per key."""
    capability = CHANNEL_CAPABILITY.get(data["channel"])
    if capability is None or not role_has(membership.role, capability):
        raise PermissionDenied(
            _("You may not book through the channel %(channel)s.") % {"channel": data["channel"]}
        )

    def compute():
        reservation = reservation_create_for_guest(
            property=property,
            guest=data["guest"],
            arrival=data["arrival"],
            departure=data["departure"],
            rooms=_room_requests(property, data["rooms"]),
            extras=_extra_requests(property, data["extras"]),
            channel=data["channel"],
            actor=user,
            external_reference=data["external_reference"],
            notes=data["notes"],
        )
        detail = reservation_detail(property=property, reference=reservation.reference)
        payload = reservation_payload(detail, role=membership.role)
        return status.HTTP_201_CREATED, _jsonable(payload)

    return reply(request, scope="pms.reservation.create", compute=compute)


# --- the booking without DRF (core.fast_api): a body InputSerializer would accept, validated
# to the same values; anything else (None) goes to the DRF view, which answers it

_CHANNELS = frozenset(Channel.values)
_SLUG = re.compile(r"^[-a-zA-Z0-9_]+\Z")


def _int_in(raw: dict, name: str, low: int, high: int, default: int):
    """IntegerField(min_value=low, max_value=high, default=default), for a JSON integer."""
    value = raw.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return _MISSING
    return value


def _slug(value, max_length: int):
    value = _text(value, max_length)
    return value if value is not _MISSING and _SLUG.match(value) else _MISSING


def _day(value):
    """DateField input for a string; _MISSING otherwise (DRF takes a date, JSON cannot)."""
    if not isinstance(value, str):
        return _MISSING
    try:
        day = parse_date(value)
    except ValueError:
        return _MISSING
    return _MISSING if day is None else day


def _guest(raw) -> dict | None:
    if not isinstance(raw, dict):
        return None
    guest: dict = {}
    for name, max_length, blank in (
        ("first_name", 100, True),
        ("last_name", 100, False),
        ("email", None, True),
        ("phone", 30, True),
        ("language", 5, False),
    ):
        if name not in raw:
            if name == "last_name":
                return None
            if name == "language":
                guest[name] = "fr"
            continue
        value = _text(raw[name], max_length or 10_000, blank=blank)
        if value is _MISSING:
            return None
        if name == "email" and value:
            try:
                validate_email(value)
            except ValidationError:
                return None
        guest[name] = value
    return guest


def _room(raw) -> dict | None:
    if not isinstance(raw, dict):
        return None
    room = {
        "room_type": _slug(raw.get("room_type"), 20),
        "adults": _int_in(raw, "adults", 1, 20, 2),
        "children": _int_in(raw, "children", 0, 20, 0),
    }
    return None if _MISSING in room.values() else room


def _extra(raw) -> dict | None:
    if not isinstance(raw, dict) or "day" not in raw:
        return None
    extra = {
        "product": _slug(raw.get("product"), 50),
        "quantity": _int_in(raw, "quantity", 1, 100, 1),
        "day": _day(raw["day"]),
        "slot_time": None,
    }
    slot = raw.get("slot_time")
    if slot is not None:
        if not isinstance(slot, str):
            return None
        try:
            extra["slot_time"] = parse_time(slot)
        except ValueError:
            return None
        if extra["slot_time"] is None:
            return None
    return None if _MISSING in extra.values() else extra


def reservation_create_parse(raw) -> dict | None:
    """ReservationCreateApi.InputSerializer's validated data for a body it accepts, in plain
    Python; None for anything else (the DRF view then answers, with its own 422)."""
    if not isinstance(raw, dict):
        return None
    rooms, extras = raw.get("rooms"), raw.get("extras", [])
    if not isinstance(rooms, list) or not isinstance(extras, list):
        return None
    if not rooms or len(rooms) > 20 or len(extras) > 50:
        return None
    data: dict = {
        "guest": _guest(raw.get("guest")),
        "arrival": _day(raw.get("arrival")),
        "departure": _day(raw.get("departure")),
        "rooms": [_room(item) for item in rooms],
        "extras": [_extra(item) for item in extras],
        "channel": raw.get("channel", Channel.API),
        "external_reference": _text(raw.get("external_reference", ""), 100, blank=True),
        "notes": _text(raw.get("notes", ""), 2000, blank=True),
    }
    if data["guest"] is None or None in data["rooms"] or None in data["extras"]:
        return None
    if _MISSING in data.values():
        return None
    if not isinstance(data["channel"], str) or data["channel"] not in _CHANNELS:
        return None
    return data


def _create_fast(request, caller, data: dict, raw) -> HttpResponse:
    def reply(request, *, scope: str, compute) -> HttpResponse:
        code, body, replayed = idempotent_call(
            key=request.META.get(IDEMPOTENCY_HEADER, "").strip(),
            data=raw,
            user_id=caller.user.pk,
            scope=scope,
            compute=compute,
        )
        return render_json(code, body, {"Idempotent-Replayed": "true"} if replayed else None)

    return reservation_create_answer(
        request,
        property=caller.property,
        membership=caller.membership,
        user=caller.user,
        data=data,
        reply=reply,
    )


def reservation_create_view():
    """The route's view: ReservationCreateApi, a token's common booking answered without DRF
    (core.fast_api)."""
    return fast_view(
        ReservationCreateApi.as_view(),
        capability=ReservationCreateApi.capability,
        parse=reservation_create_parse,
        answer=_create_fast,
    )


def _jsonable(data):
    """Round-trip through DRF's JSON encoder so the stored replay equals the first answer."""
    import json

    from rest_framework.utils.encoders import JSONEncoder

    return json.loads(json.dumps(data, cls=JSONEncoder))


class _ReservationApi(ConditionalReads, PropertyScopedApi):
    def answer(self, reference: str) -> tuple[int, dict]:
        """The reservation as it now is, as a write answers it (and a replay repeats it)."""
        detail = reservation_detail(property=self.property, reference=reference)
        return status.HTTP_200_OK, jsonable(reservation_payload(detail, role=self.membership.role))


class ReservationDetailApi(_ReservationApi):
    """Read a reservation (GET, api.use) or change its dates / rooms (PATCH, pms.frontdesk)."""

    @extend_schema_serializer(component_name="PmsReservationDetailPatch")
    class PatchSerializer(serializers.Serializer):
        arrival = serializers.DateField(required=False)
        departure = serializers.DateField(required=False)
        rooms = RoomInput(many=True, required=False, allow_empty=False, max_length=20)

    def get_capability(self, request) -> str:
        return "api.use" if request.method in ("GET", "HEAD", "OPTIONS") else "pms.frontdesk"

    def initial(self, request, *args, **kwargs):
        self.capability = self.get_capability(request)
        super().initial(request, *args, **kwargs)

    @extend_schema(responses=ReservationOutput)
    def get(self, request, property_slug: str, reference: str):
        detail = reservation_detail(property=self.property, reference=reference)
        return self.read_body(request, reservation_payload(detail, role=self.membership.role))

    @extend_schema(
        request=PatchSerializer, responses=ReservationOutput, parameters=[IDEMPOTENCY_PARAMETER]
    )
    def patch(self, request, property_slug: str, reference: str):
        params = self.PatchSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        reservation = reservation_get(property=self.property, reference=reference)

        def compute():
            reservation_modify(
                reservation=reservation,
                actor=request.user,
                arrival=data.get("arrival"),
                departure=data.get("departure"),
                rooms=_room_requests(self.property, data["rooms"]) if "rooms" in data else None,
            )
            return self.answer(reference)

        return idempotent_response(
            request, scope=f"pms.reservation.modify:{reservation.pk}", compute=compute
        )


class ReservationCancelApi(_ReservationApi):
    """Cancel a reservation: its nights and extras return to sale. Idempotent."""

    capability = "pms.frontdesk"

    @extend_schema_serializer(component_name="PmsReservationCancelInput")
    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=500, required=False, allow_blank=True)

    @extend_schema(
        request=InputSerializer, responses=ReservationOutput, parameters=[IDEMPOTENCY_PARAMETER]
    )
    def post(self, request, property_slug: str, reference: str):
        params = self.InputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        reservation = reservation_get(property=self.property, reference=reference)

        def compute():
            booking_cancel_with_refund(
                reservation=reservation,
                actor=request.user,
                reason=params.validated_data.get("reason", ""),
            )
            return self.answer(reference)

        return idempotent_response(
            request, scope=f"pms.reservation.cancel:{reservation.pk}", compute=compute
        )


class ReservationCheckInApi(_ReservationApi):
    """Check the guests in, assigning rooms by number if given. Idempotent."""

    capability = "pms.frontdesk"

    @extend_schema_serializer(component_name="PmsReservationCheckInInput")
    class InputSerializer(serializers.Serializer):
        rooms = AssignmentInput(many=True, required=False, default=list, max_length=20)

    @extend_schema(
        request=InputSerializer, responses=ReservationOutput, parameters=[IDEMPOTENCY_PARAMETER]
    )
    def post(self, request, property_slug: str, reference: str):
        from pms.models import Room

        params = self.InputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        reservation = reservation_get(property=self.property, reference=reference)
        wanted = params.validated_data["rooms"]
        numbers = {a["room"] for a in wanted}
        rooms = {
            r.number: r.pk for r in Room.objects.filter(property=self.property, number__in=numbers)
        }
        unknown = sorted(numbers - set(rooms))
        if unknown:
            raise InvalidInput(
                _("Unknown room: %(numbers)s.") % {"numbers": ", ".join(unknown)},
                extra={"field": "rooms"},
            )

        def compute():
            reservation_check_in(
                reservation=reservation,
                actor=request.user,
                assignments={a["reservation_room"]: rooms[a["room"]] for a in wanted} or None,
            )
            return self.answer(reference)

        return idempotent_response(
            request, scope=f"pms.reservation.check_in:{reservation.pk}", compute=compute
        )


class CheckOutPaymentInput(serializers.Serializer):
    method = serializers.ChoiceField(choices=["card", "cash", "bank_transfer"])
    terminal_reference = serializers.CharField(
        max_length=100, required=False, default="", allow_blank=True
    )
    tendered = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True, default=None
    )


class CheckOutLeaveOpenInput(serializers.Serializer):
    approver = serializers.IntegerField(help_text="the approving manager's user id")
    pin = serializers.CharField(max_length=12, trim_whitespace=False)
    reason = serializers.CharField(max_length=300)


class CheckOutInput(serializers.Serializer):
    payment = CheckOutPaymentInput(required=False)
    company = serializers.IntegerField(
        required=False, help_text="transfer the balance to this company's account"
    )
    leave_open = CheckOutLeaveOpenInput(required=False)

    def validate(self, data):
        if sum(1 for k in ("payment", "company", "leave_open") if k in data) > 1:
            raise serializers.ValidationError(
                _("Choose one of: pay the balance, transfer it, or leave it open.")
            )
        return data


def _departure_balance(api, params: dict) -> DepartureBalance | None:
    """What the API asks for a balance left, with the desk screen's rules: a transfer to a
    company needs a role with billing.city_ledger; leaving it open, a manager's PIN."""
    if payment := params.get("payment"):
        return DepartureBalance(
            pay_method=payment["method"],
            pay_reference=payment["terminal_reference"],
            pay_tendered=payment["tendered"],
            pay_terminal="API",
        )
    if "company" in params:
        if not role_has(api.membership.role, "billing.city_ledger"):
            raise PermissionDenied(
                _("Only a manager or the accountant may transfer a balance to a company.")
            )
        company = Company.objects.filter(
            organization_id=api.property.organization_id, pk=params["company"]
        ).first()
        if company is None:
            raise InvalidInput(
                _("Choose one of your companies' accounts."), extra={"field": "company"}
            )
        return DepartureBalance(company=company)
    if leave := params.get("leave_open"):
        reason = " ".join(leave["reason"].split())
        if not reason:
            raise InvalidInput(_("Give the reason for leaving the balance open."))
        if not approvers_for(api.property).filter(user_id=leave["approver"]).exists():
            raise InvalidInput(_("Choose the manager who approves."), extra={"field": "approver"})
        approver = staff_pin_verify(
            property=api.property, user_id=leave["approver"], pin=leave["pin"]
        )
        return DepartureBalance(approver=approver, reason=reason)
    return None


class ReservationCheckOutApi(_ReservationApi):
    """Check the guests out: every night and extra is posted to the folio. Idempotent.
    A balance left is refused (422 `balance_due`, `extra.balance`) unless `payment` pays
    all of it now, `company` transfers it to a company's account (a role with the city
    ledger, else 403) or `leave_open` leaves it open on a manager's PIN and a reason, as the
    desk screen does."""

    capability = "pms.frontdesk"

    @extend_schema(
        request=CheckOutInput, responses=ReservationOutput, parameters=[IDEMPOTENCY_PARAMETER]
    )
    def post(self, request, property_slug: str, reference: str):
        params = CheckOutInput(data=request.data or {})
        params.is_valid(raise_exception=True)
        open_balance = _departure_balance(self, params.validated_data)
        reservation = reservation_get(property=self.property, reference=reference)

        def compute():
            reservation_check_out(
                reservation=reservation, actor=request.user, open_balance=open_balance
            )
            return self.answer(reference)

        return idempotent_response(
            request, scope=f"pms.reservation.check_out:{reservation.pk}", compute=compute
        )
