"""Upgrades (PMS-3): a stay moved to a room of another type from today (or the arrival).

Free, the stay keeps its price. Paid, the remaining nights are re-quoted in the new type
(quote(), the stay's channel and plan) and the difference is posted to the folio at once as
one accommodation line; the nights themselves keep being posted at the booked price by the
night audit, so nothing is counted twice. The capacity moves with the stay: the old type's
nights from the move on return to sale and the new type's are taken, in one transaction
with the room assignment.

The POS sells a paid upgrade to an in-house guest (pos.views.upgrades): `upgrade_offers`
lists the rooms it may go to with the difference `upgrade_difference` computes, the same
figure room_upgrade posts; `room_upgrade_sell` is room_upgrade(paid=True) once per key (a
double tap on "Confirm" moves and charges once) and refused when the price moved since the
guest was told it."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from billing.services.folios import ChargeInput, folio_post_charges
from core.audit import audit_log
from core.exceptions import InvalidInput
from core.formatting import money
from core.idempotency import idempotency_claim, idempotency_result, idempotency_store
from core.money import ZERO, quantize
from inventory.models import RevenueCategory
from inventory.services.capacity import CapacityNeed, capacity_consume_many, capacity_release
from inventory.services.pricing import QuoteLineInput, quote
from pms.exceptions import InvalidReservationState, RoomNotReady
from pms.lock_objects import reservation_for_update, rooms_for_update
from pms.models import Reservation, ReservationRoom, Room, RoomType
from pms.selectors import rooms_for_upgrade
from pms.services.rooms import assignment_create, check_room_for, live_assignment

SELL_SCOPE = "pms.upgrade.sell"


class PriceChanged(InvalidInput):
    code = "price_changed"


@dataclass(frozen=True)
class UpgradeOffer:
    """A room type the stay may be upgraded to: its free rooms and what a paid upgrade
    posts to the folio."""

    room_type: RoomType
    rooms: list[Room]
    difference: Decimal


def upgrade_move_date(reservation: Reservation) -> date:
    """Where an upgrade starts by default: today's business date, or the arrival if later."""
    return max(reservation.property.business_date(), reservation.arrival)


def upgrade_difference(
    *, reservation_room: ReservationRoom, room_type: RoomType, move_date: date
) -> Decimal:
    """What a paid upgrade of `reservation_room` to `room_type` from `move_date` costs: the
    remaining nights re-quoted in the new type (the stay's channel) less their booked price,
    never below zero (a cheaper type is not refunded)."""
    reservation = reservation_room.reservation
    property = reservation.property
    booked = sum(
        (
            Decimal(p)
            for d, p in reservation_room.nightly_prices.items()
            if d >= move_date.isoformat()
        ),
        ZERO,
    )
    requoted = quote(
        property=property,
        channel=reservation.channel,
        lines=[
            QuoteLineInput(
                product_id=room_type.product_id, start=move_date, end=reservation.departure
            )
        ],
    ).lines[0]
    return quantize(max(requoted.total - booked, ZERO), property.currency)


def upgrade_offers(
    *, reservation_room: ReservationRoom, move_date: date | None = None
) -> list[UpgradeOffer]:
    """The other room types with a clean, free room for the rest of the stay
    (pms.selectors.rooms_for_upgrade), each with its rooms and the difference a paid
    upgrade posts; one query for the rooms and one quote per type."""
    reservation = reservation_room.reservation
    move_date = move_date or upgrade_move_date(reservation)
    if move_date >= reservation.departure:
        return []
    by_type: dict[int, tuple[RoomType, list[Room]]] = {}
    for room in rooms_for_upgrade(
        reservation_room=reservation_room, start=move_date, end=reservation.departure
    ):
        by_type.setdefault(room.room_type_id, (room.room_type, []))[1].append(room)
    return [
        UpgradeOffer(
            room_type=room_type,
            rooms=rooms,
            difference=upgrade_difference(
                reservation_room=reservation_room, room_type=room_type, move_date=move_date
            ),
        )
        for room_type, rooms in by_type.values()
    ]


@transaction.atomic
def room_upgrade(
    *,
    reservation_room: ReservationRoom,
    room: Room,
    paid: bool,
    actor=None,
    move_date: date | None = None,
    expected_difference: Decimal | None = None,
    audit_data: dict | None = None,
) -> Decimal:
    """Move `reservation_room` to `room`, of another type, from `move_date` (today's business
    date, or the arrival if later) to the departure. Returns the difference charged (ZERO
    for a free upgrade). `expected_difference`: the amount the guest was told (the POS); a
    paid upgrade that now costs another amount is refused (PriceChanged) and nothing moves.
    `audit_data` adds to the audit line (where it was sold).
    Locks: Reservation, the two rooms, then the CapacityBuckets.
    Raises: InvalidReservationState, InvalidInput (same type: a move; too many guests; a
    date outside the stay), RoomNotAvailable, RoomNotReady (in house: a clean room only),
    SoldOut, PriceChanged."""
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
    move_date = move_date or upgrade_move_date(reservation)
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
        difference = upgrade_difference(
            reservation_room=rr, room_type=new_type, move_date=move_date
        )
        if expected_difference is not None and difference != expected_difference:
            raise PriceChanged(
                _("The upgrade now costs %(amount)s: tell the guest and confirm again.")
                % {"amount": money(difference)},
                extra={"difference": str(difference)},
            )
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
            **(audit_data or {}),
        },
    )
    return difference


@dataclass(frozen=True)
class UpgradeSale:
    """What a POS upgrade sale did (the first one's, on a replay)."""

    reservation_room_id: int
    room_number: str
    difference: Decimal
    replayed: bool


def parse_difference(raw) -> Decimal | None:
    """The amount the confirm step showed (a form field), None when absent or not a number."""
    try:
        return Decimal(str(raw).strip()) if str(raw or "").strip() else None
    except InvalidOperation:
        return None


def room_upgrade_sell(
    *,
    reservation_room: ReservationRoom,
    room: Room,
    actor,
    key: str,
    expected_difference: Decimal | None,
    audit_data: dict | None = None,
) -> UpgradeSale:
    """A paid upgrade sold at a till: room_upgrade(paid=True), the difference posted to the
    folio, once per `key` (drawn when the confirm step was shown): a second tap or a re-posted
    form returns the first sale and writes nothing. One transaction with the key's claim, so a
    refused upgrade leaves the key free to try again.
    Raises: what room_upgrade raises; InvalidInput without a key."""
    key = (key or "").strip()
    if not key:
        raise InvalidInput(_("The form expired: open it again."))
    property_id = reservation_room.reservation.property_id
    scope = f"{SELL_SCOPE}:{property_id}:{getattr(actor, 'pk', '')}"
    with transaction.atomic():
        record_id = idempotency_claim(scope=scope, key=key)
        if record_id is None:
            first = upgrade_sale_result(property_id=property_id, actor=actor, key=key)
            if first is None:
                raise InvalidInput(_("This upgrade is already being saved."))
            return first
        difference = room_upgrade(
            reservation_room=reservation_room,
            room=room,
            paid=True,
            actor=actor,
            expected_difference=expected_difference,
            audit_data=audit_data,
        )
        sale = UpgradeSale(
            reservation_room_id=reservation_room.pk,
            room_number=room.number,
            difference=difference,
            replayed=False,
        )
        idempotency_store(
            record_id=record_id,
            response={
                "reservation_room": sale.reservation_room_id,
                "room": sale.room_number,
                "difference": str(difference),
            },
        )
    return sale


def upgrade_sale_result(*, property_id: int, actor, key: str) -> UpgradeSale | None:
    """The sale `actor` made with `key` at this property (the done screen, a replay), None
    when there is none."""
    first = idempotency_result(
        scope=f"{SELL_SCOPE}:{property_id}:{getattr(actor, 'pk', '')}", key=key
    )
    if not first or "difference" not in first:
        return None
    return UpgradeSale(
        reservation_room_id=first["reservation_room"],
        room_number=first["room"],
        difference=Decimal(first["difference"]),
        replayed=True,
    )
