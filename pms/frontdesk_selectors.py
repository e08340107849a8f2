"""Reads behind the front-desk screens (PMS-5): rooms ready for a check-in and the room grid.
Scoped to a property like every selector."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Q, QuerySet, Sum

from billing.models import Folio, Invoice
from core.models import Property
from core.money import ZERO
from inventory.models import CapacityPool, Channel, Product
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


def desk_extra_products(*, property: Property) -> list[Product]:
    """What the desk may post to a folio: active products that are neither a room (night
    pool) nor a timed slot, by category. One query."""
    return list(
        Product.objects.filter(property=property, is_active=True)
        .exclude(
            capacity_pool__kind__in=[CapacityPool.Kind.NIGHT, CapacityPool.Kind.SLOT],
        )
        .select_related("category")
        .order_by("category__sort_order", "category_id", "sort_order", "pk")
    )


def folio_documents(*, folio: Folio) -> list[Invoice]:
    """The folio's invoices and credit notes in issue order, each invoice with what is left
    to credit (`left_to_credit`). One query."""
    docs = list(
        Invoice.objects.filter(folio=folio)
        .select_related("original", "company")
        .annotate(credited=Sum("credit_notes__total", filter=Q(credit_notes__isnull=False)))
        .order_by("created_at", "pk")
    )
    for doc in docs:
        doc.left_to_credit = (
            doc.total + (doc.credited or ZERO) if doc.kind == Invoice.Kind.INVOICE else ZERO
        )
    return docs


@dataclass
class GridCell:
    kind: str = "free"  # free | booked | ota | ooo
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
            "reservation_room__reservation__channel",
            "reservation_room__reservation__notes",
        )
    )
    for room_id, a_start, a_end, reference, status, last_name, channel, notes in assignments:
        row = rows.get(room_id)
        if row is None:
            continue
        for i, day in enumerate(dates):
            if a_start <= day < a_end:
                row.cells[i] = GridCell(
                    # a stay imported from an OTA calendar (channels_sync) is a block: the
                    # feed says "not available", the notes say which channel
                    kind="ota" if channel == Channel.OTA else "booked",
                    reference=reference,
                    label=notes.split(":", 1)[0][:30]
                    if channel == Channel.OTA and ":" in notes
                    else last_name,
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
