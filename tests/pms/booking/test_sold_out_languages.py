"""The booking engine's sold-out answer is decided on the domain error's code, not on its
translated message: 409 in French as in English."""

import pytest

from crm.services import guest_create
from pms.models import Reservation
from pms.services import RoomRequest, reservation_create
from tests.pms.booking.test_booking_engine import GUEST, stay

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "lang, message",
    [
        ("en", "no longer available"),
        ("fr", "plus disponible à ces dates"),
    ],
)
def test_sold_out_is_409_in_every_language(client, hotel, rooms, room_type, day, lang, message):
    familiale = room_type("familiale")
    guest = guest_create(organization=hotel.organization, last_name="Martin")
    # given the desk sold every Familiale for the stay (units held back from online too)
    for _ in range(familiale.rooms.count()):
        reservation_create(
            property=hotel,
            guest=guest,
            arrival=day(3),
            departure=day(5),
            rooms=[RoomRequest(familiale.pk, 2, 0)],
            channel="front_desk",
        )

    # when a guest sends the details form in their language
    response = client.post(
        f"/book/{hotel.slug}/details/", {**stay(day, familiale), **GUEST, "lang": lang}
    )

    # then the answer is a 409 with the message in that language, and nothing is booked
    assert response.status_code == 409
    assert message in response.content.decode()
    assert not Reservation.objects.filter(channel="booking_engine").exists()
