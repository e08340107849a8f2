"""Reads of the PMS, scoped to a property."""

from datetime import date

from django.db.models import QuerySet

from core.models import Property
from pms.models import Reservation, ReservationRoom


def in_house_room(*, property: Property, room_number: str) -> ReservationRoom | None:
    """The reservation room currently in house in room `room_number` (for charge to room)."""
    return (
        ReservationRoom.objects.filter(
            reservation__property=property,
            reservation__status=Reservation.Status.IN_HOUSE,
            room__number=room_number,
            is_cancelled=False,
        )
        .select_related("reservation", "reservation__folio", "reservation__guest", "room")
        .first()
    )


def reservations_between(*, property: Property, start: date, end: date) -> QuerySet[Reservation]:
    return (
        Reservation.objects.filter(property=property, arrival__lt=end, departure__gt=start)
        .select_related("guest")
        .order_by("arrival", "pk")
    )
