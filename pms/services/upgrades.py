"""Upgrades (PMS-3): a stay moved to a room of another type from today (or the arrival).

Free, the stay keeps its price. Paid, the remaining nights are re-quoted in the new type
(quote(), the stay's channel and plan) and the difference is posted to the folio at once as
one accommodation line; the nights themselves keep being posted at the booked price by the
night audit, so nothing is counted twice. The capacity moves with the stay: the old type's
nights from the move on return to sale and the new type's are taken, in one transaction
with the room assignment."""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from billing.services.folios import ChargeInput, folio_post_charges
from core.audit import audit_log
from core.exceptions import InvalidInput
from core.money import ZERO, quantize
from inventory.models import RevenueCategory
from inventory.services.capacity import CapacityNeed, capacity_consume_many, capacity_release
from inventory.services.pricing import QuoteLineInput, quote
from pms.exceptions import InvalidReservationState, RoomNotReady
from pms.lock_objects import reservation_for_update, rooms_for_update
from pms.models import Reservation, ReservationRoom, Room
from pms.services.rooms import assignment_create, check_room_for, live_assignment


@transaction.atomic
def room_upgrade(
    *,
    reservation_room: ReservationRoom,
    room: Room,
    paid: bool,
    actor=None,
    move_date: date | None = None,
) -> Decimal:
    """Move `reservation_room` to `room`, of another type, from `move_date` (today's business
    date, or the arrival if later) to the departure. Returns the difference charged (ZERO
    for a free upgrade).
    Locks: Reservation, the two rooms, then the CapacityBuckets.
    Raises: InvalidReservationState, InvalidInput (same type: a move; too many guests; a
    date outside the stay), RoomNotAvailable, RoomNotReady (in house: a clean room only),
    SoldOut."""
    reservation = reservation_for_update(reservation_id=reservation_room.reservation_id)
    if reservation.status not in Reservation.ACTIVE_STATUSES:
        raise InvalidReservationState()
    rr = ReservationRoom.objects.select_related("room_type__product").get(
        pk=reservation_room.pk, reservation=reservation
    )
    rr.reservation = reservation
    if rr.is_cancelled:
        raise InvalidReservationState()
    if room.property_id != reservation.property_id:
        raise InvalidInput(_("Unknown room."))
    if room.room_type_id == rr.room_type_id:
        raise InvalidInput(_("This room is of the same type: move the guest instead."))
    move_date = move_date or max(reservation.property.business_date(), reservation.arrival)
    if not (reservation.arrival <= move_date < reservation.departure):
        raise InvalidInput(_("The move date must be within the stay."))
    current = live_assignment(rr)
    locked = rooms_for_update(room_ids=[room.pk] + ([current.room_id] if current else []))
    room = next(r for r in locked if r.pk == room.pk)
    new_type = room.room_type
    if rr.adults + rr.children > new_type.max_occupancy:
        raise InvalidInput(
            _("A %(name)s sleeps at most %(max)s people.")
            % {"name": new_type.name, "max": new_type.max_occupancy}
        )
    in_house = reservation.status == Reservation.Status.IN_HOUSE
    if in_house and room.housekeeping_status not in (
        Room.Housekeeping.CLEAN,
        Room.Housekeeping.INSPECTED,
    ):
        raise RoomNotReady(_("Room %(number)s is not clean yet.") % {"number": room.number})
    old_type = rr.room_type

    # capacity: the old type keeps the nights before the move, the new type takes the rest
    property = reservation.property
    capacity_release(property=property, reference=rr.capacity_reference)
    needs = [
        CapacityNeed(
            pool_id=new_type.product.capacity_pool_id,
            quantity=1,
            day=move_date,
            until=reservation.departure,
        )
    ]
    if move_date > reservation.arrival:
        needs.append(
            CapacityNeed(
                pool_id=old_type.product.capacity_pool_id,
                quantity=1,
                day=reservation.arrival,
                until=move_date,
            )
        )
    capacity_consume_many(
        property=property, parts=[(rr.capacity_reference, needs)], channel=reservation.channel
    )

    # the room: the old assignment keeps the nights before the move
    rr.room_type = new_type
    check_room_for(rr, room, move_date, reservation.departure)
    if current is not None:
        if move_date <= current.start:
            current.released_at = timezone.now()
            current.save(update_fields=["released_at"])
        else:
            current.end = move_date
            current.save(update_fields=["end"])
        if in_house:
            old_room = next(r for r in locked if r.pk == current.room_id)
            old_room.housekeeping_status = Room.Housekeeping.DIRTY
            old_room.save(update_fields=["housekeeping_status", "updated_at"])
    assignment_create(reservation_room=rr, room=room, start=move_date, end=reservation.departure)
    rr.room = room
    rr.save(update_fields=["room_type", "room", "updated_at"])

    difference = ZERO
    if paid:
        booked = sum(
            (Decimal(p) for d, p in rr.nightly_prices.items() if d >= move_date.isoformat()),
            ZERO,
        )
        requoted = quote(
            property=property,
            channel=reservation.channel,
            lines=[
                QuoteLineInput(
                    product_id=new_type.product_id, start=move_date, end=reservation.departure
                )
            ],
        ).lines[0]
        difference = quantize(max(requoted.total - booked, ZERO), property.currency)
        if difference > ZERO and reservation.folio_id:
            with translation.override(property.default_language):  # the folio's language
                label = _("Upgrade to %(type)s") % {"type": new_type.name}
            folio_post_charges(
                folio=reservation.folio,
                charges=[
                    ChargeInput(
                        description=label,
                        quantity=Decimal(1),
                        unit_price=difference,
                        total=difference,
                        vat_rate=rr.vat_rate,
                        revenue_category=RevenueCategory.ACCOMMODATION,
                        service_date=move_date,
                        source=f"pms.upgrade:{rr.pk}:{move_date.isoformat()}",
                        product_id=new_type.product_id,
                    )
                ],
                actor=actor,
            )
            reservation.total_price = quantize(reservation.total_price + difference)
            reservation.save(update_fields=["total_price", "updated_at"])
    audit_log(
        action="pms.room.upgraded",
        property=property,
        actor=actor,
        target=reservation,
        data={
            "reservation_room": rr.pk,
            "from_type": old_type.code,
            "to_type": new_type.code,
            "room": room.number,
            "date": str(move_date),
            "paid": paid,
            "difference": str(difference),
        },
    )
    return difference
