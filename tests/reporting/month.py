"""A generated month of a small hotel (10 rooms, a bar, a restaurant, a spa), written as raw
document rows, and an independent helper that computes the KPIs from those rows in Python.

The builder writes what billing, pms and pos write (folio lines per posted night, extras,
tourist tax, tickets with their lines and orders, a ticket charged to a room, a voided
ticket); the helper never calls reporting code, so the selectors are checked against a second
computation, not against themselves."""

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from statistics import median

from billing.models import FolioLine, Ticket, TicketLine
from billing.services.folios import folio_open
from billing.services.tickets import ticket_void
from crm.models import Guest
from pms.models import Reservation, ReservationRoom, RoomOutOfOrder
from pos.models import Order, Outlet, Terminal
from tests.factories.stays import make_room

ROOMS = 10
DAYS = 30
CENT = Decimal("0.01")
OUTLETS = (("bar", "Bar", "bar"), ("restaurant", "Restaurant", "restaurant"), ("spa", "Spa", "spa"))
PRODUCTS = {
    "bar": [("Bière pression", "alcohol", "20.00", "6.00"), ("Café", "drinks", "10.00", "2.50")],
    "restaurant": [("Menu du jour", "food", "10.00", "28.00"), ("Vin rouge", "alcohol", "20.00")],
    "spa": [("Massage", "services", "20.00", "80.00")],
}
PRODUCTS["restaurant"][1] = ("Vin rouge", "alcohol", "20.00", "7.00")


def q(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def split(gross: Decimal, rate: str) -> tuple[Decimal, Decimal]:
    """(net, VAT) of a tax-inclusive amount, VAT rounded at the line."""
    rate = Decimal(rate)
    vat = q(gross * rate / (100 + rate))
    return gross - vat, vat


@dataclass
class Month:
    property: object
    today: date
    first: date
    last: date
    cashiers: list
    outlets: dict = field(default_factory=dict)
    voided: list = field(default_factory=list)


def _local(day: date, hour: int, minute: int, tz) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=tz).astimezone(UTC)


def build_month(hotel, staff, *, seed: int = 22) -> Month:
    """The 30 business days that end yesterday (the property's business date)."""
    rng = random.Random(seed)
    tz = hotel.tz
    today = hotel.business_date()
    first = today - timedelta(days=DAYS)
    month = Month(hotel, today, first, today - timedelta(days=1), staff)
    rooms = [make_room(hotel, f"{100 + i}") for i in range(1, ROOMS + 1)]
    RoomOutOfOrder.objects.create(
        room=rooms[-1], start=first + timedelta(days=4), end=first + timedelta(days=9), reason="x"
    )
    for code, name, kind in OUTLETS:
        outlet = Outlet.objects.create(property=hotel, code=code, name=name, kind=kind)
        terminal = Terminal.objects.create(property=hotel, outlet=outlet, name=f"Caisse {name}")
        month.outlets[code] = (outlet, terminal)
    stays = []
    number = 0
    # rooms 0..8 are filled by back-to-back stays; room 9 is out of order for part of it
    for index, room in enumerate(rooms[:-1]):
        day = first - timedelta(days=rng.randint(0, 2))
        while day < today + timedelta(days=20):
            nights = rng.randint(1, 4)
            arrival, departure = day, day + timedelta(days=nights)
            day = departure + timedelta(days=rng.choice([0, 0, 1]))
            number += 1
            roll = rng.random()
            guest = Guest.objects.create(organization=hotel.organization, last_name=f"G{number}")
            folio = folio_open(property=hotel, holder_name=f"G{number}", guest=guest)
            channel = rng.choice(["front_desk", "booking_engine", "ota"])
            if departure <= today:
                status = Reservation.Status.CHECKED_OUT
            elif arrival < today:
                status = Reservation.Status.IN_HOUSE
            else:
                status = Reservation.Status.CONFIRMED
            if roll < 0.06 and arrival >= first:
                status = Reservation.Status.CANCELLED
            elif roll < 0.09 and arrival >= first and arrival < today:
                status = Reservation.Status.NO_SHOW
            reservation = Reservation.objects.create(
                property=hotel,
                reference=f"R{number}",
                guest=guest,
                status=status,
                channel=channel,
                arrival=arrival,
                departure=departure,
                folio=folio,
                cancelled_at=(
                    _local(arrival - timedelta(days=1), 15, 0, tz)
                    if status == Reservation.Status.CANCELLED
                    else None
                ),
                checked_out_at=(
                    _local(departure, rng.randint(7, 12), rng.choice([0, 15, 30, 45]), tz)
                    if status == Reservation.Status.CHECKED_OUT
                    else None
                ),
            )
            ReservationRoom.objects.create(
                reservation=reservation, room_type=room.room_type, room=room
            )
            if status in (Reservation.Status.CANCELLED, Reservation.Status.NO_SHOW):
                if status == Reservation.Status.CANCELLED:
                    # the gap it leaves stays empty
                    continue
                continue
            price = Decimal(rng.choice(["95.00", "110.00", "130.00"]))
            lines = []
            night = arrival
            while night < min(departure, today):
                net, vat = split(price, "10.00")
                lines.append(
                    FolioLine(
                        folio=folio,
                        description="Nuit",
                        quantity=1,
                        unit_price=price,
                        total=price,
                        vat_rate=Decimal("10.00"),
                        vat_amount=vat,
                        net=net,
                        revenue_category="accommodation",
                        business_date=night,
                        service_date=night,
                        source=f"pms.night:{reservation.pk}:{night}",
                    )
                )
                lines.append(
                    FolioLine(
                        folio=folio,
                        description="Taxe de séjour",
                        quantity=1,
                        unit_price=Decimal("2.00"),
                        total=Decimal("2.00"),
                        vat_rate=0,
                        vat_amount=0,
                        net=Decimal("2.00"),
                        revenue_category="tourist_tax",
                        business_date=night,
                        service_date=night,
                        source=f"tax:{reservation.pk}:{night}",
                    )
                )
                night += timedelta(days=1)
            if lines and rng.random() < 0.4:
                gross = Decimal("18.00")
                net, vat = split(gross, "10.00")
                lines.append(
                    FolioLine(
                        folio=folio,
                        description="Petit-déjeuner",
                        quantity=1,
                        unit_price=gross,
                        total=gross,
                        vat_rate=Decimal("10.00"),
                        vat_amount=vat,
                        net=net,
                        revenue_category="food",
                        business_date=arrival,
                        service_date=arrival,
                        source=f"pms.extra:{reservation.pk}",
                    )
                )
            FolioLine.objects.bulk_create(lines)
            if status in (Reservation.Status.CHECKED_OUT, Reservation.Status.IN_HOUSE):
                stays.append(reservation)
    # POS: every day, tickets at each outlet; some charged to an in-house stay's room
    ticket_number = 0
    for offset in range(DAYS):
        day = first + timedelta(days=offset)
        in_house = [s for s in stays if s.arrival <= day < s.departure]
        for code, (outlet, terminal) in month.outlets.items():
            for _n in range(rng.randint(1, 4) if code != "spa" else rng.randint(0, 2)):
                ticket_number += 1
                stay = rng.choice(in_house) if in_house and rng.random() < 0.35 else None
                cashier = rng.choice(staff)
                picks = [rng.choice(PRODUCTS[code]) for _ in range(rng.randint(1, 3))]
                created = _local(day, rng.randint(10, 22), rng.randint(0, 59), tz)
                rows = []
                for description, category, rate, unit in picks:
                    qty = rng.randint(1, 2)
                    gross = Decimal(unit) * qty
                    net, vat = split(gross, rate)
                    rows.append((description, category, rate, unit, qty, gross, net, vat))
                ticket = Ticket.objects.create(
                    property=hotel,
                    number=ticket_number,
                    business_date=day,
                    status="charged_to_room" if stay else "paid",
                    outlet=outlet.name,
                    terminal=terminal.name,
                    cashier=cashier,
                    folio=stay.folio if stay else None,
                    total=sum(r[5] for r in rows),
                    total_vat=sum(r[7] for r in rows),
                    created_at=created,
                )
                for description, category, rate, unit, qty, gross, net, vat in rows:
                    line = TicketLine.objects.create(
                        ticket=ticket,
                        description=description,
                        quantity=qty,
                        unit_price=Decimal(unit),
                        total=gross,
                        vat_rate=Decimal(rate),
                        vat_amount=vat,
                        net=net,
                        revenue_category=category,
                    )
                    if stay:
                        FolioLine.objects.create(
                            folio=stay.folio,
                            description=description,
                            quantity=qty,
                            unit_price=Decimal(unit),
                            total=gross,
                            vat_rate=Decimal(rate),
                            vat_amount=vat,
                            net=net,
                            revenue_category=category,
                            business_date=day,
                            service_date=day,
                            source=f"pos.ticketline:{line.pk}",
                        )
                Order.objects.create(
                    property=hotel,
                    outlet=outlet,
                    terminal=terminal,
                    status="charged_to_room" if stay else "paid",
                    ticket=ticket,
                    reservation=stay,
                    created_by=cashier,
                    covers=rng.randint(1, 4) if code == "restaurant" else 0,
                    business_date=day,
                )
    # one sale of the last day is voided: it must count nowhere
    victim = Ticket.objects.filter(property=hotel, business_date=month.last, status="paid").first()
    victim.refresh_from_db()
    ticket_void(property=hotel, ticket=victim, actor=staff[0], reason="erreur")
    month.voided.append(victim.pk)
    return month


def expected(month: Month, start: date, end: date, *, late_after: time = time(11, 0)) -> dict:
    """The KPIs of [start, end] computed in Python from every raw row (no reporting code)."""
    hotel = month.property
    tz = hotel.tz
    days = (end - start).days + 1
    rooms = ROOMS
    ooo = 0
    for period in RoomOutOfOrder.objects.filter(room__property=hotel):
        d = period.start
        while d < period.end:
            ooo += start <= d <= end
            d += timedelta(days=1)
    available = rooms * days - ooo
    folio_lines = list(FolioLine.objects.filter(folio__property=hotel).select_related("folio"))
    nights = [
        li
        for li in folio_lines
        if li.revenue_category == "accommodation" and start <= li.service_date <= end
    ]
    sold = sum(li.quantity for li in nights)
    room_revenue = sum(li.net for li in nights)
    tickets = [
        t
        for t in Ticket.objects.filter(property=hotel).prefetch_related("lines")
        if start <= t.business_date <= end and t.pk not in month.voided
    ]
    ticket_net = sum(li.net for t in tickets for li in t.lines.all())
    other_folio = sum(
        li.net
        for li in folio_lines
        if start <= li.business_date <= end
        and li.revenue_category != "tourist_tax"
        and not li.source.startswith("pos.ticketline:")
    )
    reservations = list(Reservation.objects.filter(property=hotel))
    departed = [
        r
        for r in reservations
        if r.status == "checked_out" and start <= r.departure <= end and r.checked_out_at
    ]
    folio_of = {}
    for li in folio_lines:
        folio_of.setdefault(li.folio_id, []).append(li)
    with_extra = [
        r
        for r in departed
        if any(
            li.revenue_category not in ("accommodation", "tourist_tax")
            for li in folio_of.get(r.folio_id, [])
        )
    ]
    spa_orders = {
        o.reservation_id
        for o in Order.objects.filter(property=hotel, outlet__kind="spa", reservation__isnull=False)
    }
    minutes = []
    for r in departed:
        local = r.checked_out_at.astimezone(tz)
        minutes.append(local.hour * 60 + local.minute)
    limit = late_after.hour * 60 + late_after.minute

    def pct(a, b):
        return (Decimal(a) * 100 / Decimal(b)).quantize(CENT) if b else None

    def div(a, b):
        return (Decimal(a) / Decimal(b)).quantize(CENT) if b else None

    def hhmm(m):
        m = int(round(m))
        return f"{m // 60:02d}:{m % 60:02d}"

    outlets = {}
    for t in tickets:
        n, net = outlets.get(t.outlet, (0, Decimal(0)))
        outlets[t.outlet] = (n + 1, net + t.total - t.total_vat)
    channels = {}
    for t in tickets:
        n, net = channels.get(t.status, (0, Decimal(0)))
        channels[t.status] = (n + 1, net + t.total - t.total_vat)
    orders = {o.ticket_id: o for o in Order.objects.filter(property=hotel)}
    restaurant = [t for t in tickets if orders[t.pk].outlet.kind == "restaurant"]
    covers = sum(orders[t.pk].covers for t in restaurant)
    restaurant_net = sum(t.total - t.total_vat for t in restaurant)
    engine_folios = {r.folio_id for r in reservations if r.channel == "booking_engine"}
    engine = [
        li
        for li in folio_lines
        if li.source.startswith("pms.extra:")
        and li.folio_id in engine_folios
        and start <= li.business_date <= end
    ]
    first_local = datetime.combine(start, time.min, tzinfo=tz)
    last_local = datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)
    by_channel_nights = {}
    reservation_of_folio = {r.folio_id: r for r in reservations}
    for li in nights:
        ch = reservation_of_folio[li.folio_id].channel
        by_channel_nights[ch] = by_channel_nights.get(ch, 0) + li.quantity
    return {
        "available": available,
        "sold": sold,
        "occupancy": pct(sold, available),
        "adr": div(room_revenue, sold),
        "revpar": div(room_revenue, available),
        "trevpar": div(ticket_net + other_folio, available),
        "alos": div(sum((r.departure - r.arrival).days for r in departed), len(departed)),
        "cancellations": sum(
            1
            for r in reservations
            if r.status == "cancelled" and first_local <= r.cancelled_at < last_local
        ),
        "no_shows": sum(
            1 for r in reservations if r.status == "no_show" and start <= r.arrival <= end
        ),
        "upsell_rate": pct(len(with_extra), len(departed)),
        "spa_conversion": pct(sum(1 for r in departed if r.pk in spa_orders), len(departed)),
        "checkout_average": hhmm(sum(minutes) / len(minutes)) if minutes else "",
        "checkout_median": hhmm(median(minutes)) if minutes else "",
        "late_share": pct(sum(1 for m in minutes if m > limit), len(minutes)),
        "baskets": {name: div(net, n) for name, (n, net) in outlets.items()},
        "basket_paid": div(channels.get("paid", (0, 0))[1], channels.get("paid", (0, 0))[0]),
        "basket_room": div(
            channels.get("charged_to_room", (0, 0))[1], channels.get("charged_to_room", (0, 0))[0]
        ),
        "basket_engine": div(sum(li.net for li in engine), len({li.folio_id for li in engine})),
        "covers": covers,
        "per_cover": div(restaurant_net, covers),
        "sales_revenue": ticket_net,
        "channel_nights": by_channel_nights,
    }
