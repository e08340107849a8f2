"""Rooms: creation, housekeeping, assignment and moves, out-of-order periods, capacity sync.

A room type's nights are sold from its inventory product's NIGHT pool, sized to the rooms in
service; taking a room out of order removes one unit per night through the capacity service.
"""

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.exceptions import InvalidInput, PermissionDenied
from inventory.exceptions import SoldOut
from inventory.models import CapacityBucket, CapacityPool
from inventory.services.capacity import capacity_adjust
from pms.exceptions import InvalidReservationState, RoomNotAvailable, RoomNotReady
from pms.lock_objects import reservation_for_update, rooms_for_update
from pms.models import (
    Reservation,
    ReservationRoom,
    Room,
    RoomAssignment,
    RoomOutOfOrder,
    RoomType,
)


def _pool_of(room_type: RoomType) -> CapacityPool:
    pool = room_type.product.capacity_pool
    if pool is None or pool.kind != CapacityPool.Kind.NIGHT:
        raise InvalidInput(
            _("The room type %(code)s is not sold as nights.") % {"code": room_type.code}
        )
    return pool


@transaction.atomic
def room_type_sync_capacity(*, room_type: RoomType) -> int:
    """Size the room type's night pool to its active rooms; returns the new capacity.

    Existing buckets from today on move by the same difference (through capacity_adjust, so
    removing a room whose nights are all sold is refused with SoldOut and nothing changes).
    Locks: the pool's buckets from the business date on.
    """
    pool = CapacityPool.objects.select_for_update().get(pk=_pool_of(room_type).pk)
    wanted = Room.objects.filter(room_type=room_type, is_active=True).count()
    delta = wanted - pool.default_capacity
    if delta == 0:
        return wanted
    today = room_type.property.business_date()
    last = CapacityBucket.objects.filter(pool=pool, day__gte=today).aggregate(m=Max("day"))["m"]
    if last is not None:
        # adjust before changing the default: missing buckets are created at the old size
        capacity_adjust(
            property=room_type.property,
            pool_id=pool.pk,
            start=today,
            end=date.fromordinal(last.toordinal() + 1),
            delta=delta,
        )
    pool.default_capacity = wanted
    pool.save(update_fields=["default_capacity", "updated_at"])
    return wanted


@transaction.atomic
def room_create(
    *, room_type: RoomType, number: str, floor: int = 0, features: str = "", actor=None
) -> Room:
    """Create a room in service and grow its type's capacity by one."""
    number = (number or "").strip()
    if not number:
        raise InvalidInput(_("A room needs a number."))
    if Room.objects.filter(property=room_type.property, number=number).exists():
        raise InvalidInput(_("Room %(number)s already exists.") % {"number": number})
    room = Room.objects.create(
        property=room_type.property,
        room_type=room_type,
        number=number,
        floor=floor,
        features=features,
    )
    room_type_sync_capacity(room_type=room_type)
    audit_log(action="pms.room.created", property=room.property, actor=actor, target=room)
    return room


@transaction.atomic
def room_set_active(*, room: Room, is_active: bool, actor=None) -> Room:
    """Put a room in or out of service for good; the type's capacity follows.
    Raises SoldOut when the remaining rooms could not host the nights already sold."""
    if room.is_active == is_active:
        return room
    room.is_active = is_active
    room.save(update_fields=["is_active", "updated_at"])
    room_type_sync_capacity(room_type=room.room_type)
    audit_log(
        action="pms.room.activated" if is_active else "pms.room.deactivated",
        property=room.property,
        actor=actor,
        target=room,
    )
    return room


@transaction.atomic
def room_housekeeping_set(*, room: Room, status: str, actor=None, may_inspect: bool = True) -> Room:
    """Record the housekeeping state of a room (clean, dirty, inspected), who set it and
    when: the desk's check-in offers a clean or inspected room from the next read on.
    `may_inspect` is the caller's right to mark a room inspected (a supervisor's).
    Raises InvalidInput (unknown status, a room out of service), PermissionDenied."""
    if status not in Room.Housekeeping.values:
        raise InvalidInput(_("Unknown housekeeping status."))
    if status == Room.Housekeeping.INSPECTED and not may_inspect:
        raise PermissionDenied(_("Only a supervisor may mark a room inspected."))
    room = rooms_for_update(room_ids=[room.pk])[0]
    if not room.is_active:
        raise InvalidInput(_("Room %(number)s is not in service.") % {"number": room.number})
    room.housekeeping_status = status
    room.housekeeping_changed_at = timezone.now()
    room.housekeeping_changed_by = actor if getattr(actor, "pk", None) else None
    room.save(
        update_fields=[
            "housekeeping_status",
            "housekeeping_changed_at",
            "housekeeping_changed_by",
            "updated_at",
        ]
    )
    audit_log(
        action="pms.room.housekeeping",
        property=room.property,
        actor=actor,
        target=room,
        data={"status": status},
    )
    return room


def _room_is_out_of_order(room: Room, start: date, end: date) -> bool:
    return RoomOutOfOrder.objects.filter(
        room=room, released_at__isnull=True, start__lt=end, end__gt=start
    ).exists()


def _overlapping(room: Room, start: date, end: date, exclude_pk=None):
    qs = RoomAssignment.objects.filter(
        room=room, released_at__isnull=True, start__lt=end, end__gt=start
    )
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs


def check_room_for(reservation_room: ReservationRoom, room: Room, start: date, end: date):
    reservation = reservation_room.reservation
    if room.property_id != reservation.property_id:
        raise InvalidInput(_("Unknown room."))
    if room.room_type_id != reservation_room.room_type_id:
        raise InvalidInput(
            _("Room %(number)s is not of the booked room type.") % {"number": room.number}
        )
    if not room.is_active:
        raise InvalidInput(_("Room %(number)s is not in service.") % {"number": room.number})
    if _room_is_out_of_order(room, start, end):
        raise RoomNotAvailable(
            _("Room %(number)s is out of order on these nights.") % {"number": room.number}
        )
    if _overlapping(room, start, end).exists():
        raise RoomNotAvailable(
            _("Room %(number)s is already taken for these nights.") % {"number": room.number}
        )


def assignment_create(
    *, reservation_room: ReservationRoom, room: Room, start: date, end: date
) -> RoomAssignment:
    """Insert the assignment; on PostgreSQL the exclusion constraint catches a concurrent
    assignment that slipped between our check and this insert."""
    try:
        with transaction.atomic():
            return RoomAssignment.objects.create(
                reservation_room=reservation_room, room=room, start=start, end=end
            )
    except IntegrityError:
        raise RoomNotAvailable(
            _("Room %(number)s is already taken for these nights.") % {"number": room.number}
        )


def live_assignment(reservation_room: ReservationRoom) -> RoomAssignment | None:
    return (
        RoomAssignment.objects.filter(reservation_room=reservation_room, released_at__isnull=True)
        .order_by("-start", "-pk")
        .first()
    )


def _ensure_assignable(reservation: Reservation, reservation_room: ReservationRoom) -> None:
    if reservation.status not in Reservation.ACTIVE_STATUSES or reservation_room.is_cancelled:
        raise InvalidReservationState(_("Only a live reservation can get a room."))


@transaction.atomic
def room_assign(*, reservation_room: ReservationRoom, room: Room, actor=None) -> RoomAssignment:
    """Give `room` to a reservation room for the whole stay [arrival, departure).

    Idempotent: assigning the room it already has returns the existing assignment.
    Locks: Reservation, then Room.
    Raises: InvalidInput (room of another type/property, not in service),
    RoomNotAvailable (409: overlapping assignment, out of order), InvalidReservationState.
    """
    reservation = reservation_for_update(reservation_id=reservation_room.reservation_id)
    reservation_room = ReservationRoom.objects.select_related("room_type").get(
        pk=reservation_room.pk
    )
    reservation_room.reservation = reservation
    _ensure_assignable(reservation, reservation_room)
    if room.property_id != reservation.property_id:
        raise InvalidInput(_("Unknown room."))
    room = rooms_for_update(room_ids=[room.pk])[0]
    current = live_assignment(reservation_room)
    if current is not None:
        if current.room_id == room.pk:
            return current
        raise InvalidReservationState(
            _("This reservation already has room %(number)s: move it instead.")
            % {"number": current.room.number}
        )
    check_room_for(reservation_room, room, reservation.arrival, reservation.departure)
    assignment = assignment_create(
        reservation_room=reservation_room,
        room=room,
        start=reservation.arrival,
        end=reservation.departure,
    )
    reservation_room.room = room
    reservation_room.save(update_fields=["room", "updated_at"])
    audit_log(
        action="pms.room.assigned",
        property=reservation.property,
        actor=actor,
        target=reservation,
        data={"reservation_room": reservation_room.pk, "room": room.number},
    )
    return assignment


@transaction.atomic
def room_move(
    *,
    reservation_room: ReservationRoom,
    room: Room,
    actor=None,
    move_date: date | None = None,
    require_ready: bool = False,
) -> RoomAssignment:
    """Move a reservation room to another room of the same type from `move_date` (default:
    today's business date, or the arrival if later) to the departure.

    The old assignment keeps the nights before the move (or is released if none); the old
    room becomes dirty when the guest was in house. `require_ready` (the front desk moving a
    guest in house) refuses a room that is not clean or inspected.
    Raises: as room_assign; InvalidInput if the move date is outside the stay; RoomNotReady.
    """
    reservation = reservation_for_update(reservation_id=reservation_room.reservation_id)
    reservation_room = ReservationRoom.objects.select_related("room_type").get(
        pk=reservation_room.pk
    )
    reservation_room.reservation = reservation
    _ensure_assignable(reservation, reservation_room)
    if room.property_id != reservation.property_id:
        raise InvalidInput(_("Unknown room."))
    current = live_assignment(reservation_room)
    if current is None:
        return room_assign(reservation_room=reservation_room, room=room, actor=actor)
    if current.room_id == room.pk:
        return current
    move_date = move_date or max(reservation.property.business_date(), reservation.arrival)
    if not (reservation.arrival <= move_date < reservation.departure):
        raise InvalidInput(_("The move date must be within the stay."))
    locked = rooms_for_update(room_ids=[current.room_id, room.pk])
    room = next(r for r in locked if r.pk == room.pk)
    old_room = next(r for r in locked if r.pk == current.room_id)
    check_room_for(reservation_room, room, move_date, reservation.departure)
    if require_ready and room.housekeeping_status not in (
        Room.Housekeeping.CLEAN,
        Room.Housekeeping.INSPECTED,
    ):
        raise RoomNotReady(_("Room %(number)s is not clean yet.") % {"number": room.number})
    if move_date <= current.start:
        current.released_at = timezone.now()
        current.save(update_fields=["released_at"])
    else:
        current.end = move_date
        current.save(update_fields=["end"])
    assignment = assignment_create(
        reservation_room=reservation_room, room=room, start=move_date, end=reservation.departure
    )
    reservation_room.room = room
    reservation_room.save(update_fields=["room", "updated_at"])
    if reservation.status == Reservation.Status.IN_HOUSE:
        old_room.housekeeping_status = Room.Housekeeping.DIRTY
        old_room.save(update_fields=["housekeeping_status", "updated_at"])
    audit_log(
        action="pms.room.moved",
        property=reservation.property,
        actor=actor,
        target=reservation,
        data={
            "reservation_room": reservation_room.pk,
            "from": old_room.number,
            "to": room.number,
            "date": str(move_date),
        },
    )
    return assignment


@transaction.atomic
def room_out_of_order(
    *, room: Room, start: date, end: date, reason: str, actor=None
) -> RoomOutOfOrder:
    """Take a room out of sale over [start, end): its type sells one unit less each night.

    Raises: InvalidInput (dates, reason), RoomNotAvailable when a guest is assigned to the
    room on those nights, SoldOut when every room of the type is already sold on one night.
    """
    if end <= start:
        raise InvalidInput(_("The end date must be after the start date."))
    if (end - start).days > 366:
        raise InvalidInput(_("An out-of-order period cannot exceed one year."))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Give a reason."))
    room = rooms_for_update(room_ids=[room.pk])[0]
    if not room.is_active:
        # a room out of service is already outside the capacity: one unit less would be wrong
        raise InvalidInput(_("Room %(number)s is not in service.") % {"number": room.number})
    if _room_is_out_of_order(room, start, end):
        raise InvalidInput(
            _("Room %(number)s is already out of order on these nights.") % {"number": room.number}
        )
    if _overlapping(room, start, end).exists():
        raise RoomNotAvailable(
            _("Room %(number)s is assigned to a guest on these nights: move the guest first.")
            % {"number": room.number}
        )
    pool = _pool_of(room.room_type)
    try:
        capacity_adjust(property=room.property, pool_id=pool.pk, start=start, end=end, delta=-1)
    except SoldOut as exc:
        raise SoldOut(
            _("Room %(number)s cannot be taken out of order: %(detail)s")
            % {"number": room.number, "detail": exc.message},
            extra=exc.extra,
        )
    period = RoomOutOfOrder.objects.create(
        room=room,
        start=start,
        end=end,
        reason=reason[:200],
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_log(
        action="pms.room.out_of_order",
        property=room.property,
        actor=actor,
        target=room,
        data={"start": str(start), "end": str(end), "reason": reason[:200]},
    )
    return period


@transaction.atomic
def room_back_in_service(*, out_of_order: RoomOutOfOrder, actor=None) -> RoomOutOfOrder:
    """End an out-of-order period: the nights return to sale. Idempotent."""
    period = RoomOutOfOrder.objects.select_for_update().get(pk=out_of_order.pk)
    if period.released_at is not None:
        return period
    room = Room.objects.select_related("room_type__product__capacity_pool", "property").get(
        pk=period.room_id
    )
    pool = _pool_of(room.room_type)
    capacity_adjust(
        property=room.property, pool_id=pool.pk, start=period.start, end=period.end, delta=1
    )
    period.released_at = timezone.now()
    period.save(update_fields=["released_at", "updated_at"])
    audit_log(
        action="pms.room.back_in_service",
        property=room.property,
        actor=actor,
        target=room,
        data={"start": str(period.start), "end": str(period.end)},
    )
    return period
