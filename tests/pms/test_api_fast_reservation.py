"""A booking through the API answered without DRF (core.fast_api): the same status and the
same bytes as the DRF view for the same request — the booking, its refusals, its replays —
and the plain answer is what ReservationOutput writes."""

import copy
import json

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.renderers import JSONRenderer

from core.models import Role
from core.roles import role_has
from crm.models import Guest
from pms.api import (
    ReservationCreateApi,
    ReservationOutput,
    reservation_create_parse,
    reservation_fields,
    reservation_payload,
)
from pms.models import Reservation
from pms.selectors import reservation_detail
from pms.services import reservation_check_in
from tests.factories.core import make_staff
from tests.pms.test_api import counts, make, payload

pytestmark = pytest.mark.django_db

GUEST = {"last_name": "Dupont"}
ROOMS = [{"room_type": "classique"}]
BASE = {"guest": GUEST, "arrival": "2026-12-20", "departure": "2026-12-22", "rooms": ROOMS}


def body(**change):
    return {**BASE, **change}


# bodies the DRF serializer accepts or refuses; the plain validator must accept none that it
# refuses, and give the same values for those it accepts
BODIES = [
    body(),
    body(
        guest={
            "first_name": " Léa ",
            "last_name": "Dupont",
            "email": "lea@exemple.fr",
            "phone": "",
            "language": "en",
        },
        rooms=[{"room_type": "classique", "adults": 1, "children": 2}, {"room_type": "junior"}],
        extras=[
            {"product": "petit-dejeuner", "quantity": 2, "day": "2026-12-21"},
            {"product": "massage", "day": "2026-12-21", "slot_time": "10:30"},
            {"product": "spa", "day": "2026-12-21", "slot_time": None},
        ],
        channel="front_desk",
        external_reference=" BKG-1 ",
        notes="",
        ignored=1,
    ),
    body(guest={"last_name": "Dupont", "first_name": ""}),
    body(guest={"last_name": "Dupont", "email": ""}),
    body(guest={"last_name": "Dupont", "email": "nope"}),
    body(guest={"last_name": "Dupont", "email": "a@b"}),
    body(guest={"last_name": ""}),
    body(guest={"last_name": "   "}),
    body(guest={"last_name": "x" * 101}),
    body(guest={"last_name": "Du\x00pont"}),
    body(guest={"last_name": 12}),
    body(guest={"first_name": "Léa"}),
    body(guest={"last_name": "Dupont", "language": ""}),
    body(guest={"last_name": "Dupont", "language": "fr-FR-x"}),
    body(guest={"last_name": "Dupont", "phone": "0" * 31}),
    body(guest=None),
    body(guest="Dupont"),
    body(arrival="2026-02-30"),
    body(arrival="20261220"),
    body(arrival="pas-une-date"),
    body(arrival=None),
    body(arrival=20261220),
    body(departure=""),
    body(rooms=[]),
    body(rooms=[{"room_type": "classique"}] * 21),
    body(rooms={"room_type": "classique"}),
    body(rooms=["classique"]),
    body(rooms=[{"room_type": "clas sique"}]),
    body(rooms=[{"room_type": "x" * 21}]),
    body(rooms=[{"room_type": ""}]),
    body(rooms=[{"adults": 2}]),
    body(rooms=[{"room_type": "classique", "adults": 0}]),
    body(rooms=[{"room_type": "classique", "adults": 21}]),
    body(rooms=[{"room_type": "classique", "adults": "2"}]),
    body(rooms=[{"room_type": "classique", "adults": True}]),
    body(rooms=[{"room_type": "classique", "adults": 2.5}]),
    body(rooms=[{"room_type": "classique", "children": -1}]),
    body(extras=None),
    body(extras=[{"product": "spa"}]),
    body(extras=[{"product": "spa", "day": "2026-12-21", "quantity": 0}]),
    body(extras=[{"product": "spa", "day": "2026-12-21", "quantity": 101}]),
    body(extras=[{"product": "spa", "day": "2026-12-21", "slot_time": "25:00"}]),
    body(extras=[{"product": "spa", "day": "2026-12-21", "slot_time": 10}]),
    body(extras=[{"product": "s pa", "day": "2026-12-21"}]),
    body(extras=[{"product": "spa", "day": "2026-12-21"}] * 51),
    body(channel="bitcoin"),
    body(channel=None),
    body(channel="ota"),
    body(external_reference="x" * 101),
    body(external_reference=None),
    body(notes="n" * 2001),
    body(notes=None),
    ["not", "a", "dict"],
    {"guest": GUEST, "arrival": "2026-12-20", "departure": "2026-12-22"},
]


@pytest.mark.parametrize("raw", BODIES)
def test_the_plain_validator_refuses_what_drf_refuses_and_agrees_on_the_rest(raw):
    serializer = ReservationCreateApi.InputSerializer(data=raw)
    parsed = reservation_create_parse(raw)
    if not serializer.is_valid():
        assert parsed is None  # the DRF view answers it, with its own 422
    elif parsed is not None:
        assert parsed == serializer.validated_data


def test_the_plain_validator_takes_everyday_bookings():
    for raw in BODIES[:4]:
        assert reservation_create_parse(raw) is not None, raw


@pytest.fixture
def token(clerk):
    return Token.objects.create(user=clerk)


@pytest.fixture
def api(token):
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_ACCEPT_LANGUAGE="en")


def post(client, hotel, raw, *, drf: bool = False, **headers):
    """POST the booking; `drf`: with a query string, which the fast path leaves to DRF (the
    same caller, the same body: only the implementation differs)."""
    url = f"/api/v1/properties/{hotel.slug}/reservations" + ("?via=drf" if drf else "")
    return client.post(url, raw, content_type="application/json", **headers)


def _as_fast(drf: dict, fast: dict) -> dict:
    """The DRF booking with the fast one's reference and row ids (two bookings of the same
    body share everything else)."""
    drf = copy.deepcopy(drf)
    drf["reference"] = fast["reference"]
    drf["guest"]["public_id"] = fast["guest"]["public_id"]
    for name in ("rooms", "extras"):
        for mine, theirs in zip(drf[name], fast[name], strict=True):
            mine["id"] = theirs["id"]
    if drf.get("folio"):
        drf["folio"]["public_id"] = fast["folio"]["public_id"]
    return drf


def same_bytes(fast, drf) -> bool:
    """The two answers byte for byte, once the DRF booking's reference and ids are written
    as the fast one's (two bookings, two references), by DRF's own renderer."""
    expected = drf.content
    if drf.status_code == 201 and not drf.has_header("Idempotent-Replayed"):
        assert JSONRenderer().render(drf.json()) == drf.content
        expected = JSONRenderer().render(_as_fast(drf.json(), fast.json()))
    return fast.content == expected


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"notes": "Arrivée tardive", "external_reference": "BKG-9"},
        {"channel": "front_desk", "extras": []},
        {"guest": {"last_name": "Dupont", "first_name": "Léa", "email": "lea@exemple.fr"}},
        {"rooms": [{"room_type": "penthouse", "adults": 2}]},  # unknown: the service's 422
        {"rooms": [{"room_type": "classique", "adults": 3}]},
        {"rooms": []},  # the serializer's 422
        {"arrival": "2020-01-01", "departure": "2020-01-03"},
        {"guest": {"last_name": "Dupont", "email": "nope"}},
        {"extras": [{"product": "inconnu", "day": "2026-01-01"}]},
        {"departure": "pas-une-date"},
        {"channel": "ota"},  # a front desk may not import an OTA booking: 403
        {"channel": "pos"},
    ],
)
def test_a_token_gets_the_bytes_the_drf_view_answers(hotel, rooms, day, api, change):
    raw = payload(day, **change)
    by_drf = post(api, hotel, raw, drf=True)
    before = counts()
    by_fast = post(api, hotel, raw)
    assert by_fast.status_code == by_drf.status_code
    assert by_fast["Content-Type"] == by_drf["Content-Type"] == "application/json"
    assert same_bytes(by_fast, by_drf), (by_fast.content, by_drf.content)
    if by_drf.status_code != 201:
        assert counts() == before  # a refusal writes nothing


def test_a_sold_out_booking_is_the_same_409_and_writes_nothing(
    hotel, rooms, guest, day, api, token
):
    for _ in range(3):
        make(hotel, guest, rooms, day, code="familiale", arrival=5, departure=6)
    raw = payload(day, rooms=[{"room_type": "familiale", "adults": 2, "children": 1}])
    before = counts()
    by_drf = post(api, hotel, raw, drf=True, HTTP_IDEMPOTENCY_KEY="k1")
    by_fast = post(api, hotel, raw, HTTP_IDEMPOTENCY_KEY="k1")
    assert by_fast.status_code == by_drf.status_code == 409
    assert by_fast.content == by_drf.content
    assert counts() == before


def test_a_replayed_key_answers_the_same_bytes_on_both_paths(hotel, rooms, day, api):
    raw = payload(day)
    first = post(api, hotel, raw, HTTP_IDEMPOTENCY_KEY="booking-42")
    assert first.status_code == 201 and not first.has_header("Idempotent-Replayed")
    before = counts()
    by_fast = post(api, hotel, raw, HTTP_IDEMPOTENCY_KEY="booking-42")
    by_drf = post(api, hotel, raw, drf=True, HTTP_IDEMPOTENCY_KEY="booking-42")
    for replay in (by_fast, by_drf):
        assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
        assert replay.json() == first.json()
    assert by_fast.content == by_drf.content
    assert counts() == before
    # another body under the same key: the same conflict on both paths, nothing written
    other = payload(day, notes="autre")
    conflict_fast = post(api, hotel, other, HTTP_IDEMPOTENCY_KEY="booking-42")
    conflict_drf = post(api, hotel, other, drf=True, HTTP_IDEMPOTENCY_KEY="booking-42")
    assert conflict_fast.status_code == conflict_drf.status_code == 409
    assert conflict_fast.content == conflict_drf.content
    assert counts() == before


def test_a_key_first_used_by_drf_is_replayed_by_the_fast_path(hotel, rooms, day, api):
    raw = payload(day)
    first = post(api, hotel, raw, drf=True, HTTP_IDEMPOTENCY_KEY="booking-7")
    again = post(api, hotel, raw, HTTP_IDEMPOTENCY_KEY="booking-7")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Reservation.objects.count() == 1


def test_the_booking_is_made_by_the_token_user_in_no_more_queries_than_drf(
    hotel, rooms, day, api, clerk, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    post(api, hotel, payload(day, notes="warm"))  # the worker's copies of the sign-in
    with CaptureQueriesContext(connection) as by_drf:
        assert post(api, hotel, payload(day), drf=True).status_code == 201
    with django_assert_max_num_queries(len(by_drf.captured_queries)):
        response = post(api, hotel, payload(day))
    assert response.status_code == 201
    reservation = Reservation.objects.get(reference=response.json()["reference"])
    assert reservation.created_by == clerk and reservation.guest.last_name == "Dupont"


def test_other_callers_are_answered_by_the_drf_view(client, hotel, other_hotel, rooms, day):
    raw = payload(day)
    waiter = Token.objects.create(user=make_staff(hotel, Role.WAITER, username="w"))
    elsewhere = Token.objects.create(user=make_staff(other_hotel, Role.MANAGER, username="m"))
    for key, expected in (("nope", 401), (waiter.key, 403), (elsewhere.key, 404)):
        response = post(client, hotel, raw, HTTP_AUTHORIZATION=f"Token {key}")
        assert response.status_code == expected, response.json()
    assert Reservation.objects.count() == 0 and Guest.objects.count() == 0


def _drf_payload(reservation, role: str) -> dict:
    """reservation_payload as ReservationOutput wrote it before the plain answer."""
    out = ReservationOutput(reservation_fields(reservation, role=role)).data
    if not role_has(role, "guests.contact"):
        del out["notes"], out["guest"]["email"], out["guest"]["phone"]
    if not role_has(role, "billing.read"):
        del out["folio"]
    return out


def test_the_plain_answer_is_what_the_output_serializer_writes(
    hotel, rooms, guest, day, room, api, clerk
):
    booked = post(api, hotel, payload(day)).json()
    stay = make(hotel, guest, rooms, day, arrival=-1, departure=2, allow_past=True)
    reservation_check_in(
        reservation=Reservation.objects.get(pk=stay.pk),
        assignments={stay.rooms.get().pk: room("104").pk},
    )
    for reference in (booked["reference"], stay.reference):
        detail = reservation_detail(property=hotel, reference=reference)
        for role in (Role.MANAGER, Role.FRONT_DESK, Role.WAITER):
            plain = reservation_payload(detail, role=role)
            assert json.dumps(plain) == json.dumps(_drf_payload(detail, role)), role
    checked_in = reservation_payload(
        reservation_detail(property=hotel, reference=stay.reference), role=Role.MANAGER
    )
    assert checked_in["checked_in_at"] and checked_in["rooms"][0]["room"] == "104"
