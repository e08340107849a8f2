"""PMS API: availability, reservation create (idempotent), read, modify, cancel, check-in/out.
Every endpoint: happy path, anonymous (401), wrong role (403), other property (404), bad input
(422), sold out (409) — and nothing changes on refusal."""

import pytest

from billing.models import Folio, FolioLine
from core.models import Role
from crm.models import Guest
from inventory.models import CapacityAllocation
from pms.models import Reservation, RoomType
from pms.services import RoomRequest, reservation_create
from tests.factories.core import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def base(hotel):
    return f"/api/v1/properties/{hotel.slug}"


@pytest.fixture
def desk(client, clerk):
    client.force_login(clerk)
    return client


def payload(day, **overrides):
    body = {
        "guest": {
            "first_name": "Léa",
            "last_name": "Dupont",
            "email": "lea.dupont@exemple.fr",
            "phone": "+33 6 00 00 00 00",
        },
        "arrival": str(day(5)),
        "departure": str(day(7)),
        "rooms": [{"room_type": "classique", "adults": 2, "children": 0}],
        "extras": [{"product": "petit-dejeuner", "quantity": 2, "day": str(day(6))}],
        "notes": "Arrivée tardive",
    }
    body.update(overrides)
    return body


def counts():
    return (
        Reservation.objects.count(),
        Guest.objects.count(),
        Folio.objects.count(),
        CapacityAllocation.objects.exclude(status="released").count(),
    )


def make(hotel, guest, rooms, day, code="classique", arrival=1, departure=3, **kw):
    return reservation_create(
        property=hotel,
        guest=guest,
        arrival=day(arrival),
        departure=day(departure),
        rooms=[RoomRequest(rooms[code].pk, 2, 0)],
        channel="front_desk",
        **kw,
    )


# --- availability ---------------------------------------------------------------------------


def test_availability_lists_units_and_prices_per_night(desk, base, hotel, rooms, guest, day):
    make(hotel, guest, rooms, day, arrival=1, departure=2)
    response = desk.get(f"{base}/availability?start={day(0)}&end={day(2)}&channel=front_desk")
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["currency"] == "EUR" and data["channel"] == "front_desk"
    assert [t["code"] for t in data["room_types"]] == [
        "classique",
        "superieure",
        "junior",
        "familiale",
    ]
    classique = data["room_types"][0]
    assert [n["available"] for n in classique["nights"]] == [10, 9]
    assert [n["date"] for n in classique["nights"]] == [str(day(0)), str(day(1))]
    assert all(float(n["price"]) > 0 for n in classique["nights"])


def test_availability_online_sees_the_hold_back(desk, base, rooms, day):
    data = desk.get(
        f"{base}/availability?start={day(0)}&end={day(1)}&channel=booking_engine"
    ).json()
    assert [t["nights"][0]["available"] for t in data["room_types"]] == [9, 6, 4, 3]


def test_availability_query_count_is_constant(
    desk, base, rooms, day, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as week:
        desk.get(f"{base}/availability?start={day(0)}&end={day(7)}")
    with django_assert_max_num_queries(len(week.captured_queries)):
        response = desk.get(f"{base}/availability?start={day(0)}&end={day(60)}")
    assert len(week.captured_queries) <= 20
    assert response.status_code == 200
    assert all(len(t["nights"]) == 60 for t in response.json()["room_types"])


@pytest.mark.parametrize(
    "query",
    ["start=2026-13-01&end=2026-12-02", "start={d2}&end={d1}", "start={d1}&end={d1}&channel=x", ""],
)
def test_availability_bad_input_is_422(desk, base, rooms, day, query):
    response = desk.get(f"{base}/availability?" + query.format(d1=day(1), d2=day(2)))
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"


def test_availability_needs_sign_in_and_membership(
    client, base, hotel, other_hotel, rooms, day, staff_of
):
    url = f"{base}/availability?start={day(0)}&end={day(1)}"
    assert client.get(url).status_code == 401
    client.force_login(staff_of(other_hotel, Role.MANAGER))
    assert client.get(url).status_code == 404
    client.force_login(staff_of(hotel, Role.HOUSEKEEPING))
    assert client.get(url).status_code == 403


# --- create ---------------------------------------------------------------------------------


def test_create_returns_the_booking(desk, base, hotel, rooms, day, clerk):
    response = desk.post(f"{base}/reservations", payload(day), content_type="application/json")
    assert response.status_code == 201, response.json()
    data = response.json()
    reservation = Reservation.objects.get()
    assert data["reference"] == reservation.reference
    assert data["status"] == "confirmed" and data["channel"] == "api"
    assert data["total"] == str(reservation.total_price)
    assert data["folio"]["public_id"] == str(reservation.folio.public_id)
    assert data["folio"]["lines"] == []
    [room] = data["rooms"]
    assert room["room_type"] == "classique" and room["room"] is None
    assert room["applied_rule"] and len(room["nights"]) == 2
    assert [e["product"] for e in data["extras"]] == ["petit-dejeuner"]
    assert data["guest"]["last_name"] == "Dupont" and data["nights"] == 2
    assert reservation.created_by == clerk
    assert reservation.notes == "Arrivée tardive"


def test_create_replay_with_the_same_key_creates_nothing(desk, base, rooms, day):
    headers = {"HTTP_IDEMPOTENCY_KEY": "booking-42"}
    first = desk.post(
        f"{base}/reservations", payload(day), content_type="application/json", **headers
    )
    second = desk.post(
        f"{base}/reservations", payload(day), content_type="application/json", **headers
    )
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Reservation.objects.count() == 1
    # a different body with the same key is a conflict
    other = desk.post(
        f"{base}/reservations",
        payload(day, notes="autre"),
        content_type="application/json",
        **headers,
    )
    assert other.status_code == 409
    assert Reservation.objects.count() == 1


def test_create_sold_out_is_409_and_writes_nothing(desk, base, hotel, rooms, guest, day):
    for _ in range(3):
        make(hotel, guest, rooms, day, code="familiale", arrival=5, departure=6)
    before = counts()
    body = payload(day, rooms=[{"room_type": "familiale", "adults": 2, "children": 1}])
    response = desk.post(
        f"{base}/reservations", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "sold_out"
    assert counts() == before


@pytest.mark.parametrize(
    "overrides",
    [
        {"rooms": [{"room_type": "penthouse", "adults": 2}]},
        {"rooms": [{"room_type": "classique", "adults": 3}]},
        {"rooms": []},
        {"arrival": "2020-01-01", "departure": "2020-01-03"},
        {"guest": {"last_name": ""}},
        {"guest": {"last_name": "Dupont", "email": "nope"}},
        {"extras": [{"product": "inconnu", "day": "2026-01-01"}]},
        {"departure": "pas-une-date"},
    ],
)
def test_create_invalid_is_422_and_writes_nothing(desk, base, rooms, day, overrides):
    before = counts()
    response = desk.post(
        f"{base}/reservations", payload(day, **overrides), content_type="application/json"
    )
    assert response.status_code == 422, response.json()
    assert counts() == before


def test_create_restriction_is_422(desk, base, hotel, rooms, day):
    from pms.models import Restriction

    Restriction.objects.create(property=hotel, day=day(5), min_stay=4)
    response = desk.post(f"{base}/reservations", payload(day), content_type="application/json")
    assert response.status_code == 422
    assert response.json()["code"] == "restriction"
    assert Reservation.objects.count() == 0


def test_create_forbidden_roles_and_channels(
    client, base, hotel, other_hotel, rooms, day, staff_of
):
    url = f"{base}/reservations"
    assert client.post(url, payload(day), content_type="application/json").status_code == 401
    client.force_login(staff_of(hotel, Role.WAITER))
    assert client.post(url, payload(day), content_type="application/json").status_code == 403
    client.force_login(staff_of(hotel, Role.FRONT_DESK))
    ota = client.post(url, payload(day, channel="ota"), content_type="application/json")
    assert ota.status_code == 403
    pos = client.post(url, payload(day, channel="pos"), content_type="application/json")
    assert pos.status_code == 403
    client.force_login(staff_of(other_hotel, Role.MANAGER))
    assert client.post(url, payload(day), content_type="application/json").status_code == 404
    assert Reservation.objects.count() == 0 and Guest.objects.count() == 0


def test_manager_may_import_an_ota_booking(client, base, hotel, rooms, day, staff_of):
    client.force_login(staff_of(hotel, Role.MANAGER))
    body = payload(day, channel="ota", external_reference="BKG-123456")
    response = client.post(f"{base}/reservations", body, content_type="application/json")
    assert response.status_code == 201, response.json()
    assert response.json()["channel"] == "ota"
    assert response.json()["external_reference"] == "BKG-123456"


# --- read / modify --------------------------------------------------------------------------


def test_detail_reads_the_reservation_in_few_queries(
    client, base, hotel, rooms, guest, day, room, staff_of, django_assert_max_num_queries
):
    from pms.services import reservation_check_in

    reservation = make(hotel, guest, rooms, day, arrival=-1, departure=2, allow_past=True)
    reservation_check_in(
        reservation=Reservation.objects.get(pk=reservation.pk),
        assignments={reservation.rooms.get().pk: room("104").pk},
    )
    from pms.services import room_nights_post

    room_nights_post(property=hotel, business_date=day(-1))
    client.force_login(staff_of(hotel, Role.FRONT_DESK))  # billing.read: with the folio
    # session, user, membership x2, staff profile (middleware) + 4 for the reservation
    with django_assert_max_num_queries(12):
        response = client.get(f"{base}/reservations/{reservation.reference}")
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "in_house"
    assert data["rooms"][0]["room"] == "104"
    assert [line["source"] for line in data["folio"]["lines"]] == [
        f"pms.night:{reservation.rooms.get().pk}:{day(-1)}"
    ]


def test_detail_of_another_property_is_404(
    client, base, hotel, other_hotel, rooms, guest, day, staff_of
):
    reservation = make(hotel, guest, rooms, day)
    client.force_login(staff_of(other_hotel, Role.MANAGER))
    assert (
        client.get(
            f"/api/v1/properties/{other_hotel.slug}/reservations/{reservation.reference}"
        ).status_code
        == 404
    )
    assert client.get(f"{base}/reservations/{reservation.reference}").status_code == 404
    client.force_login(staff_of(hotel, Role.MANAGER))
    assert client.get(f"{base}/reservations/NOPE").status_code == 404


def test_patch_changes_dates(desk, base, hotel, rooms, guest, day):
    reservation = make(hotel, guest, rooms, day, arrival=1, departure=3)
    response = desk.patch(
        f"{base}/reservations/{reservation.reference}",
        {"departure": str(day(4)), "rooms": [{"room_type": "junior", "adults": 3}]},
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["departure"] == str(day(4)) and data["nights"] == 3
    live = [r for r in data["rooms"] if not r["is_cancelled"]]
    assert [(r["room_type"], r["adults"]) for r in live] == [("junior", 3)]


def test_patch_sold_out_is_409_and_changes_nothing(desk, base, hotel, rooms, guest, day):
    reservation = make(hotel, guest, rooms, day, code="familiale", arrival=1, departure=3)
    for _ in range(3):
        make(hotel, guest, rooms, day, code="familiale", arrival=3, departure=4)
    before = counts()
    response = desk.patch(
        f"{base}/reservations/{reservation.reference}",
        {"departure": str(day(4))},
        content_type="application/json",
    )
    assert response.status_code == 409
    reservation.refresh_from_db()
    assert reservation.departure == day(3)
    assert counts() == before


def test_patch_needs_front_desk(client, base, hotel, rooms, guest, day, staff_of):
    reservation = make(hotel, guest, rooms, day)
    client.force_login(staff_of(hotel, Role.WAITER))
    response = client.patch(
        f"{base}/reservations/{reservation.reference}",
        {"departure": str(day(5))},
        content_type="application/json",
    )
    assert response.status_code == 403
    reservation.refresh_from_db()
    assert reservation.departure == day(3)


# --- cancel / check-in / check-out ----------------------------------------------------------


def test_cancel_endpoint(desk, base, hotel, rooms, guest, day):
    reservation = make(hotel, guest, rooms, day)
    url = f"{base}/reservations/{reservation.reference}/cancel"
    response = desk.post(url, {"reason": "Client malade"}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert desk.post(url, {}, content_type="application/json").status_code == 200
    assert not CapacityAllocation.objects.exclude(status="released").exists()


def test_cancel_forbidden_and_other_property(
    client, base, hotel, other_hotel, rooms, guest, day, staff_of
):
    reservation = make(hotel, guest, rooms, day)
    url = f"{base}/reservations/{reservation.reference}/cancel"
    assert client.post(url).status_code == 401
    client.force_login(staff_of(hotel, Role.WAITER))
    assert client.post(url).status_code == 403
    client.force_login(staff_of(other_hotel, Role.MANAGER))
    assert client.post(url).status_code == 404
    reservation.refresh_from_db()
    assert reservation.status == "confirmed"


def test_check_in_and_check_out_endpoints(desk, base, hotel, rooms, guest, day, today, product):
    from pms.services import ExtraRequest

    reservation = reservation_create(
        property=hotel,
        guest=guest,
        arrival=today,
        departure=day(2),
        rooms=[RoomRequest(RoomType.objects.get(property=hotel, code="superieure").pk, 2, 0)],
        extras=[ExtraRequest(product("petit-dejeuner").pk, 2, day(1))],
        channel="front_desk",
    )
    rr = reservation.rooms.get()
    url = f"{base}/reservations/{reservation.reference}"
    for number in ("999", "101"):  # unknown room, room of another type
        bad = desk.post(
            f"{url}/check-in",
            {"rooms": [{"reservation_room": rr.pk, "room": number}]},
            content_type="application/json",
        )
        assert bad.status_code == 422
    response = desk.post(
        f"{url}/check-in",
        {"rooms": [{"reservation_room": rr.pk, "room": "203"}]},
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["status"] == "in_house" and data["rooms"][0]["room"] == "203"
    assert [line["source"].split(":")[0] for line in data["folio"]["lines"]] == ["pms.extra"]

    refused = desk.post(f"{url}/check-out")
    assert refused.status_code == 422 and refused.json()["code"] == "balance_due"
    out = desk.post(
        f"{url}/check-out",
        {"payment": {"method": "card", "terminal_reference": "TPE-2"}},
        content_type="application/json",
    )
    assert out.status_code == 200
    assert out.json()["status"] == "checked_out"
    again = desk.post(f"{url}/check-out")
    assert again.status_code == 200
    assert FolioLine.objects.filter(folio=reservation.folio).count() == 3  # 2 nights + breakfast
    assert again.json()["folio"]["charges"] == str(reservation.total_price)


def test_check_in_too_early_is_422(desk, base, hotel, rooms, guest, day):
    reservation = make(hotel, guest, rooms, day, arrival=2, departure=3)
    rr = reservation.rooms.get()
    response = desk.post(
        f"{base}/reservations/{reservation.reference}/check-in",
        {"rooms": [{"reservation_room": rr.pk, "room": "101"}]},
        content_type="application/json",
    )
    assert response.status_code == 422
    reservation.refresh_from_db()
    assert reservation.status == "confirmed"
    assert rr.assignments.count() == 0


def test_check_out_needs_front_desk(client, base, hotel, rooms, guest, day, staff_of):
    reservation = make(hotel, guest, rooms, day)
    client.force_login(staff_of(hotel, Role.WAITER))
    assert client.post(f"{base}/reservations/{reservation.reference}/check-out").status_code == 403
    client.force_login(make_staff(hotel, Role.FRONT_DESK))
    response = client.post(f"{base}/reservations/{reservation.reference}/check-out")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_state"
