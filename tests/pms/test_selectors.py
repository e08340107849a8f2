"""Front-desk lists: arrivals, departures, in house — scoped and N+1-free."""

import pytest

from inventory.models import Channel
from pms.exceptions import RoomNotAvailable
from pms.models import RoomAssignment
from pms.selectors import arrivals_for_date, departures_for_date, in_house_for_date
from pms.services import RoomRequest, reservation_check_in, reservation_create, room_assign

pytestmark = pytest.mark.django_db


def book(hotel, guest, rooms, arrival, departure):
    return reservation_create(
        property=hotel, guest=guest, arrival=arrival, departure=departure,
        rooms=[RoomRequest(rooms["classique"].pk, 2, 0)], channel=Channel.OTA,
    )  # fmt: skip


def test_lists_for_a_business_date(
    hotel, other_hotel, rooms, guest, today, day, room, django_assert_num_queries
):
    arriving = book(hotel, guest, rooms, today, day(2))
    staying = book(hotel, guest, rooms, day(-2), day(2))
    leaving = book(hotel, guest, rooms, day(-1), today)
    for reservation, number in ((staying, "101"), (leaving, "102")):
        reservation_check_in(
            reservation=reservation,
            assignments={reservation.rooms.get().pk: room(number).pk},
            allow_past=True,
        )
    with django_assert_num_queries(2):
        arrivals = list(arrivals_for_date(property=hotel, business_date=today))
        assert [r.live_rooms[0].room_type.code for r in arrivals] == ["classique"]
    assert arrivals == [arriving]
    assert list(departures_for_date(property=hotel, business_date=today)) == [leaving]
    with django_assert_num_queries(2):
        in_house = list(in_house_for_date(property=hotel, business_date=today))
        assert [r.live_rooms[0].room.number for r in in_house] == ["101"]
    assert list(arrivals_for_date(property=other_hotel, business_date=today)) == []


def test_database_race_on_assignment_becomes_a_conflict(
    hotel, rooms, guest, day, room, monkeypatch
):
    # given: another transaction assigned 101 between our check and our insert
    first = book(hotel, guest, rooms, day(1), day(3))
    second = book(hotel, guest, rooms, day(2), day(4))
    room_assign(reservation_room=first.rooms.get(), room=room("101"))
    monkeypatch.setattr(
        "pms.services.rooms._overlapping",
        lambda *a, **kw: RoomAssignment.objects.none(),
    )
    # when / then: the exclusion constraint answers, translated to a 409 Conflict
    with pytest.raises(RoomNotAvailable):
        room_assign(reservation_room=second.rooms.get(), room=room("101"))
    assert RoomAssignment.objects.count() == 1
    assert second.rooms.get().room is None
