"""Reads of the PMS, scoped to a property."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import F, Prefetch, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from billing.models import Folio, FolioLine, Invoice
from core.exceptions import NotFound
from core.models import Property
from core.money import ZERO
from inventory.models import CapacityPool, Channel, Product
from inventory.selectors import pools_availability
from inventory.services.pricing import QuoteLineInput, quote
from pms.models import (
    Reservation,
    ReservationExtra,
    ReservationRoom,
    Room,
    RoomAssignment,
    RoomOutOfOrder,
    RoomType,
)


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


def last_stay_in_room(*, property: Property, room_number: str) -> ReservationRoom | None:
    """The stay that last checked out of room `room_number` (an offline room charge made
    while its guest was leaving is posted to that stay's folio)."""
    return (
        ReservationRoom.objects.filter(
            reservation__property=property,
            reservation__status=Reservation.Status.CHECKED_OUT,
            room__number=room_number,
            is_cancelled=False,
        )
        .exclude(reservation__folio=None)
        .select_related("reservation", "reservation__folio", "reservation__guest", "room")
        .order_by("-reservation__departure", "-pk")
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


# The front-desk screens (PMS-5): rooms ready for a check-in, extras, a folio's documents and
# the room grid.


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


# Housekeeping (PMS-9): the rooms by floor with what happens in each today.

HOUSEKEEPING_FILTERS = ("departures", "stayovers", "arrivals")


@dataclass
class HousekeepingRoom:
    room: Room
    state: str  # dirty | clean | inspected | out_of_order | out_of_service
    departure: bool = False
    stayover: bool = False
    arrival: bool = False
    out_of_order: RoomOutOfOrder | None = None
    periods: list[RoomOutOfOrder] = field(default_factory=list)

    @property
    def changed_by(self) -> str:
        """Who set the status last ("" when the system did, e.g. a check-out)."""
        user = self.room.housekeeping_changed_by
        return (user.get_full_name() or user.username) if user is not None else ""


@dataclass
class HousekeepingFloor:
    floor: int
    rooms: list[HousekeepingRoom]


def housekeeping_board(
    *, property: Property, business_date: date, only: str = ""
) -> list[HousekeepingFloor]:
    """Every room of `property` by floor with its state today (an out-of-order period or the
    room out of service wins over the cleaning status) and whether a guest leaves, stays over
    or arrives in it on `business_date`; `only` keeps the departures, stay-overs or arrivals.
    Three queries whatever the size of the hotel."""
    rooms = list(
        Room.objects.filter(property=property)
        .select_related("room_type", "housekeeping_changed_by")
        .order_by("floor", "number")
    )
    live = [Reservation.Status.OPTION, Reservation.Status.CONFIRMED, Reservation.Status.IN_HOUSE]
    tags: dict[int, set[str]] = {}
    for room_id, start, end, status in RoomAssignment.objects.filter(
        room__property=property,
        released_at__isnull=True,
        start__lte=business_date,
        end__gte=business_date,
        reservation_room__is_cancelled=False,
        reservation_room__reservation__status__in=live,
    ).values_list("room_id", "start", "end", "reservation_room__reservation__status"):
        mine = tags.setdefault(room_id, set())
        if end == business_date and status == Reservation.Status.IN_HOUSE:
            mine.add("departures")
        if start == business_date:
            mine.add("arrivals")
        if start < business_date < end and status == Reservation.Status.IN_HOUSE:
            mine.add("stayovers")
    periods: dict[int, list[RoomOutOfOrder]] = {}
    for period in RoomOutOfOrder.objects.filter(
        room__property=property, released_at__isnull=True, end__gt=business_date
    ).order_by("start", "pk"):
        periods.setdefault(period.room_id, []).append(period)
    floors: dict[int, list[HousekeepingRoom]] = {}
    for room in rooms:
        mine = tags.get(room.pk, set())
        if only and only not in mine:
            continue
        room_periods = periods.get(room.pk, [])
        current = next((p for p in room_periods if p.start <= business_date), None)
        if not room.is_active:
            state = "out_of_service"
        elif current is not None:
            state = "out_of_order"
        else:
            state = room.housekeeping_status
        floors.setdefault(room.floor, []).append(
            HousekeepingRoom(
                room=room,
                state=state,
                departure="departures" in mine,
                stayover="stayovers" in mine,
                arrival="arrivals" in mine,
                out_of_order=current,
                periods=room_periods,
            )
        )
    return [HousekeepingFloor(floor=f, rooms=r) for f, r in floors.items()]


# The police form (REFERENCE §10).


def police_forms_for_day(*, property: Property, day: date) -> QuerySet:
    """The forms of the guests who sleep here the night of `day` (for the police, on their
    request), by name. One query."""
    from pms.models import PoliceForm

    return (
        PoliceForm.objects.filter(property=property, arrival__lte=day, departure__gt=day)
        .select_related("reservation")
        .order_by("last_name", "first_name", "pk")
    )


# The night audit's report: what it posted and what is left for the morning.


# checked-out stays older than this are the accountant's receivables, not the night's report
OPEN_BALANCE_WINDOW = timedelta(days=90)


@dataclass
class OpenBalance:
    reservation: Reservation
    balance: Decimal


@dataclass
class NightAuditReport:
    business_date: date
    room_nights: int = 0
    room_revenue: Decimal = ZERO
    tourist_tax_persons: Decimal = ZERO
    tourist_tax: Decimal = ZERO
    no_shows: list[Reservation] = field(default_factory=list)
    arrivals_not_checked_in: list[Reservation] = field(default_factory=list)
    departures_not_checked_out: list[Reservation] = field(default_factory=list)
    open_balances: list[OpenBalance] = field(default_factory=list)

    @property
    def open_balance_total(self) -> Decimal:
        return sum((b.balance for b in self.open_balances), ZERO)


def night_audit_report(*, property: Property, business_date: date) -> NightAuditReport:
    """The night of `business_date`: room nights and tourist tax posted for it, the no-shows,
    the arrivals not checked in and the departures (due that day or before) still in house,
    and every stay in house or checked out in the last 90 days whose folio does not balance.
    Six queries."""
    from django.db.models import Count, DecimalField, OuterRef, Subquery
    from django.db.models.functions import Coalesce

    from billing.models import Payment

    report = NightAuditReport(business_date=business_date)
    lines = FolioLine.objects.filter(folio__property=property, service_date=business_date)
    nights = lines.filter(source__startswith="pms.night:").aggregate(
        n=Count("pk"), total=Sum("total")
    )
    report.room_nights, report.room_revenue = nights["n"], nights["total"] or ZERO
    tax = lines.filter(source__startswith="pms.touristtax:").aggregate(
        persons=Sum("quantity"), total=Sum("total")
    )
    report.tourist_tax_persons = tax["persons"] or ZERO
    report.tourist_tax = tax["total"] or ZERO
    base = Reservation.objects.filter(property=property).select_related("guest")
    report.no_shows = list(
        base.filter(status=Reservation.Status.NO_SHOW, arrival=business_date).order_by("pk")
    )
    report.arrivals_not_checked_in = list(
        base.filter(
            arrival__lte=business_date,
            departure__gt=business_date,
            status__in=[Reservation.Status.CONFIRMED, Reservation.Status.OPTION],
        ).order_by("arrival", "pk")
    )
    report.departures_not_checked_out = list(
        base.filter(status=Reservation.Status.IN_HOUSE, departure__lte=business_date).order_by(
            "departure", "pk"
        )
    )
    money = DecimalField(max_digits=12, decimal_places=2)
    charges = (
        FolioLine.objects.filter(folio=OuterRef("folio"))
        .values("folio")
        .annotate(s=Sum("total"))
        .values("s")
    )
    paid = (
        Payment.objects.filter(folio=OuterRef("folio"))
        .values("folio")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    stays = (
        base.filter(folio__isnull=False)
        .filter(
            Q(status=Reservation.Status.IN_HOUSE)
            | Q(
                status=Reservation.Status.CHECKED_OUT,
                departure__gt=business_date - OPEN_BALANCE_WINDOW,
                departure__lte=business_date,
            )
        )
        .annotate(
            charged=Coalesce(Subquery(charges, output_field=money), ZERO, output_field=money),
            paid=Coalesce(Subquery(paid, output_field=money), ZERO, output_field=money),
        )
        .exclude(charged=F("paid"))
        .order_by("departure", "pk")
    )
    report.open_balances = [OpenBalance(reservation=r, balance=r.charged - r.paid) for r in stays]
    return report
