"""Reads of the PMS, scoped to a property."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from billing.models import FolioLine
from core.exceptions import NotFound
from core.models import Property
from inventory.selectors import pools_availability
from inventory.services.pricing import QuoteLineInput, quote
from pms.models import Reservation, ReservationExtra, ReservationRoom, RoomType


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


def _stays(property: Property) -> QuerySet[Reservation]:
    return (
        Reservation.objects.filter(property=property)
        .select_related("guest", "company")
        .prefetch_related(
            Prefetch(
                "rooms",
                queryset=ReservationRoom.objects.filter(is_cancelled=False)
                .select_related("room_type", "room")
                .order_by("pk"),
                to_attr="live_rooms",
            )
        )
    )


def arrivals_for_date(*, property: Property, business_date: date) -> QuerySet[Reservation]:
    """Guests expected on `business_date` (confirmed or option), by name."""
    return (
        _stays(property)
        .filter(
            arrival=business_date,
            status__in=[Reservation.Status.CONFIRMED, Reservation.Status.OPTION],
        )
        .order_by("guest__last_name", "pk")
    )


def departures_for_date(*, property: Property, business_date: date) -> QuerySet[Reservation]:
    """Guests in house due to leave on `business_date`."""
    return (
        _stays(property)
        .filter(departure=business_date, status=Reservation.Status.IN_HOUSE)
        .order_by("guest__last_name", "pk")
    )


def in_house_for_date(*, property: Property, business_date: date) -> QuerySet[Reservation]:
    """Guests in house who sleep here the night of `business_date`."""
    return (
        _stays(property)
        .filter(
            status=Reservation.Status.IN_HOUSE,
            arrival__lte=business_date,
            departure__gt=business_date,
        )
        .order_by("guest__last_name", "pk")
    )


def reservation_get(*, property: Property, reference: str) -> Reservation:
    """The reservation `reference` of `property`; raises NotFound for any other property."""
    reservation = (
        Reservation.objects.filter(property=property, reference=reference)
        .select_related("property", "guest", "company", "folio")
        .first()
    )
    if reservation is None:
        raise NotFound(_("No such reservation."))
    return reservation


def reservation_detail(*, property: Property, reference: str) -> Reservation:
    """A reservation with its rooms (type, room), extras, guest and folio lines, in a fixed
    number of queries."""
    reservation = (
        Reservation.objects.filter(property=property, reference=reference)
        .select_related("property", "guest", "company", "folio")
        .prefetch_related(
            Prefetch(
                "rooms",
                queryset=ReservationRoom.objects.select_related("room_type", "room").order_by("pk"),
            ),
            Prefetch(
                "extras",
                queryset=ReservationExtra.objects.select_related("product").order_by("day", "pk"),
            ),
            Prefetch("folio__lines", queryset=FolioLine.objects.order_by("service_date", "pk")),
        )
        .first()
    )
    if reservation is None:
        raise NotFound(_("No such reservation."))
    return reservation


@dataclass(frozen=True)
class NightOffer:
    day: date
    available: int
    price: Decimal


def room_types_availability(
    *, property: Property, start: date, end: date, channel: str
) -> list[tuple[RoomType, list[NightOffer]]]:
    """Per room type and night over [start, end): units `channel` may still sell and the
    one-night price it would quote. A constant number of queries whatever the range."""
    room_types = list(
        RoomType.objects.filter(property=property, product__is_active=True)
        .select_related("product")
        .order_by("sort_order", "code")
    )
    if not room_types:
        return []
    pool_ids = [t.product.capacity_pool_id for t in room_types if t.product.capacity_pool_id]
    slots = pools_availability(
        property=property, pool_ids=pool_ids, start=start, end=end, channel=channel
    )
    days = [start + timedelta(days=i) for i in range((end - start).days)]
    lines = [
        QuoteLineInput(product_id=t.product_id, start=d, end=d + timedelta(days=1))
        for t in room_types
        for d in days
    ]
    quoted = iter(quote(property=property, channel=channel, lines=lines).lines)
    out = []
    for room_type in room_types:
        by_day = {s.day: s.available for s in slots.get(room_type.product.capacity_pool_id, [])}
        out.append(
            (
                room_type,
                [
                    NightOffer(day=d, available=by_day.get(d, 0), price=next(quoted).total)
                    for d in days
                ],
            )
        )
    return out
