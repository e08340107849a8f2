"""Reservations (PMS-1..4): create, modify, cancel, no-show.

Every operation is one transaction: validation, restrictions, the quote, the capacity of each
room night and extra, the folio and the audit row commit together or not at all. A sold-out
night raises inventory's SoldOut (409) and nothing is written.
"""

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from billing.services.folios import ChargeInput, folio_open, folio_post_charges
from core.audit import audit_log
from core.exceptions import InvalidInput, PermissionDenied
from core.models import Membership, Property
from core.money import ZERO, quantize
from core.roles import role_has
from crm.models import Company, Guest
from crm.services import guest_create
from inventory.models import CapacityPool, Channel, Product, RevenueCategory
from inventory.services.capacity import (
    CapacityNeed,
    capacity_consume,
    capacity_consume_many,
    capacity_release,
)
from inventory.services.pricing import QuotedLine, QuoteLineInput, promotions_consume, quote
from pms.exceptions import InvalidReservationState, RestrictionViolated
from pms.lock_objects import reservation_for_update
from pms.models import (
    Reservation,
    ReservationExtra,
    ReservationRoom,
    Restriction,
    RoomAssignment,
    RoomType,
)
from pms.services.policies import (
    arrival_moment,
    cancellation_fee,
    policy_snapshot,
    rate_plan_by_code,
)
from pms.services.rooms import assignment_create, check_room_for, live_assignment
from webhooks.services import webhook_emit

MAX_ROOMS = 20
MAX_NIGHTS = 90
REFERENCE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"


@dataclass(frozen=True)
class RoomRequest:
    """One room of a booking: its type and occupants."""

    room_type_id: int
    adults: int = 2
    children: int = 0
    guest_name: str = ""  # the rooming list's name for this room (a group's, later)


@dataclass(frozen=True)
class ExtraRequest:
    """Something booked with the stay: `quantity` of `product_id` on `day` (at `slot_time`
    for a timed slot such as a massage)."""

    product_id: int
    quantity: int = 1
    day: date | None = None
    slot_time: time | None = None


# --- validation -----------------------------------------------------------------------------


def _validate_dates(
    *, property: Property, arrival: date, departure: date, channel: str, allow_past: bool
) -> None:
    if not isinstance(arrival, date) or not isinstance(departure, date):
        raise InvalidInput(_("Arrival and departure dates are required."))
    if departure <= arrival:
        raise InvalidInput(
            _("The departure must be after the arrival."), extra={"field": "departure"}
        )
    if (departure - arrival).days > MAX_NIGHTS:
        raise InvalidInput(
            _("A stay cannot exceed %(n)s nights.") % {"n": MAX_NIGHTS},
            extra={"field": "departure"},
        )
    # an OTA may send a booking for a guest already arrived; our own channels may not
    if not allow_past and channel != Channel.OTA and arrival < property.business_date():
        raise InvalidInput(_("The arrival date is in the past."), extra={"field": "arrival"})


def _room_types_for(property: Property, rooms: Sequence[RoomRequest]) -> dict[int, RoomType]:
    if not rooms:
        raise InvalidInput(_("Book at least one room."), extra={"field": "rooms"})
    if len(rooms) > MAX_ROOMS:
        raise InvalidInput(_("At most %(n)s rooms per reservation.") % {"n": MAX_ROOMS})
    ids = {r.room_type_id for r in rooms}
    types = {
        t.pk: t
        for t in RoomType.objects.filter(property=property, pk__in=ids).select_related(
            "product__capacity_pool"
        )
    }
    if set(types) != ids:
        raise InvalidInput(_("Unknown room type."), extra={"field": "rooms"})
    for request in rooms:
        room_type = types[request.room_type_id]
        pool = room_type.product.capacity_pool
        if pool is None or pool.kind != CapacityPool.Kind.NIGHT:
            raise InvalidInput(
                _("The room type %(code)s is not sold as nights.") % {"code": room_type.code}
            )
        if request.adults < 1:
            raise InvalidInput(
                _("Each room needs at least one adult."), extra={"field": "rooms.adults"}
            )
        if request.children < 0:
            raise InvalidInput(_("The number of children cannot be negative."))
        if request.adults + request.children > room_type.max_occupancy:
            raise InvalidInput(
                _("A %(name)s sleeps at most %(max)s people.")
                % {"name": room_type.name, "max": room_type.max_occupancy},
                extra={"field": "rooms", "max_occupancy": room_type.max_occupancy},
            )
    return types


def _check_restrictions(
    *, property: Property, room_type_ids: set[int], arrival: date, departure: date
) -> None:
    """PMS-4: minimum stay (read on the arrival day), closed to arrival, closed to departure.
    A restriction without room type applies to every type."""
    nights = (departure - arrival).days
    rows = Restriction.objects.filter(
        Q(room_type__isnull=True) | Q(room_type_id__in=room_type_ids),
        property=property,
        day__in=[arrival, departure],
    ).select_related("room_type")
    for row in rows:
        if row.day == arrival and row.closed_to_arrival:
            raise RestrictionViolated(
                _("No arrivals on %(day)s.") % {"day": f"{arrival:%d/%m/%Y}"},
                extra={"restriction": "closed_to_arrival", "day": str(arrival)},
            )
        if row.day == departure and row.closed_to_departure:
            raise RestrictionViolated(
                _("No departures on %(day)s.") % {"day": f"{departure:%d/%m/%Y}"},
                extra={"restriction": "closed_to_departure", "day": str(departure)},
            )
        if row.day == arrival and row.min_stay and nights < row.min_stay:
            raise RestrictionViolated(
                _("Arriving on %(day)s, the minimum stay is %(n)s nights.")
                % {"day": f"{arrival:%d/%m/%Y}", "n": row.min_stay},
                extra={"restriction": "min_stay", "day": str(arrival), "min_stay": row.min_stay},
            )


def _extra_products(
    property: Property, extras: Sequence[ExtraRequest], arrival: date, departure: date
) -> dict[int, Product]:
    if not extras:
        return {}
    ids = {e.product_id for e in extras}
    products = {
        p.pk: p
        for p in Product.objects.filter(
            property=property, pk__in=ids, is_active=True
        ).select_related("capacity_pool")
    }
    if set(products) != ids:
        raise InvalidInput(_("Unknown extra."), extra={"field": "extras"})
    for extra in extras:
        product = products[extra.product_id]
        if product.capacity_pool and product.capacity_pool.kind == CapacityPool.Kind.NIGHT:
            raise InvalidInput(_("Book rooms as rooms, not as extras."))
        if not isinstance(extra.quantity, int) or extra.quantity < 1 or extra.quantity > 100:
            raise InvalidInput(
                _("The quantity of %(name)s must be between 1 and 100.") % {"name": product.name}
            )
        if extra.day is None or not (arrival <= extra.day <= departure):
            raise InvalidInput(
                _("%(name)s must be booked for a day of the stay.") % {"name": product.name},
                extra={"field": "extras.day"},
            )
    return products


def _rate_plan_ids(company: Company | None) -> list[int]:
    if company is None:
        return []
    return list(company.rate_plans.values_list("pk", flat=True))


def _rate_plan_code(applied_rule: str) -> str:
    match = re.search(r"rate:([\w-]+)", applied_rule)
    return match.group(1) if match else ""


def _reference(property: Property) -> str:
    """A short human reference, unique per property (the constraint is the backstop)."""
    prefix = "".join(w[0] for w in property.slug.split("-") if w)[:3].upper() or "R"
    for _attempt in range(10):
        code = prefix + "".join(secrets.choice(REFERENCE_ALPHABET) for _i in range(6))
        if not Reservation.objects.filter(property=property, reference=code).exists():
            return code
    raise RuntimeError("could not allocate a reservation reference")


def _quote_stay(
    *,
    property: Property,
    channel: str,
    company: Company | None,
    types: dict[int, RoomType],
    rooms: Sequence[RoomRequest],
    arrival: date,
    departure: date,
    extras: Sequence[ExtraRequest] = (),
    rate_plan_id: int | None = None,
):
    lines = [
        QuoteLineInput(
            product_id=types[r.room_type_id].product_id,
            quantity=Decimal(1),
            start=arrival,
            end=departure,
        )
        for r in rooms
    ] + [
        QuoteLineInput(
            product_id=e.product_id,
            quantity=Decimal(e.quantity),
            start=e.day,
            slot_time=e.slot_time,
        )
        for e in extras
    ]
    return quote(
        property=property,
        channel=channel,
        lines=lines,
        rate_plan_ids=_rate_plan_ids(company),
        only_rate_plan_id=rate_plan_id,
    )


def _apply_room_quote(room: ReservationRoom, line: QuotedLine) -> None:
    room.price_total = line.total
    room.discount = line.discount
    room.applied_rule = line.applied_rule
    room.rate_plan_code = _rate_plan_code(line.applied_rule)
    room.vat_rate = line.vat_rate
    room.nightly_prices = {str(d): str(p) for d, p in line.nightly}


def _consume_rooms(
    reservation: Reservation, rooms: Sequence[ReservationRoom], hold_until=None
) -> None:
    """Every room's nights in one capacity call (one lock, one insert), each room under
    its own reference so that it can be released alone."""
    pools = {
        r.room_type.product.capacity_pool_id: r.room_type.product.capacity_pool
        for r in rooms
        if "capacity_pool" in r.room_type.product._state.fields_cache
    }
    capacity_consume_many(
        property=reservation.property,
        parts=[
            (
                room.capacity_reference,
                [
                    CapacityNeed(
                        pool_id=room.room_type.product.capacity_pool_id,
                        quantity=1,
                        day=reservation.arrival,
                        until=reservation.departure,
                    )
                ],
            )
            for room in rooms
        ],
        channel=reservation.channel,
        hold_until=hold_until,
        pools=pools or None,
    )


def _policy_for(property: Property, rooms: Sequence[ReservationRoom]) -> dict:
    """The terms of the plan the first room is sold in (a booking has one set of terms)."""
    code = next((r.rate_plan_code for r in rooms if r.rate_plan_code), "")
    return policy_snapshot(rate_plan_by_code(property=property, code=code))


# --- services -------------------------------------------------------------------------------


def reservation_webhook(reservation: Reservation, event: str) -> None:
    """Tell the property's webhook subscribers (in this transaction: sent if it commits).
    The payload (version 1) is documented in webhooks.schema."""
    webhook_emit(
        property=reservation.property,
        event=event,
        data=lambda: {
            "id": reservation.public_id,
            "reference": reservation.reference,
            "status": reservation.status,
            "channel": reservation.channel,
            "external_reference": reservation.external_reference,
            "arrival": reservation.arrival,
            "departure": reservation.departure,
            "adults": reservation.adults,
            "children": reservation.children,
            "total_price": reservation.total_price,
            "currency": reservation.property.currency,
            "guest_id": reservation.guest.public_id,
        },
    )


@transaction.atomic
def reservation_create(
    *,
    property: Property,
    guest: Guest,
    arrival: date,
    departure: date,
    rooms: Sequence[RoomRequest],
    channel: str,
    actor=None,
    company: Company | None = None,
    extras: Sequence[ExtraRequest] = (),
    status: str = Reservation.Status.CONFIRMED,
    hold_until: datetime | None = None,
    external_reference: str = "",
    notes: str = "",
    allow_past: bool = False,
    rate_plan_id: int | None = None,
    guarantee_note: str = "",
    group_name: str = "",
) -> Reservation:
    """Book rooms (and extras) for a guest through any channel.

    `rate_plan_id` sells that plan (the desk's choice; InvalidInput when the caller may not
    sell it), else the best plan the channel and the company allow. The plan's guarantee and
    cancellation terms are kept on the reservation (`policy`).

    `allow_past` lets imports and the demo record stays that began before today's business
    date; the API never sets it. `hold_until` holds the capacity until then (booking engine).
    Locks: the CapacityBuckets of every night and extra (inventory), capped Promotions.
    Raises: InvalidInput (422: dates, occupancy, unknown room type or extra),
    RestrictionViolated (422: min stay, closed to arrival/departure), SoldOut / ClosedForSale
    (409), OfferExhausted (409). On any error nothing is written.
    """
    if channel not in Channel.values:
        raise InvalidInput(_("Unknown channel."), extra={"field": "channel"})
    if status not in (Reservation.Status.CONFIRMED, Reservation.Status.OPTION):
        raise InvalidInput(_("A new reservation is confirmed or an option."))
    if guest.organization_id != property.organization_id:
        raise InvalidInput(_("Unknown guest."))
    if company is not None and company.organization_id != property.organization_id:
        raise InvalidInput(_("Unknown company."))
    _validate_dates(
        property=property,
        arrival=arrival,
        departure=departure,
        channel=channel,
        allow_past=allow_past,
    )
    types = _room_types_for(property, rooms)
    _check_restrictions(
        property=property, room_type_ids=set(types), arrival=arrival, departure=departure
    )
    products = _extra_products(property, extras, arrival, departure)
    priced = _quote_stay(
        property=property,
        channel=channel,
        company=company,
        types=types,
        rooms=rooms,
        arrival=arrival,
        departure=departure,
        extras=extras,
        rate_plan_id=rate_plan_id,
    )
    room_lines, extra_lines = priced.lines[: len(rooms)], priced.lines[len(rooms) :]

    reservation = Reservation.objects.create(
        property=property,
        reference=_reference(property),
        guest=guest,
        company=company,
        status=status,
        channel=channel,
        external_reference=(external_reference or "")[:100],
        arrival=arrival,
        departure=departure,
        adults=sum(r.adults for r in rooms),
        children=sum(r.children for r in rooms),
        notes=notes or "",
        total_price=quantize(priced.total, property.currency),
        option_expires_at=hold_until,
        created_by=actor if getattr(actor, "pk", None) else None,
        guarantee_note=(guarantee_note or "").strip()[:200],
        group_name=(group_name or "").strip()[:100],
    )
    booked = []
    for request, line in zip(rooms, room_lines, strict=True):
        room = ReservationRoom(
            reservation=reservation,
            room_type=types[request.room_type_id],
            adults=request.adults,
            children=request.children,
            guest_name=(request.guest_name or "").strip()[:200],
        )
        _apply_room_quote(room, line)
        booked.append(room)
    # one INSERT and one capacity call, whatever the number of rooms
    booked = ReservationRoom.objects.bulk_create(booked)
    _consume_rooms(reservation, booked, hold_until)
    reservation.policy = _policy_for(property, booked)
    for request, line in zip(extras, extra_lines, strict=True):
        product = products[request.product_id]
        extra = ReservationExtra.objects.create(
            reservation=reservation,
            product=product,
            description=line.description,
            quantity=request.quantity,
            day=request.day,
            slot_time=request.slot_time,
            unit_price=line.unit_price,
            total=line.total,
            discount=line.discount,
            vat_rate=line.vat_rate,
            revenue_category=line.revenue_category,
            applied_rule=line.applied_rule,
        )
        if product.capacity_pool_id:
            capacity_consume(
                property=property,
                needs=[
                    CapacityNeed(
                        pool_id=product.capacity_pool_id,
                        quantity=request.quantity,
                        day=request.day,
                        slot_time=request.slot_time,
                    )
                ],
                channel=channel,
                reference=extra.capacity_reference,
                hold_until=hold_until,
            )
    promotions_consume(quote=priced)
    reservation.folio = folio_open(
        property=property,
        holder_name=str(guest) or guest.last_name,
        guest=guest,
        company=company,
    )
    reservation.save(update_fields=["folio", "policy", "updated_at"])
    audit_log(
        action="pms.reservation.created",
        property=property,
        actor=actor,
        target=reservation,
        channel=channel,
        data={
            "reference": reservation.reference,
            "arrival": str(arrival),
            "departure": str(departure),
            "rooms": len(rooms),
            "total": str(reservation.total_price),
        },
    )
    reservation_webhook(reservation, "reservation.created")
    return reservation


def reservation_create_for_guest(
    *,
    property: Property,
    guest: dict,
    arrival: date,
    departure: date,
    rooms: Sequence[RoomRequest],
    channel: str,
    actor=None,
    extras: Sequence[ExtraRequest] = (),
    external_reference: str = "",
    notes: str = "",
) -> Reservation:
    """The guest (`guest`: guest_create's first_name, last_name, email, phone, language; the
    organisation's guest with the same e-mail when there is one) and their booking, billed to
    the guest's company if any, in one transaction: a refused booking leaves no guest behind.
    Raises: what guest_create and reservation_create raise."""
    with transaction.atomic():
        person = guest_create(organization=property.organization, actor=actor, **guest)
        return reservation_create(
            property=property,
            guest=person,
            arrival=arrival,
            departure=departure,
            rooms=rooms,
            extras=extras,
            channel=channel,
            actor=actor,
            company=person.company,
            external_reference=external_reference,
            notes=notes,
        )


def _live_rooms(reservation: Reservation) -> list[ReservationRoom]:
    return list(
        reservation.rooms.filter(is_cancelled=False)
        .select_related("room_type__product")
        .order_by("pk")
    )


def _release_assignments(rooms: Sequence[ReservationRoom]) -> None:
    RoomAssignment.objects.filter(
        reservation_room__in=list(rooms), released_at__isnull=True
    ).update(released_at=timezone.now())


def _current_plan_id(reservation: Reservation) -> int | None:
    """The plan the booking was sold in, kept when it is re-priced (None: the best one)."""
    plan = rate_plan_by_code(
        property=reservation.property, code=(reservation.policy or {}).get("rate_plan", "")
    )
    return plan.pk if plan else None


@dataclass(frozen=True)
class Requote:
    """A change priced before it is saved: the desk shows the difference."""

    before: Decimal
    after: Decimal
    lines: list

    @property
    def difference(self) -> Decimal:
        return self.after - self.before


def reservation_requote(
    *,
    reservation: Reservation,
    arrival: date | None = None,
    departure: date | None = None,
    rooms: Sequence[RoomRequest] | None = None,
    rate_plan_id: int | None = None,
) -> Requote:
    """The price `reservation_modify` would set, without writing anything (the same
    validation and the same quote). Raises what reservation_modify raises before it writes,
    but SoldOut (capacity is only checked when saving)."""
    property = reservation.property
    if reservation.status not in Reservation.ACTIVE_STATUSES:
        raise InvalidReservationState()
    new_arrival = arrival or reservation.arrival
    new_departure = departure or reservation.departure
    if reservation.status == Reservation.Status.IN_HOUSE and new_arrival != reservation.arrival:
        raise InvalidReservationState(_("The guest is in house: only the departure can change."))
    _validate_dates(
        property=property,
        arrival=new_arrival,
        departure=new_departure,
        channel=reservation.channel,
        allow_past=new_arrival == reservation.arrival,
    )
    current = _live_rooms(reservation)
    if rooms is None:
        rooms = [RoomRequest(r.room_type_id, r.adults, r.children) for r in current]
    types = _room_types_for(property, rooms)
    if (new_arrival, new_departure) != (reservation.arrival, reservation.departure):
        _check_restrictions(
            property=property,
            room_type_ids=set(types),
            arrival=new_arrival,
            departure=new_departure,
        )
    priced = _quote_stay(
        property=property,
        channel=reservation.channel,
        company=reservation.company,
        types=types,
        rooms=rooms,
        arrival=new_arrival,
        departure=new_departure,
        rate_plan_id=rate_plan_id if rate_plan_id is not None else _current_plan_id(reservation),
    )
    extras_total = sum((e.total for e in reservation.extras.filter(is_cancelled=False)), ZERO)
    return Requote(
        before=reservation.total_price,
        after=quantize(priced.total + extras_total, property.currency),
        lines=priced.lines,
    )


@transaction.atomic
def reservation_modify(
    *,
    reservation: Reservation,
    actor=None,
    arrival: date | None = None,
    departure: date | None = None,
    rooms: Sequence[RoomRequest] | None = None,
    rate_plan_id: int | None = None,
) -> Reservation:
    """Change the dates, the rooms and/or the rate plan of a live reservation, re-pricing it
    (`reservation_requote` shows the new price first). Another plan brings its terms.

    The old capacity is released and the new one consumed in one transaction: if the new
    dates are sold out the reservation, its rooms and its capacity stay exactly as before.
    `rooms` replaces the room list: a room keeping its type keeps its row and its room
    assignment (moved to the new dates when the room is free); the others are cancelled.
    An in-house stay may change its departure only.
    Locks: Reservation, then the CapacityBuckets (inventory).
    Raises: InvalidReservationState, InvalidInput, RestrictionViolated, SoldOut,
    RoomNotAvailable (the assigned room is taken on the new nights).
    """
    reservation = reservation_for_update(reservation_id=reservation.pk)
    property = reservation.property
    if reservation.status not in Reservation.ACTIVE_STATUSES:
        raise InvalidReservationState()
    new_arrival = arrival or reservation.arrival
    new_departure = departure or reservation.departure
    in_house = reservation.status == Reservation.Status.IN_HOUSE
    if in_house and new_arrival != reservation.arrival:
        raise InvalidReservationState(_("The guest is in house: only the departure can change."))
    dates_changed = (new_arrival, new_departure) != (reservation.arrival, reservation.departure)
    _validate_dates(
        property=property,
        arrival=new_arrival,
        departure=new_departure,
        channel=reservation.channel,
        allow_past=new_arrival == reservation.arrival,
    )
    if in_house and new_departure <= property.business_date():
        raise InvalidInput(_("The departure cannot be before today."))
    current = _live_rooms(reservation)
    if rooms is None:
        rooms = [RoomRequest(r.room_type_id, r.adults, r.children) for r in current]
    plan_changed = rate_plan_id is not None and rate_plan_id != _current_plan_id(reservation)
    if rate_plan_id is None:
        rate_plan_id = _current_plan_id(reservation)
    types = _room_types_for(property, rooms)
    if dates_changed:
        _check_restrictions(
            property=property,
            room_type_ids=set(types),
            arrival=new_arrival,
            departure=new_departure,
        )
    priced = _quote_stay(
        property=property,
        channel=reservation.channel,
        company=reservation.company,
        types=types,
        rooms=rooms,
        arrival=new_arrival,
        departure=new_departure,
        rate_plan_id=rate_plan_id,
    )
    before = {
        "arrival": str(reservation.arrival),
        "departure": str(reservation.departure),
        "rooms": [[r.room_type.code, r.adults, r.children] for r in current],
        "total": str(reservation.total_price),
    }
    for room in current:
        capacity_release(property=property, reference=room.capacity_reference)

    reservation.arrival, reservation.departure = new_arrival, new_departure
    hold_until = reservation.option_expires_at if reservation.status == "option" else None
    kept: list[ReservationRoom] = []
    unused = list(current)
    for request, line in zip(rooms, priced.lines, strict=True):
        # a room keeping its type keeps its row (and its room assignment)
        room = next((r for r in unused if r.room_type_id == request.room_type_id), None)
        if room is None:
            room = ReservationRoom(reservation=reservation)
        else:
            unused.remove(room)
        room.room_type = types[request.room_type_id]
        room.adults, room.children = request.adults, request.children
        _apply_room_quote(room, line)
        if request.guest_name:
            room.guest_name = request.guest_name.strip()[:200]
        room.save()
        kept.append(room)
    _consume_rooms(reservation, kept, hold_until)
    for room in unused:
        room.is_cancelled = True
        room.room = None
        room.save(update_fields=["is_cancelled", "room", "updated_at"])
        _release_assignments([room])

    if dates_changed:
        for room in kept:
            assignment = live_assignment(room) if room.pk else None
            if assignment is None:
                continue
            assignment.released_at = timezone.now()
            assignment.save(update_fields=["released_at"])
            room.reservation = reservation
            check_room_for(room, assignment.room, new_arrival, new_departure)
            assignment_create(
                reservation_room=room, room=assignment.room, start=new_arrival, end=new_departure
            )
    promotions_consume(quote=priced)
    extras_total = sum(
        (e.total for e in reservation.extras.filter(is_cancelled=False)),
        ZERO,
    )
    reservation.adults = sum(r.adults for r in rooms)
    reservation.children = sum(r.children for r in rooms)
    reservation.total_price = quantize(
        sum((r.price_total for r in kept), ZERO) + extras_total, property.currency
    )
    reservation.__dict__.pop("nights", None)
    if plan_changed or not reservation.policy:
        reservation.policy = _policy_for(property, kept)
    reservation.save(
        update_fields=[
            "arrival",
            "departure",
            "adults",
            "children",
            "total_price",
            "policy",
            "updated_at",
        ]
    )
    audit_log(
        action="pms.reservation.modified",
        property=property,
        actor=actor,
        target=reservation,
        data={
            "before": before,
            "after": {
                "arrival": str(new_arrival),
                "departure": str(new_departure),
                "rooms": [[r.room_type.code, r.adults, r.children] for r in kept],
                "total": str(reservation.total_price),
            },
        },
    )
    reservation_webhook(reservation, "reservation.changed")
    return reservation


def _release_all(reservation: Reservation) -> int:
    released = 0
    for room in reservation.rooms.all():
        released += capacity_release(
            property=reservation.property, reference=room.capacity_reference
        )
    for extra in reservation.extras.all():
        released += capacity_release(
            property=reservation.property, reference=extra.capacity_reference
        )
    _release_assignments(list(reservation.rooms.all()))
    return released


def _fee_source(reservation: Reservation, kind: str) -> str:
    return f"pms.{kind}_fee:{reservation.pk}"


def _post_fee(reservation: Reservation, *, kind: str, amount: Decimal, actor) -> None:
    """The cancellation or no-show fee on the stay's folio, as accommodation at the rooms'
    VAT rate, once (the line's source makes a retry post nothing)."""
    if amount <= ZERO or reservation.folio_id is None:
        return
    rooms = list(reservation.rooms.all())
    vat_rate = rooms[0].vat_rate if rooms else ZERO
    # the property's language: the no-show fee is posted by the night audit's worker
    with translation.override(reservation.property.default_language):
        label = _("Cancellation fee") if kind == "cancellation" else _("No-show fee")
    folio_post_charges(
        folio=reservation.folio,
        charges=[
            ChargeInput(
                description=f"{label} {reservation.reference}",
                quantity=Decimal(1),
                unit_price=amount,
                total=amount,
                vat_rate=vat_rate,
                revenue_category=RevenueCategory.ACCOMMODATION,
                service_date=reservation.property.business_date(),
                source=_fee_source(reservation, kind),
            )
        ],
        actor=actor,
    )


def _check_waiver(reservation: Reservation, approver, reason: str) -> str:
    """A fee is waived by a manager of the property (signed in, or by PIN at the desk),
    with a reason."""
    reason = " ".join((reason or "").split())[:500]
    membership = (
        Membership.objects.filter(
            property=reservation.property, user_id=getattr(approver, "pk", None), is_active=True
        ).first()
        if approver is not None
        else None
    )
    if membership is None or not role_has(membership.role, "manage"):
        raise PermissionDenied(_("Only a manager can waive the fee."))
    if not reason:
        raise InvalidInput(_("Give the reason for waiving the fee."), extra={"field": "reason"})
    return reason


@transaction.atomic
def reservation_cancel(
    *,
    reservation: Reservation,
    actor=None,
    reason: str = "",
    at: datetime | None = None,
    waived_by=None,
    waiver_reason: str = "",
) -> Reservation:
    """Cancel a confirmed reservation or an option: every night and extra returns to sale,
    and the rate plan's cancellation fee (pms.services.policies, at `at`, now by default) is
    posted to the folio — unless a manager (`waived_by`) waives it with a reason.

    Idempotent: cancelling a cancelled reservation returns it unchanged.
    Locks: Reservation, then the CapacityBuckets.
    Raises: InvalidReservationState once the guest is in house or gone; PermissionDenied
    (a waiver by someone who is not a manager), InvalidInput (a waiver without reason).
    """
    reservation = reservation_for_update(reservation_id=reservation.pk)
    if reservation.status == Reservation.Status.CANCELLED:
        return reservation
    if reservation.status not in (Reservation.Status.OPTION, Reservation.Status.CONFIRMED):
        raise InvalidReservationState(
            _("Only a confirmed reservation or an option can be cancelled.")
        )
    fee = cancellation_fee(reservation, at or timezone.now())
    waived = ""
    if fee > ZERO and waived_by is not None:
        waived = _check_waiver(reservation, waived_by, waiver_reason)
    released = _release_all(reservation)
    reservation.status = Reservation.Status.CANCELLED
    reservation.cancelled_at = timezone.now()
    reservation.save(update_fields=["status", "cancelled_at", "updated_at"])
    if not waived:
        _post_fee(reservation, kind="cancellation", amount=fee, actor=actor)
    audit_log(
        action="pms.reservation.cancelled",
        property=reservation.property,
        actor=actor,
        target=reservation,
        data={
            "reason": (reason or "")[:500],
            "units_released": released,
            "fee": str(fee),
            "fee_waived": bool(waived),
            "waived_by": getattr(waived_by, "pk", None) if waived else None,
            "waiver_reason": waived,
        },
    )
    reservation_webhook(reservation, "reservation.cancelled")
    return reservation


@transaction.atomic
def reservation_mark_no_show(
    *, reservation: Reservation, actor=None, waived_by=None, waiver_reason: str = ""
) -> Reservation:
    """The guest never came: the rooms return to sale and the plan's fee for a late
    cancellation is posted (unless a manager waives it). Only from the arrival business
    date. Idempotent."""
    reservation = reservation_for_update(reservation_id=reservation.pk)
    if reservation.status == Reservation.Status.NO_SHOW:
        return reservation
    if reservation.status not in (Reservation.Status.OPTION, Reservation.Status.CONFIRMED):
        raise InvalidReservationState(_("Only an expected arrival can be a no-show."))
    if reservation.property.business_date() < reservation.arrival:
        raise InvalidReservationState(_("The guest is not due yet."))
    fee = cancellation_fee(reservation, arrival_moment(reservation))
    waived = ""
    if fee > ZERO and waived_by is not None:
        waived = _check_waiver(reservation, waived_by, waiver_reason)
    released = _release_all(reservation)
    reservation.status = Reservation.Status.NO_SHOW
    reservation.save(update_fields=["status", "updated_at"])
    if not waived:
        _post_fee(reservation, kind="no_show", amount=fee, actor=actor)
    audit_log(
        action="pms.reservation.no_show",
        property=reservation.property,
        actor=actor,
        target=reservation,
        data={"units_released": released, "fee": str(fee), "fee_waived": bool(waived)},
    )
    reservation_webhook(reservation, "reservation.no_show")
    return reservation


def no_shows_mark(*, property: Property, business_date: date, actor=None) -> int:
    """Night audit: every booking due on or before `business_date` (the day that just
    ended) and still expected becomes a no-show, its fee posted. Each in its own
    transaction; idempotent (a no-show is not marked twice)."""
    due = list(
        Reservation.objects.filter(
            property=property,
            status__in=(Reservation.Status.OPTION, Reservation.Status.CONFIRMED),
            arrival__lte=business_date,
        ).order_by("pk")
    )
    for reservation in due:
        reservation_mark_no_show(reservation=reservation, actor=actor)
    return len(due)


@transaction.atomic
def reservation_rooming_list_set(
    *, reservation: Reservation, names: dict[int, str], actor=None
) -> Reservation:
    """Name who sleeps in each room (a group's rooming list, filled in when it arrives).
    `names`: {reservation room id: name}; other rooms keep theirs."""
    reservation = reservation_for_update(reservation_id=reservation.pk)
    if reservation.status not in Reservation.ACTIVE_STATUSES:
        raise InvalidReservationState()
    rooms = {r.pk: r for r in reservation.rooms.filter(is_cancelled=False)}
    if set(names) - set(rooms):
        raise InvalidInput(_("Unknown room."))
    changed = []
    for pk, name in names.items():
        name = " ".join((name or "").split())[:200]
        if rooms[pk].guest_name != name:
            rooms[pk].guest_name = name
            changed.append(rooms[pk])
    if changed:
        ReservationRoom.objects.bulk_update(changed, ["guest_name"])
        audit_log(
            action="pms.reservation.rooming_list",
            property=reservation.property,
            actor=actor,
            target=reservation,
            data={"rooms": {str(r.pk): r.guest_name for r in changed}},
        )
    return reservation
