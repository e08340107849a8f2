"""Upgrades (issue 19): a stay moved to a room of another type. Free, the price stays; paid,
the remaining nights are re-quoted and the difference is on the folio at once. The capacity
follows the stay (the old type gets its night back, the new type sells one less)."""

from datetime import timedelta
from decimal import Decimal

import pytest

from billing.models import FolioLine
from core.exceptions import InvalidInput
from inventory.models import CapacityBucket, Channel
from pms.models import Room
from pms.services.reservations import RoomRequest, reservation_create
from pms.services.stays import reservation_check_in
from pms.services.upgrades import room_upgrade

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_house(hotel, guest, rooms, room):
    today = hotel.business_date()
    res = reservation_create(
        property=hotel,
        guest=guest,
        arrival=today,
        departure=today + timedelta(days=2),
        rooms=[RoomRequest(rooms["classique"].pk, 2, 0)],
        channel=Channel.FRONT_DESK,
    )
    reservation_check_in(reservation=res, assignments={res.rooms.get().pk: room("101").pk})
    res.refresh_from_db()
    return res


def superior(hotel, rooms):
    return Room.objects.filter(property=hotel, room_type=rooms["superieure"]).order_by("number")[0]


def sold(rooms, code, day):
    return CapacityBucket.objects.get(pool=rooms[code].product.capacity_pool, day=day).sold


def test_a_free_upgrade_keeps_the_price(hotel, in_house, rooms):
    price = in_house.total_price
    today = hotel.business_date()
    assert room_upgrade(
        reservation_room=in_house.rooms.get(), room=superior(hotel, rooms), paid=False
    ) == Decimal("0")
    in_house.refresh_from_db()
    rr = in_house.rooms.get()
    assert (rr.room_type.code, in_house.total_price) == ("superieure", price)
    assert (sold(rooms, "classique", today), sold(rooms, "superieure", today)) == (0, 1)
    assert Room.objects.get(property=hotel, number="101").housekeeping_status == "dirty"


def test_a_paid_upgrade_posts_the_difference(hotel, in_house, rooms):
    booked = in_house.total_price
    difference = room_upgrade(
        reservation_room=in_house.rooms.get(), room=superior(hotel, rooms), paid=True
    )
    assert difference > 0
    line = FolioLine.objects.get(folio=in_house.folio, source__startswith="pms.upgrade:")
    assert line.total == difference and line.revenue_category == "accommodation"
    in_house.refresh_from_db()
    assert in_house.total_price == booked + difference


def test_an_upgrade_to_the_same_type_is_a_move(hotel, in_house, room):
    with pytest.raises(InvalidInput):
        room_upgrade(reservation_room=in_house.rooms.get(), room=room("102"), paid=True)
    assert in_house.rooms.get().room.number == "101"
