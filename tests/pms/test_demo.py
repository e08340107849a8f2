"""The PMS demo: 24 rooms, reservations through the services, idempotent."""

import pytest
from django.core.management import call_command

from billing.models import FolioLine
from core.models import Property
from crm.models import Guest
from pms.models import Reservation, Room, RoomAssignment

pytestmark = pytest.mark.django_db


def test_demo_builds_the_hotel_and_is_idempotent():
    # when
    call_command("seed_demo")
    hotel = Property.objects.get(slug="les-pins")
    counts = (
        Reservation.objects.count(),
        Room.objects.count(),
        Guest.objects.count(),
        FolioLine.objects.count(),
        RoomAssignment.objects.count(),
    )
    call_command("seed_demo")
    # then
    assert (
        Reservation.objects.count(),
        Room.objects.count(),
        Guest.objects.count(),
        FolioLine.objects.count(),
        RoomAssignment.objects.count(),
    ) == counts
    rooms = Room.objects.filter(property=hotel)
    assert rooms.count() == 24
    assert {code: rooms.filter(room_type__code=code).count() for code in
            ("classique", "superieure", "junior", "familiale")} == {
        "classique": 10, "superieure": 7, "junior": 4, "familiale": 3}  # fmt: skip
    assert Guest.objects.filter(organization=hotel.organization).count() >= 40
    today = hotel.business_date()
    reservations = Reservation.objects.filter(property=hotel)
    assert reservations.count() >= 60
    assert set(reservations.values_list("channel", flat=True)) >= {
        "front_desk",
        "booking_engine",
        "ota",
    }
    past = reservations.filter(departure__lte=today)
    assert past.exists()
    assert set(past.values_list("status", flat=True)) == {"checked_out"} | (
        {"confirmed"} if past.filter(status="confirmed").exists() else set()
    )
    in_house = reservations.filter(status="in_house")
    assert in_house.exists()
    assert all(r.arrival <= today < r.departure for r in in_house)
    assert reservations.filter(arrival__gt=today, status="confirmed").exists()
    assert reservations.exclude(folio__isnull=False).count() == 0
    checked_out = past.filter(status="checked_out").first()
    assert FolioLine.objects.filter(folio=checked_out.folio).exists()
