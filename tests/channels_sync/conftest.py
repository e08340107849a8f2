import pytest

from pms.services import RoomRequest, reservation_create, room_assign
from tests.pms.conftest import clerk, day, guest, room, room_type, rooms, today  # noqa: F401


@pytest.fixture
def book(hotel, guest):  # noqa: F811
    """book(room, arrival, departure): a front-desk reservation assigned to `room`."""

    def make(the_room, arrival, departure, channel="front_desk", assign=True, prop=None, who=None):
        reservation = reservation_create(
            property=prop or hotel,
            guest=who or guest,
            arrival=arrival,
            departure=departure,
            rooms=[RoomRequest(the_room.room_type_id, 2, 0)],
            channel=channel,
        )
        if assign:
            room_assign(reservation_room=reservation.rooms.get(), room=the_room)
        return reservation

    return make


@pytest.fixture
def feed_server():
    from tests.channels_sync.feeds import FeedServer

    server = FeedServer()
    yield server
    server.close()


@pytest.fixture
def connect(hotel):
    """connect(room, url, kind="airbnb"): a connection allowed to reach 127.0.0.1."""
    from channels_sync.services.imports import connection_create

    def make(the_room, url, kind="airbnb", prop=None):
        return connection_create(
            property=prop or hotel,
            room=the_room,
            kind=kind,
            url=url,
            allow_private_addresses=True,
        )

    return make
