"""The manager's KPIs, read from the documents (folio lines, tickets, reservations, orders).

Reporting owns no business data: every figure is an SQL aggregate over the rows billing, pms
and pos wrote — the POS sales through the derived daily facts (reporting.facts), which the
caller refreshes first (`facts_refresh`). The number of queries is fixed whatever the period
(each aggregate groups by day or by dimension, never one query per day), so a year costs what
a day costs in round trips.

Conventions (shown on the dashboard, REFERENCE §7):
* Revenue is HT (net of VAT) and excludes the tourist tax; a voided ticket does not count.
* A room night is sold when the night audit posted it (an accommodation folio line on that
  night; a reversal takes it back); its revenue is that line's net (read through RoomFact).
* Rooms available = rooms in service × days − nights out of order (out-of-order rooms are
  removed from the rooms available).
* ALOS = nights ÷ stays, over the stays that departed in the period (checked out).
* Average basket = net revenue ÷ tickets; in the restaurant also ÷ covers.
* Upsell rate = departed stays with at least one extra (anything but the room and the tourist
  tax on their folio) ÷ departed stays.
* Late check-out = a check-out after the property's check-out time (REPORTING_CHECKOUT_TIME).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from statistics import median
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    CharField,
    Count,
    Exists,
    OuterRef,
    Q,
    Sum,
)
from django.db.models.functions import Cast, Coalesce
from django.utils.translation import gettext

from billing.models import JournalEntry, Ticket
from core.models import Property
from core.money import ZERO
from inventory.models import RevenueCategory
from pms.models import Reservation, ReservationRoom, Room, RoomOutOfOrder
from pos.models import Outlet
from reporting.models import (
    BasketFact,
    DepartureFact,
    FolioFact,
    ProductFact,
    RoomFact,
    SalesFact,
    StayFact,
)
from reporting.periods import Period

ACCOMMODATION = RevenueCategory.ACCOMMODATION
TOURIST_TAX = RevenueCategory.TOURIST_TAX
TOP_PRODUCTS = 10
SOLD_STATUSES = (
    Reservation.Status.CONFIRMED,
    Reservation.Status.IN_HOUSE,
    Reservation.Status.CHECKED_OUT,
)


def checkout_time() -> time:
    """The official check-out hour late check-outs are measured against."""
    return time.fromisoformat(getattr(settings, "REPORTING_CHECKOUT_TIME", "11:00"))


def ratio(numerator, denominator) -> Decimal | None:
    """numerator ÷ denominator to two places; None when there is nothing to divide by."""
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.01"))


def percent(numerator, denominator) -> Decimal | None:
    value = ratio(Decimal(numerator) * 100, denominator)
    return value


@dataclass
class Dashboard:
    """What the manager's dashboard shows for a set of properties and a period."""

    period: Period
    rooms_in_service: int = 0
    room_nights_available: int = 0
    out_of_order_nights: int = 0
    room_nights_sold: Decimal = ZERO
    room_revenue: Decimal = ZERO
    occupancy: Decimal | None = None
    adr: Decimal | None = None
    revpar: Decimal | None = None
    trevpar: Decimal | None = None
    alos: Decimal | None = None
    stays_departed: int = 0
    cancellations: int = 0
    no_shows: int = 0
    otb_30: Decimal | None = None
    otb_90: Decimal | None = None
    pickup: int = 0
    total_revenue: Decimal = ZERO
    by_day: list[dict] = field(default_factory=list)
    channels: list[dict] = field(default_factory=list)
    outlets: list[dict] = field(default_factory=list)
    categories: list[dict] = field(default_factory=list)
    hours: list[dict] = field(default_factory=list)
    terminals: list[dict] = field(default_factory=list)
    employees: list[dict] = field(default_factory=list)
    basket_channels: list[dict] = field(default_factory=list)
    covers: int = 0
    restaurant_revenue: Decimal = ZERO
    average_per_cover: Decimal | None = None
    top_products: list[dict] = field(default_factory=list)
    departments: list[dict] = field(default_factory=list)
    upsell_rate: Decimal | None = None
    extra_revenue_per_stay: Decimal | None = None
    spa_conversion: Decimal | None = None
    checkout_average: str = ""
    checkout_median: str = ""
    late_checkout_share: Decimal | None = None
    per_property: list[dict] = field(default_factory=list)


def _local_bounds(tz: ZoneInfo, period: Period) -> tuple[datetime, datetime]:
    """The instants a period's calendar days start and end at, in the property's time."""
    first = datetime.combine(period.start, time.min, tzinfo=tz)
    last = datetime.combine(period.end_exclusive, time.min, tzinfo=tz)
    return first, last


def _voided_tickets(voided_in: Period | None = None):
    """Tickets a VOID entry of the fiscal journal cancels (whatever day it was voided, or
    a day of `voided_in`)."""
    entries = JournalEntry.objects.filter(
        property=OuterRef("property"),
        chain=JournalEntry.Chain.FISCAL,
        kind=JournalEntry.Kind.VOID,
        document_type="billing.ticket",
        document_id=Cast(OuterRef("pk"), CharField()),
    )
    if voided_in is not None:
        entries = entries.filter(
            business_date__gte=voided_in.start, business_date__lte=voided_in.end
        )
    return entries


def tickets_counted(properties, period: Period):
    """The period's tickets that count as sales (not voided)."""
    return (
        Ticket.objects.filter(
            property__in=properties,
            business_date__gte=period.start,
            business_date__lte=period.end,
        )
        .annotate(voided=Exists(_voided_tickets()))
        .filter(voided=False)
    )


def _nights_in(rows, first: date, last_exclusive: date) -> int:
    """Nights of [arrival, departure) rows that fall within [first, last_exclusive)."""
    total = 0
    for arrival, departure in rows:
        start, end = max(arrival, first), min(departure, last_exclusive)
        if end > start:
            total += (end - start).days
    return total


def _minutes_label(minutes) -> str:
    if minutes is None:
        return ""
    minutes = int(round(minutes))
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def dashboard(
    *, properties: list[Property], period: Period, today: date, forward: bool = True
) -> Dashboard:
    """Every KPI of the dashboard for `properties` over `period` (business dates, both ends
    included); `today` is the business date the forward-looking figures (on the books,
    pickup) start from — not computed when `forward` is False (last year's comparison)."""
    ids = [p.pk for p in properties]
    tz = properties[0].tz if properties else ZoneInfo(settings.TIME_ZONE)
    result = Dashboard(period=period)
    names = {p.pk: p.name for p in properties}
    per_property: dict[int, dict] = {
        pk: {"property": names[pk], "rooms": 0, "available": 0, "sold": ZERO, "revenue": ZERO}
        for pk in ids
    }

    # -- rooms ----------------------------------------------------------------------------
    for row in (
        Room.objects.filter(property__in=ids, is_active=True)
        .values("property")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        per_property[row["property"]]["rooms"] = row["n"]
        result.rooms_in_service += row["n"]
    ooo_rows = list(
        RoomOutOfOrder.objects.filter(
            room__property__in=ids,
            room__is_active=True,
            released_at__isnull=True,
            start__lt=period.end_exclusive,
            end__gt=period.start,
        ).values_list("room__property", "start", "end")
    )
    ooo_by_property: dict[int, int] = defaultdict(int)
    for pk, start, end in ooo_rows:
        ooo_by_property[pk] += _nights_in([(start, end)], period.start, period.end_exclusive)
    for pk, row in per_property.items():
        row["available"] = row["rooms"] * period.days - ooo_by_property[pk]
    result.out_of_order_nights = sum(ooo_by_property.values())
    result.room_nights_available = result.rooms_in_service * period.days - (
        result.out_of_order_nights
    )

    nights = (
        RoomFact.objects.filter(property__in=ids, day__gte=period.start, day__lte=period.end)
        .values("property", "day", "channel")
        .annotate(sold=Sum("nights"), revenue=Sum("revenue"))
        .order_by()
    )
    days: dict[date, dict] = {
        d: {
            "day": d,
            "sold": ZERO,
            "room_revenue": ZERO,
            "sales_revenue": ZERO,
            "available": 0,
        }
        for d in period.dates()
    }
    by_channel_nights: dict[str, list] = {}
    for row in nights:
        mix = by_channel_nights.setdefault(row["channel"] or "", [ZERO, ZERO])
        mix[0] += row["sold"]
        mix[1] += row["revenue"]
        day = days[row["day"]]
        day["sold"] += row["sold"]
        day["room_revenue"] += row["revenue"]
        per_property[row["property"]]["sold"] += row["sold"]
        per_property[row["property"]]["revenue"] += row["revenue"]
        result.room_nights_sold += row["sold"]
        result.room_revenue += row["revenue"]
    for d, day in days.items():
        ooo = sum(
            1 for _pk, start, end in ooo_rows if start <= d < end
        )  # rooms out of order that night
        day["available"] = result.rooms_in_service - ooo
        day["occupancy"] = percent(day["sold"], day["available"])

    result.channels = [
        {
            "channel": channel,
            "nights": mix[0],
            "revenue": mix[1],
            "share": percent(mix[0], result.room_nights_sold),
        }
        for channel, mix in sorted(by_channel_nights.items(), key=lambda i: (-i[1][0], i[0]))
    ]

    first, last = _local_bounds(tz, period)
    reservations = Reservation.objects.filter(property__in=ids).aggregate(
        cancellations=Count(
            "pk",
            filter=Q(
                status=Reservation.Status.CANCELLED,
                cancelled_at__gte=first,
                cancelled_at__lt=last,
            ),
        ),
        no_shows=Count(
            "pk",
            filter=Q(
                status=Reservation.Status.NO_SHOW,
                arrival__gte=period.start,
                arrival__lte=period.end,
            ),
        ),
    )
    result.cancellations = reservations["cancellations"]
    result.no_shows = reservations["no_shows"]

    # stays that departed in the period: ALOS, spend per stay, upsell, check-out time — from
    # the derived facts (reporting.facts), one row per stay
    window = {"property__in": ids, "day__gte": period.start, "day__lte": period.end}
    stays = list(
        StayFact.objects.filter(**window).values_list(
            "nights", "has_extra", "has_spa", "checkout_minutes"
        )
    )
    late = checkout_time()
    result.stays_departed = len(stays)
    stay_nights = sum(s[0] for s in stays)
    result.alos = ratio(stay_nights, len(stays))
    result.upsell_rate = percent(sum(1 for s in stays if s[1]), len(stays))
    result.spa_conversion = percent(sum(1 for s in stays if s[2]), len(stays))
    checkout_minutes = [s[3] for s in stays if s[3] is not None]
    if checkout_minutes:
        result.checkout_average = _minutes_label(sum(checkout_minutes) / len(checkout_minutes))
        result.checkout_median = _minutes_label(median(checkout_minutes))
        limit = late.hour * 60 + late.minute
        result.late_checkout_share = percent(
            sum(1 for m in checkout_minutes if m > limit), len(checkout_minutes)
        )
    departments = (
        DepartureFact.objects.filter(**window)
        .values("category")
        .annotate(net=Sum("net"))
        .order_by("category")
    )
    extra_total = ZERO
    for row in departments:
        if row["category"] != ACCOMMODATION:
            extra_total += row["net"]
        result.departments.append(
            {
                "category": RevenueCategory(row["category"]).label,
                "revenue": row["net"],
                "per_stay": ratio(row["net"], len(stays)),
            }
        )
    result.extra_revenue_per_stay = ratio(extra_total, len(stays))

    # on the books and pickup: reservations as they stand now
    horizon = today + timedelta(days=90)
    booked = (
        []
        if not forward
        else list(
            ReservationRoom.objects.filter(
                reservation__property__in=ids,
                reservation__status__in=SOLD_STATUSES,
                is_cancelled=False,
                reservation__arrival__lt=horizon,
                reservation__departure__gt=today,
            ).values_list("reservation__arrival", "reservation__departure", "created_at")
        )
    )
    for days_ahead, attr in ((30, "otb_30"), (90, "otb_90")) if forward else ():
        sold = _nights_in([(a, d) for a, d, _c in booked], today, today + timedelta(days_ahead))
        setattr(result, attr, percent(sold, result.rooms_in_service * days_ahead))
    day_first, day_last = _local_bounds(tz, Period(period.end, period.end))
    result.pickup = _nights_in(
        [(a, d) for a, d, c in booked if day_first <= c < day_last], today, horizon
    )

    # -- sales: from the derived daily facts (reporting.facts), refreshed before reading ---
    sales = SalesFact.objects.filter(**window)
    for row in sales.values("day").annotate(net=Sum("net")).order_by():  # for the chart
        days[row["day"]]["sales_revenue"] += row["net"]
    cube = list(
        sales.values(
            "category",
            "hour",
            "outlet",
            "terminal",
            "cashier",
            "cashier__username",
            "cashier__first_name",
            "cashier__last_name",
        )
        .annotate(net=Sum("net"), disc=Sum("discount"))
        .order_by()
    )  # a few hundred rows whatever the period: summed per dimension below

    def along(*keys):
        sums: dict[tuple, list] = {}
        for r in cube:
            acc = sums.setdefault(tuple(r[k] for k in keys), [ZERO, ZERO, r])
            acc[0] += r["net"]
            acc[1] += r["disc"]
        return sums

    result.categories = [
        {"category": RevenueCategory(k[0]).label, "revenue": v[0]}
        for k, v in sorted(along("category").items(), key=lambda i: (-i[1][0], i[0]))
    ]
    result.hours = [
        {"hour": f"{k[0]:02d}:00", "revenue": v[0]} for k, v in sorted(along("hour").items())
    ]
    result.terminals = [
        {"terminal": f"{k[0]} · {k[1]}", "revenue": v[0]}
        for k, v in sorted(along("outlet", "terminal").items(), key=lambda i: (-i[1][0], i[0]))
    ]
    result.employees = [
        {
            "employee": (
                f"{v[2]['cashier__first_name']} {v[2]['cashier__last_name']}".strip()
                or v[2]["cashier__username"]
                or "—"
            ),
            "revenue": v[0],
            "discount": v[1],
        }
        for k, v in sorted(along("cashier").items(), key=lambda i: (-i[1][0], i[0][0] or 0))
    ]
    result.top_products = [
        {"product": r["description"], "quantity": r["qty"], "revenue": r["net"]}
        for r in ProductFact.objects.filter(**window)
        .values("description")
        .annotate(net=Sum("net"), qty=Sum("quantity"))
        .order_by("-net", "description")[:TOP_PRODUCTS]
    ]
    # baskets: one ticket is one basket; its net is total − VAT (tips are not revenue)
    by_outlet: dict[str, dict] = {}
    by_channel = {
        Ticket.Status.PAID: {"channel": _channel_label("pos"), "n": 0, "revenue": ZERO},
        Ticket.Status.CHARGED_TO_ROOM: {
            "channel": _channel_label("room"),
            "n": 0,
            "revenue": ZERO,
        },
    }
    restaurant = {"covers": 0, "net": ZERO}
    for row in (
        BasketFact.objects.filter(**window)
        .values("outlet", "status", "outlet_kind")
        .annotate(n=Sum("tickets"), net=Sum("net"), covers=Sum("covers"))
        .order_by("outlet", "status", "outlet_kind")
    ):
        item = by_outlet.setdefault(row["outlet"], {"outlet": row["outlet"], "n": 0, "revenue": 0})
        item["n"] += row["n"]
        item["revenue"] += row["net"]
        by_channel[row["status"]]["n"] += row["n"]
        by_channel[row["status"]]["revenue"] += row["net"]
        if row["outlet_kind"] == Outlet.Kind.RESTAURANT:
            restaurant["covers"] += row["covers"]
            restaurant["net"] += row["net"]
    for item in by_outlet.values():
        item["basket"] = ratio(item["revenue"], item["n"])
    result.outlets = sorted(by_outlet.values(), key=lambda i: (-i["revenue"], i["outlet"]))
    booked_extras = FolioFact.objects.filter(**window).aggregate(
        engine_stays=Count("folio_id", distinct=True),  # set on engine rows only
        engine_net=Coalesce(Sum("engine_net"), ZERO),
        all_net=Coalesce(Sum("net"), ZERO),
    )
    engine = {
        "channel": _channel_label("engine"),
        "n": booked_extras["engine_stays"],
        "revenue": booked_extras["engine_net"],
    }
    result.basket_channels = [*by_channel.values(), engine]
    for item in result.basket_channels:
        item["basket"] = ratio(item["revenue"], item["n"])
    result.covers = restaurant["covers"]
    result.restaurant_revenue = restaurant["net"]
    result.average_per_cover = ratio(restaurant["net"], restaurant["covers"])

    # -- across both: all revenue, per available room --------------------------------------
    sales_total = sum((r["revenue"] for r in result.categories), ZERO)
    folio_total = booked_extras["all_net"]
    result.total_revenue = sales_total + folio_total
    result.occupancy = percent(result.room_nights_sold, result.room_nights_available)
    result.adr = ratio(result.room_revenue, result.room_nights_sold)
    result.revpar = ratio(result.room_revenue, result.room_nights_available)
    result.trevpar = ratio(result.total_revenue, result.room_nights_available)
    result.by_day = list(days.values())
    for row in per_property.values():
        row["occupancy"] = percent(row["sold"], row["available"])
        row["adr"] = ratio(row["revenue"], row["sold"])
        row["revpar"] = ratio(row["revenue"], row["available"])
    result.per_property = list(per_property.values())
    return result


def _channel_label(key: str) -> str:
    return {
        "pos": gettext("Paid at the till"),
        "room": gettext("Charged to the room"),
        "engine": gettext("Booking-engine extras"),
    }[key]


@dataclass
class BudgetShare:
    """The budget of a period: each month's targets in proportion to its days in the period."""

    room_revenue: Decimal
    total_revenue: Decimal
    occupancy: Decimal | None
    revpar: Decimal | None


def budget_for(*, properties: list[Property], period: Period, available: int) -> BudgetShare | None:
    """The budget of `period` (None when no month of it has one). Occupancy is weighted by
    days and rooms in service; RevPAR = budgeted room revenue ÷ `available` room-nights."""
    from calendar import monthrange

    from reporting.models import Budget

    months = {}
    for d in period.dates():
        months.setdefault(d.replace(day=1), 0)
        months[d.replace(day=1)] += 1
    rows = list(
        Budget.objects.filter(property__in=[p.pk for p in properties], month__in=list(months))
    )
    if not rows:
        return None
    rooms = dict(
        Room.objects.filter(property__in=[p.pk for p in properties], is_active=True)
        .values("property")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("property", "n")
    )
    room = total = ZERO
    weighted = Decimal(0)
    weight = 0
    for b in rows:
        share = Decimal(months[b.month]) / monthrange(b.month.year, b.month.month)[1]
        room += b.room_revenue * share
        total += b.total_revenue * share
        nights = months[b.month] * rooms.get(b.property_id, 0)
        weighted += b.occupancy * nights
        weight += nights
    return BudgetShare(
        room_revenue=room.quantize(Decimal("0.01")),
        total_revenue=total.quantize(Decimal("0.01")),
        occupancy=ratio(weighted, weight),
        revpar=ratio(room, available),
    )
