"""Rooms and room types with their housekeeping status, read and set through the API as on
the housekeeping phone (pms.services.rooms.room_housekeeping_set)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from core.models import AuditEntry, Role
from pms.demo import room_types_seed
from pms.models import Room, RoomOutOfOrder
from tests.factories.api import assert_etag_304, every_page, scoped_api
from tests.factories.core import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def rooms(hotel, catalog):
    return room_types_seed(hotel)


@pytest.fixture
def base(hotel):
    return f"/api/v1/properties/{hotel.slug}"


@pytest.fixture
def api(hotel, manager):
    return scoped_api(hotel, manager, areas=["pms"])


def test_rooms_list_with_their_status_and_today_out_of_order(api, base, hotel, rooms, manager):
    room = Room.objects.filter(property=hotel).order_by("number").first()
    today = hotel.business_date()
    RoomOutOfOrder.objects.create(
        room=room, start=today, end=today + timedelta(days=2), reason="Fuite", created_by=manager
    )
    Room.objects.filter(pk=room.pk).update(housekeeping_status=Room.Housekeeping.DIRTY)
    response = api.get(f"{base}/rooms", {"housekeeping_status": "dirty"})
    assert response.status_code == 200, response.json()
    [row] = response.json()["results"]
    assert (row["number"], row["out_of_order"], row["housekeeping_status"]) == (
        room.number,
        True,
        "dirty",
    )
    types = api.get(f"{base}/room-types").json()["results"]
    assert [t["code"] for t in types] == [rt.code for rt in rooms.values()]
    assert sum(t["rooms"] for t in types) == Room.objects.filter(property=hotel).count()
    bad = api.get(f"{base}/rooms", {"housekeeping_status": "sparkling"})
    assert bad.status_code == 422 and "housekeeping_status" in bad.json()["extra"]


def test_room_pages_cover_every_room_once_in_constant_queries(api, base, hotel, rooms):
    seen = every_page(api, f"{base}/rooms", limit=3, key="number")
    assert sorted(seen) == sorted(
        Room.objects.filter(property=hotel).values_list("number", flat=True)
    )
    assert len(seen) == len(set(seen))
    types = every_page(api, f"{base}/room-types", limit=1, key="code")
    assert len(types) == len(rooms)

    def queries(limit):
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(f"{base}/rooms", {"limit": limit}).status_code == 200
        return len(ctx)

    assert queries(1) == queries(50)


def test_setting_the_status_goes_through_the_housekeeping_service(api, base, hotel, rooms):
    room = Room.objects.filter(property=hotel).order_by("number").first()
    url = f"{base}/rooms/{room.number}"
    etag = assert_etag_304(api, url)
    assert_etag_304(api, f"{base}/rooms")
    response = api.patch(
        url, {"housekeeping_status": "dirty"}, format="json", HTTP_IDEMPOTENCY_KEY="hk-1"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["housekeeping_status"] == "dirty"
    room.refresh_from_db()
    assert room.housekeeping_status == "dirty" and room.housekeeping_changed_at is not None
    assert AuditEntry.objects.filter(action="pms.room.housekeeping").count() == 1
    replay = api.patch(
        url, {"housekeeping_status": "dirty"}, format="json", HTTP_IDEMPOTENCY_KEY="hk-1"
    )
    assert replay.json() == response.json() and replay["Idempotent-Replayed"] == "true"
    assert AuditEntry.objects.filter(action="pms.room.housekeeping").count() == 1
    assert api.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200  # changed since


def test_only_a_supervisor_marks_a_room_inspected(base, hotel, rooms):
    maid = make_staff(hotel, Role.HOUSEKEEPING, username="maid")
    api = APIClient()
    api.force_authenticate(maid)
    room = Room.objects.filter(property=hotel).order_by("number").first()
    url = f"{base}/rooms/{room.number}"
    assert api.patch(url, {"housekeeping_status": "inspected"}, format="json").status_code == 403
    assert api.patch(url, {"housekeeping_status": "dirty"}, format="json").status_code == 200
    room.refresh_from_db()
    assert room.housekeeping_status == "dirty"


def test_a_read_only_token_cannot_set_a_status(hotel, manager, base, rooms):
    reader = scoped_api(hotel, manager, areas=["pms"], read_only=True)
    room = Room.objects.filter(property=hotel).order_by("number").first()
    url = f"{base}/rooms/{room.number}"
    assert reader.get(url).status_code == 200
    response = reader.patch(url, {"housekeeping_status": "dirty"}, format="json")
    assert response.status_code == 403
    room.refresh_from_db()
    assert room.housekeeping_status == "clean"


def test_a_token_of_another_property_gets_404(hotel, other_hotel, base, rooms):
    elsewhere = scoped_api(
        other_hotel, make_staff(other_hotel, Role.MANAGER, username="m2"), areas=["pms"]
    )
    room = Room.objects.filter(property=hotel).order_by("number").first()
    own = f"/api/v1/properties/{other_hotel.slug}/rooms/{room.number}"
    assert elsewhere.get(f"{base}/rooms/{room.number}").status_code == 404
    assert elsewhere.get(own).status_code == 404
    assert elsewhere.patch(own, {"housekeeping_status": "dirty"}, format="json").status_code == 404
    assert elsewhere.get(f"/api/v1/properties/{other_hotel.slug}/rooms").json()["results"] == []
    room.refresh_from_db()
    assert room.housekeeping_status == "clean"
