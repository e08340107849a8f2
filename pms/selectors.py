"""Reads of the PMS, scoped to a property."""

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import F, Prefetch, Q, QuerySet, Subquery, Sum
from django.utils.translation import gettext as _

from billing.models import Folio, FolioLine, Invoice
from billing.selectors import invoice_state_label
from core.exceptions import NotFound
from core.models import Property
from core.money import ZERO
from crm.matching import email_key, phone_key
from crm.models import Company, Guest
from inventory.models import CapacityPool, Channel, Product, Promotion
from inventory.selectors import pools_availability, pools_availability_grid
from inventory.services.pricing import QuoteLineInput, pricing_config, quote
from pms.models import (
    OnlinePayment,
    OnlineRefund,
    Reservation,
    ReservationExtra,
    ReservationRoom,
    Restriction,
    Room,
    RoomAssignment,
    RoomOutOfOrder,
    RoomType,
)
from pms.services.policies import rate_plan_policy_text


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


def stays_in_house(*, property: Property, room_number: str = "") -> QuerySet[Reservation]:
    """The reservations checked in and not yet out (with their guest, live rooms and folio),
    optionally the one in room `room_number`."""
    stays = _stays(property).select_related("folio").filter(status=Reservation.Status.IN_HOUSE)
    if room_number:
        stays = stays.filter(rooms__room__number=room_number, rooms__is_cancelled=False)
    return stays


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


def rooms_for_upgrade(
    *, reservation_room: ReservationRoom, start: date, end: date
) -> QuerySet[Room]:
    """Clean or inspected rooms of the types dearer than this room's (their nights' list
    price: an upgrade, never a cheaper room) that sleep its guests, free and not out of order
    over [start, end): where an upgrade may go."""
    reservation = reservation_room.reservation
    current_price = RoomType.objects.filter(pk=reservation_room.room_type_id).values(
        "product__price"
    )[:1]
    taken = RoomAssignment.objects.filter(
        room__property_id=reservation.property_id,
        released_at__isnull=True,
        start__lt=end,
        end__gt=start,
    )
    out_of_order = RoomOutOfOrder.objects.filter(
        room__property_id=reservation.property_id,
        released_at__isnull=True,
        start__lt=end,
        end__gt=start,
    )
    return (
        Room.objects.filter(
            property_id=reservation.property_id,
            is_active=True,
            housekeeping_status__in=[Room.Housekeeping.CLEAN, Room.Housekeeping.INSPECTED],
            room_type__max_occupancy__gte=reservation_room.adults + reservation_room.children,
            room_type__product__price__gt=Subquery(current_price),
        )
        .exclude(room_type_id=reservation_room.room_type_id)
        .exclude(pk__in=taken.values("room_id"))
        .exclude(pk__in=out_of_order.values("room_id"))
        .select_related("room_type")
        .order_by("room_type__sort_order", "number")
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
        doc.state_label = invoice_state_label(doc)
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
    # to the cent: SQLite's sums (make run) are floats, a settled folio's 387.00 - 387.00 can
    # come back as 0.0000000001 and was listed as an open balance of 0,00 €
    balances = ((r, (r.charged - r.paid).quantize(Decimal("0.01"))) for r in stays)
    report.open_balances = [OpenBalance(reservation=r, balance=b) for r, b in balances if b]
    return report


# The reservation desk (PMS-8): search, offers for a phone call or a walk-in.

SEARCH_LIMIT = 50
REFERENCE_RE = re.compile(r"^[A-Z0-9]{4,20}$")


def reservation_search(
    *,
    property: Property,
    text: str = "",
    arrival_from: date | None = None,
    arrival_to: date | None = None,
    status: str = "",
    channel: str = "",
    limit: int = SEARCH_LIMIT,
) -> list[Reservation]:
    """Reservations matching a free text (a reference, an e-mail, a phone number, the start
    of a guest's or company's name or a group's) and filters, newest arrival first.

    Every filter meets an index: (property, reference), the guests' e-mail and phone keys,
    the start of a last name (an index on UPPER(last_name) on PostgreSQL, crm 0010),
    (property, arrival), (property, status), (property, channel, arrival), a group name
    (pms 0007). One query per way the text can match, then the page's."""
    qs = Reservation.objects.filter(property=property)
    if arrival_from:
        qs = qs.filter(arrival__gte=arrival_from)
    if arrival_to:
        qs = qs.filter(arrival__lte=arrival_to)
    if status:
        qs = qs.filter(status=status)
    if channel:
        qs = qs.filter(channel=channel)
    text = " ".join((text or "").split())[:100]
    if text:
        # each way of matching is its own query on its own index, newest `limit` first, and
        # the union is taken here: one OR across guests, companies, groups and references
        # makes PostgreSQL scan the property's reservations instead
        found: dict[int, tuple] = {}
        for lookup in _search_lookups(qs, property, text):
            for pk, arrival in lookup.order_by("-arrival", "-pk").values_list("pk", "arrival")[
                :limit
            ]:
                found[pk] = (arrival, pk)
        newest = sorted(found.values(), reverse=True)[:limit]
        qs = Reservation.objects.filter(pk__in=[pk for _arrival, pk in newest])
    return list(
        qs.select_related("guest", "company")
        .prefetch_related(
            Prefetch(
                "rooms",
                queryset=ReservationRoom.objects.filter(is_cancelled=False)
                .select_related("room_type", "room")
                .order_by("pk"),
                to_attr="live_rooms",
            )
        )
        .order_by("-arrival", "-pk")[:limit]
    )


def _search_lookups(qs, property: Property, text: str) -> list:
    """The reservation querysets a free text can mean: an e-mail, a phone number, or the
    start of a guest's, a company's or a group's name, and a reference."""
    org = property.organization_id
    guests = Guest.objects.filter(organization_id=org)
    if "@" in text:
        return [qs.filter(guest_id__in=guests.filter(email_key=email_key(text)).values("pk"))]
    if sum(c.isdigit() for c in text) >= 6 and not any(c.isalpha() for c in text):
        return [qs.filter(guest_id__in=guests.filter(phone_key=phone_key(text)).values("pk"))]
    words = text.split(" ")
    by_name = Q(last_name__istartswith=text)
    if len(words) > 1:
        by_name |= Q(last_name__istartswith=words[-1], first_name__istartswith=words[0])
    lookups = []
    if REFERENCE_RE.match(text.upper()):
        lookups.append(qs.filter(reference=text.upper()))
    lookups += [
        qs.filter(guest_id__in=guests.filter(by_name).values("pk")),
        qs.filter(
            company_id__in=Company.objects.filter(
                organization_id=org, name__istartswith=text
            ).values("pk")
        ),
        qs.exclude(group_name="").filter(group_name__istartswith=text),
    ]
    return lookups


@dataclass
class PlanOffer:
    """A room type in one rate plan: its list price, the promotion applied, the price."""

    rate_plan: object  # inventory.RatePlan, or None for the catalogue's public price
    list_price: Decimal
    promotion: str
    total: Decimal
    per_night: Decimal
    policy: str
    choice: str = ""  # the form's value: "room type id:plan id"


@dataclass
class DeskOffer:
    room_type: RoomType
    available: int
    plans: list[PlanOffer]


def sellable_rate_plans(*, property: Property, channel: str, company=None) -> list:
    """The plans the desk may sell on `channel`: active, allowed on the channel, public or
    negotiated by the company (the same rule as quote())."""
    entitled = set(company.rate_plans.values_list("pk", flat=True)) if company else set()
    plans = [
        p
        for p in pricing_config(property=property)["plans"]
        if (p.is_public or p.pk in entitled) and (not p.channels or channel in p.channels)
    ]
    return sorted(plans, key=lambda p: (-p.priority, p.code))


def desk_offers(
    *,
    property: Property,
    arrival: date,
    departure: date,
    adults: int,
    children: int = 0,
    rooms: int = 1,
    company=None,
    channel: str = Channel.FRONT_DESK,
) -> list[DeskOffer]:
    """Room types that sleep the party with `rooms` units free every night, each with the
    price of the stay in every plan the desk may sell: quote() prices, as on every channel."""
    types = list(
        RoomType.objects.filter(
            property=property, max_occupancy__gte=adults + children, product__is_active=True
        )
        .select_related("product")
        .order_by("sort_order", "code")
    )
    if not types:
        return []
    pool_ids = [t.product.capacity_pool_id for t in types if t.product.capacity_pool_id]
    slots = pools_availability(
        property=property, pool_ids=pool_ids, start=arrival, end=departure, channel=channel
    )
    available = {
        t.pk: min((s.available for s in slots.get(t.product.capacity_pool_id) or []), default=0)
        for t in types
    }
    types = [t for t in types if available[t.pk] >= rooms]
    if not types:
        return []
    plans = sellable_rate_plans(property=property, channel=channel, company=company)
    entitled = [p.pk for p in plans]
    lines = [QuoteLineInput(product_id=t.product_id, start=arrival, end=departure) for t in types]
    promotions = {p.pk: p for p in Promotion.objects.filter(property=property)}
    by_type: dict[int, list[PlanOffer]] = {t.pk: [] for t in types}
    for plan in plans:
        priced = quote(
            property=property,
            channel=channel,
            lines=lines,
            rate_plan_ids=entitled,
            only_rate_plan_id=plan.pk,
        )
        for room_type, line in zip(types, priced.lines, strict=True):
            if f"rate:{plan.code}" not in line.applied_rule:
                continue  # this plan does not price this room type
            promo = promotions.get(line.promotion_id)
            by_type[room_type.pk].append(
                PlanOffer(
                    rate_plan=plan,
                    list_price=line.total + line.discount,
                    promotion=promo.name if promo else "",
                    total=line.total * rooms,
                    per_night=line.unit_price,
                    policy=rate_plan_policy_text(plan),
                    choice=f"{room_type.pk}:{plan.pk}",
                )
            )
    return [
        DeskOffer(room_type=t, available=available[t.pk], plans=by_type[t.pk])
        for t in types
        if by_type[t.pk]
    ]


def guest_candidates(*, property: Property, text: str, limit: int = 10) -> list[Guest]:
    """Profiles the desk may pick for a booking: by the start of the last name, an e-mail or a
    phone number (merged profiles left out)."""
    text = " ".join((text or "").split())[:100]
    if len(text) < 2:
        return []
    guests = Guest.objects.filter(
        organization_id=property.organization_id, merged_into__isnull=True
    )
    if "@" in text:
        guests = guests.filter(email_key=email_key(text))
    elif sum(c.isdigit() for c in text) >= 6:
        guests = guests.filter(phone_key=phone_key(text))
    else:
        guests = guests.filter(last_name__istartswith=text)
    return list(guests.select_related("company").order_by("last_name", "first_name", "pk")[:limit])


def likely_duplicates(
    *, property: Property, first_name: str, last_name: str, email: str, phone: str
) -> list[Guest]:
    """Profiles that look like the guest about to be created (same e-mail or phone key, or
    the same name): suggested to the desk instead of a second profile (CRM-2)."""
    match = Q(last_name__iexact=last_name.strip(), first_name__iexact=first_name.strip())
    if key := email_key(email):
        match |= Q(email_key=key)
    if key := phone_key(phone):
        match |= Q(phone_key=key)
    if not last_name.strip() and not email_key(email) and not phone_key(phone):
        return []
    return list(
        Guest.objects.filter(match, organization_id=property.organization_id)
        .filter(merged_into__isnull=True)
        .order_by("last_name", "pk")[:5]
    )


# --- the rates calendar (PLT-6, PRC-1, INV-4, PMS-4) -----------------------------------------


@dataclass
class RatesCell:
    day: date
    available: int | None
    prices: list[Decimal]  # one per plan of the calendar, in its order
    min_stay: int | None = None
    closed_to_arrival: bool = False
    closed_to_departure: bool = False
    stops: list[str] = field(default_factory=list)  # the channels closed that day


@dataclass
class RatesRow:
    product: Product
    pool: CapacityPool
    room_type: RoomType | None
    cells: list[RatesCell]


@dataclass
class RatesCalendar:
    days: list[date]
    plans: list
    rows: list[RatesRow]


def rates_calendar(*, property: Property, start: date, days: int) -> RatesCalendar:
    """Room types and the slot, pass and stock products × days: what the booking engine may
    still sell, each active plan's price, the restrictions and the stop-sells per channel.

    A fixed number of queries whatever the rows and days (products, availability, restrictions,
    stop-sells, and the cached prices)."""
    from inventory.models import StopSell
    from inventory.services.pricing import active_plans, plan_prices

    span = [start + timedelta(days=i) for i in range(days)]
    end = start + timedelta(days=days)
    products = list(
        Product.objects.filter(property=property, is_active=True, capacity_pool__isnull=False)
        .select_related("capacity_pool", "room_type")
        .order_by("sort_order", "code")
    )

    def room_type_of(product: Product) -> RoomType | None:
        try:
            return product.room_type
        except RoomType.DoesNotExist:
            return None

    products.sort(
        key=lambda p: (
            room_type_of(p) is None,
            room_type_of(p).sort_order if room_type_of(p) else p.sort_order,
            p.code,
        )
    )
    grids = pools_availability_grid(
        property=property,
        pool_ids=list({p.capacity_pool_id for p in products}),
        start=start,
        end=end,
        channel=Channel.BOOKING_ENGINE,
    )
    plans = active_plans(property=property)
    prices = plan_prices(property=property, products=products, days=span)
    restrictions = {
        (r.room_type_id, r.day): r
        for r in Restriction.objects.filter(property=property, day__gte=start, day__lt=end)
    }
    labels = dict(Channel.choices)
    stops: dict[int, list[tuple[date, date, str]]] = {}
    for pool_id, channel, name, s, e in StopSell.objects.filter(
        pool__property=property, start__lt=end, end__gt=start
    ).values_list("pool_id", "channel", "channel_name", "start", "end"):
        label = name.capitalize() if name else str(labels.get(channel, channel))
        stops.setdefault(pool_id, []).append((s, e, label))
    rows = []
    for product in products:
        pool = product.capacity_pool
        room_type = room_type_of(product)
        grid = grids.get(pool.pk)
        cells = []
        for i, day in enumerate(span):
            available = None
            if grid is not None:
                index = 0 if pool.kind == CapacityPool.Kind.STOCK else i
                available = sum(series[index] for series in grid.available.values())
            rule = restrictions.get((room_type.pk, day)) if room_type else None
            general = restrictions.get((None, day)) if room_type else None
            cells.append(
                RatesCell(
                    day=day,
                    available=available,
                    prices=[prices[(plan.pk, product.pk, day)] for plan in plans],
                    min_stay=(rule and rule.min_stay) or (general and general.min_stay) or None,
                    closed_to_arrival=bool(
                        (rule and rule.closed_to_arrival) or (general and general.closed_to_arrival)
                    ),
                    closed_to_departure=bool(
                        (rule and rule.closed_to_departure)
                        or (general and general.closed_to_departure)
                    ),
                    stops=sorted({label for s, e, label in stops.get(pool.pk, ()) if s <= day < e}),
                )
            )
        rows.append(RatesRow(product=product, pool=pool, room_type=room_type, cells=cells))
    return RatesCalendar(days=span, plans=plans, rows=rows)


def cell_history(*, property: Property, product: Product, day: date) -> QuerySet:
    """The audit rows that changed a calendar cell: prices, restrictions, stop-sells."""
    from core.models import AuditEntry

    key = day.isoformat()
    targets = Q(target_type="inventory.product", target_id=str(product.pk))
    if product.capacity_pool_id:
        targets |= Q(target_type="inventory.capacitypool", target_id=str(product.capacity_pool_id))
    return (
        AuditEntry.objects.filter(targets, property=property, data__days__has_key=key)
        .select_related("actor")
        .order_by("-created_at", "-pk")[:50]
    )


# --- online payments at the desk (BE-3) -------------------------------------------------


@dataclass
class DepositState:
    """A booking's online deposit in one line for the desk: paid, refunded (in part), failed,
    waiting; and the intents behind it."""

    paid: Decimal
    refunded: Decimal
    refund_pending: Decimal
    failed: int
    payments: list


def _refund_sums(payment: OnlinePayment) -> tuple[Decimal, Decimal]:
    done = sum(
        (r.amount for r in payment.refunds.all() if r.status == OnlineRefund.Status.SUCCEEDED),
        ZERO,
    )
    pending = sum(
        (
            r.amount
            for r in payment.refunds.all()
            if r.status in (OnlineRefund.Status.REQUESTED, OnlineRefund.Status.PENDING)
        ),
        ZERO,
    )
    return done, pending


def _annotate_payment(payment: OnlinePayment) -> OnlinePayment:
    """What the desk reads on an intent: refunded, pending, whether a refund failed and what
    is still to give back (the late payment's "what to do")."""
    payment.refunded, payment.refund_pending = _refund_sums(payment)
    refunds = list(payment.refunds.all())  # oldest first
    payment.refund_failed = bool(refunds) and refunds[-1].status == OnlineRefund.Status.FAILED
    payment.refund_error = refunds[-1].error_message if payment.refund_failed else ""
    payment.left_to_refund = (
        payment.amount - payment.refunded - payment.refund_pending
        if payment.status == OnlinePayment.Status.SUCCEEDED
        else ZERO
    )
    return payment


def reservation_deposit_state(*, reservation: Reservation) -> DepositState:
    """The booking's online payments and their refunds (two queries)."""
    payments = [
        _annotate_payment(p)
        for p in OnlinePayment.objects.filter(reservation=reservation)
        .prefetch_related("refunds")
        .order_by("created_at", "pk")
    ]
    succeeded = [p for p in payments if p.status == OnlinePayment.Status.SUCCEEDED]
    return DepositState(
        paid=sum((p.amount for p in succeeded), ZERO),
        refunded=sum((p.refunded for p in succeeded), ZERO),
        refund_pending=sum((p.refund_pending for p in succeeded), ZERO),
        failed=sum(1 for p in payments if p.status == OnlinePayment.Status.FAILED),
        payments=payments,
    )


ONLINE_PAYMENTS_LISTED = 200


def online_payments_list(
    *, property: Property, late_only: bool = False, limit: int = ONLINE_PAYMENTS_LISTED
) -> list[OnlinePayment]:
    """The property's online payments, newest first (on the (property, created_at) index;
    the late ones on their partial index), each with its booking, guest and refunds: three
    queries whatever the number of rows."""
    rows = OnlinePayment.objects.filter(property=property)
    if late_only:
        rows = rows.filter(late=True)
    rows = (
        rows.select_related("reservation__guest")
        .prefetch_related("refunds")
        .order_by("-created_at", "-pk")[:limit]
    )
    return [_annotate_payment(p) for p in rows]
