"""Reads behind the front-desk screens (PMS-5): rooms ready for a check-in and the room grid.
Scoped to a property like every selector."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import QuerySet

from core.models import Property
from pms.models import Reservation, ReservationRoom, Room, RoomAssignment, RoomOutOfOrder


def rooms_ready_for(*, reservation_room: ReservationRoom, start: date, end: date) -> QuerySet[Room]:
    """Clean or inspected rooms in service of the booked type, free and not out of order
    over [start, end) (the room already assigned to this stay counts as free)."""
    reservation = reservation_room.reservation
    taken = RoomAssignment.objects.filter(
        room__property_id=reservation.property_id,
        released_at__isnull=True,
        start__lt=end,
        end__gt=start,
    ).exclude(reservation_room=reservation_room)
    out_of_order = RoomOutOfOrder.objects.filter(
        room__property_id=reservation.property_id,
        released_at__isnull=True,
        start__lt=end,
        end__gt=start,
    )
    return (
        Room.objects.filter(
            property_id=reservation.property_id,
            room_type_id=reservation_room.room_type_id,
            is_active=True,
            housekeeping_status__in=[Room.Housekeeping.CLEAN, Room.Housekeeping.INSPECTED],
        )
        .exclude(pk__in=taken.values("room_id"))
        .exclude(pk__in=out_of_order.values("room_id"))
        .order_by("number")
    )


@dataclass
class GridCell:
    kind: str = "free"  # free | booked | ooo
    reference: str = ""
    label: str = ""
    status: str = ""
    starts: bool = False


@dataclass
class GridRow:
    room: Room
    cells: list[GridCell] = field(default_factory=list)


def room_grid(
    *, property: Property, start: date, days: int = 14
) -> tuple[list[date], list[GridRow]]:
    """Rooms × days from `start`: who occupies each room each night, and out-of-order nights.
    Three queries whatever the size of the hotel."""
    end = start + timedelta(days=days)
    dates = [start + timedelta(days=i) for i in range(days)]
    rooms = list(
        Room.objects.filter(property=property, is_active=True)
        .select_related("room_type")
        .order_by("room_type__sort_order", "number")
    )
    rows = {room.pk: GridRow(room=room, cells=[GridCell() for _ in dates]) for room in rooms}
    assignments = (
        RoomAssignment.objects.filter(
            room__property=property, released_at__isnull=True, start__lt=end, end__gt=start
        )
        .exclude(
            reservation_room__reservation__status__in=[
                Reservation.Status.CANCELLED,
                Reservation.Status.NO_SHOW,
            ]
        )
        .values_list(
            "room_id",
            "start",
            "end",
            "reservation_room__reservation__reference",
            "reservation_room__reservation__status",
            "reservation_room__reservation__guest__last_name",
        )
    )
    for room_id, a_start, a_end, reference, status, last_name in assignments:
        row = rows.get(room_id)
        if row is None:
            continue
        for i, day in enumerate(dates):
            if a_start <= day < a_end:
                row.cells[i] = GridCell(
                    kind="booked",
                    reference=reference,
                    label=last_name,
                    status=status,
                    starts=day == a_start or i == 0,
                )
    for room_id, o_start, o_end, reason in RoomOutOfOrder.objects.filter(
        room__property=property, released_at__isnull=True, start__lt=end, end__gt=start
    ).values_list("room_id", "start", "end", "reason"):
        row = rows.get(room_id)
        if row is None:
            continue
        for i, day in enumerate(dates):
            if o_start <= day < o_end:
                row.cells[i] = GridCell(kind="ooo", label=reason)
    return dates, list(rows.values())
