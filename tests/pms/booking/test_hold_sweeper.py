"""BE-3 abuse protection: a guest who leaves the payment step gives the room back, without a
human, through the beat task and a real Celery worker."""

import time

import pytest
from django.conf import settings
from django.utils import timezone

from inventory.models import CapacityAllocation
from pms.models import Reservation
from pms.services.booking import booking_offers
from pms.tasks import options_expire_task
from tests.pms.booking.test_booking_engine import GUEST, stay


def _available(hotel, day, code="classique") -> int:
    offers = booking_offers(property=hotel, arrival=day(3), departure=day(5), adults=2)
    return next((o.available for o in offers if o.room_type.code == code), 0)


def _references(reservation) -> list[str]:
    return [r.capacity_reference for r in reservation.rooms.all()] + [
        e.capacity_reference for e in reservation.extras.all()
    ]


def _wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("the worker did not get there in time")


def test_the_sweeper_is_scheduled():
    entry = settings.CELERY_BEAT_SCHEDULE["pms-expire-options"]
    assert entry["task"] == options_expire_task.name


@pytest.mark.django_db(transaction=True)
def test_an_abandoned_payment_step_returns_the_room_to_sale(
    client, hotel, rooms, room_type, day, celery_worker
):
    # given two guests holding a room each at the payment step, one of them long gone
    classique = room_type("classique")
    free = _available(hotel, day)
    for email in ("gone@exemple.fr", "paying@exemple.fr"):
        response = client.post(
            f"/book/{hotel.slug}/details/", {**stay(day, classique), **GUEST, "email": email}
        )
        assert response.status_code == 302
    assert _available(hotel, day) == free - 2
    gone = Reservation.objects.get(guest__email="gone@exemple.fr")
    paying = Reservation.objects.get(guest__email="paying@exemple.fr")
    past = timezone.now() - timezone.timedelta(minutes=1)
    Reservation.objects.filter(pk=gone.pk).update(option_expires_at=past)
    CapacityAllocation.objects.filter(reference__in=_references(gone)).update(expires_at=past)

    # when beat fires the sweeper and a worker runs it
    options_expire_task.delay()
    _wait_for(lambda: Reservation.objects.get(pk=gone.pk).status == "cancelled")

    # then the abandoned option is cancelled, its room back on sale; the other hold stays
    assert _available(hotel, day) == free - 1
    assert Reservation.objects.get(pk=paying.pk).status == "option"
    assert set(
        CapacityAllocation.objects.filter(reference__in=_references(gone)).values_list(
            "status", flat=True
        )
    ) == {"released"}

    # and the guest who left sees "no longer available" if they come back to pay
    response = client.post(f"/book/{hotel.slug}/pay/{gone.public_id}/", {"provider": "at_property"})
    assert "no longer available" in response.content.decode()
    assert Reservation.objects.get(pk=gone.pk).status == "cancelled"
