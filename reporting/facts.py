"""Derived daily facts: the POS sales, the posted room nights, the departed stays and the folio
revenue summed per day, so a year's dashboard reads a few thousand rows instead of a million
ticket lines, every folio line and every stay.

They are derived only: `facts_rebuild` recomputes days from the documents (`manage.py
reporting_rebuild` does every day), `facts_refresh` recomputes the days touched by documents
written since the last refresh (new tickets, and the day of a ticket voided since). A day is
always rebuilt whole (delete then insert in one transaction), so a refresh that runs twice, or
a rebuild after a refresh, gives the same rows (tests/reporting/test_facts.py)."""

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, ExtractHour, ExtractMinute
from django.utils import timezone

from billing.models import FolioLine, JournalEntry, Ticket, TicketLine
from core.models import Property
from core.money import ZERO
from pms.models import Reservation
from pos.models import Order, Outlet
from reporting.models import (
    BasketFact,
    DepartureFact,
    FactsWatermark,
    FolioFact,
    ProductFact,
    RoomFact,
    SalesFact,
    StayFact,
)

# a transaction open when a refresh starts may commit documents dated a little earlier:
# every refresh looks this far back again (rebuilding a day twice is harmless)
SAFETY_MARGIN = timedelta(minutes=10)
MONEY = DecimalField(max_digits=14, decimal_places=2)
TOURIST_TAX = "tourist_tax"
ACCOMMODATION = "accommodation"
RECEIPTED_SOURCE_PREFIX = "pos.ticketline:"  # a POS line charged to a room: its ticket counts
EXTRA_SOURCE_PREFIX = "pms.extra:"  # an extra booked with the stay (booking engine, desk)


def _voided(property: Property):
    return JournalEntry.objects.filter(
        property=property,
        chain=JournalEntry.Chain.FISCAL,
        kind=JournalEntry.Kind.VOID,
        document_type="billing.ticket",
    ).values_list("document_id", flat=True)


def facts_rebuild(*, property: Property, days: Iterable[date] | None = None) -> int:
    """Recompute the facts of `days` (every day with a ticket when None) from the documents.
    Returns the number of days rebuilt."""
    tz = property.tz
    tickets = Ticket.objects.filter(property=property).exclude(
        pk__in=[int(i) for i in _voided(property)]
    )
    if days is not None:
        days = sorted(set(days))
        if not days:
            return 0
        tickets = tickets.filter(business_date__in=days)
    lines = TicketLine.objects.filter(ticket__in=tickets.values("pk")).exclude(
        revenue_category=TOURIST_TAX
    )
    sales = [
        SalesFact(
            property=property,
            day=r["ticket__business_date"],
            outlet=r["ticket__outlet"],
            terminal=r["ticket__terminal"],
            cashier_id=r["ticket__cashier"],
            category=r["revenue_category"],
            hour=r["hour"],
            net=r["net"],
            discount=r["disc"],
        )
        for r in lines.annotate(hour=ExtractHour("ticket__created_at", tzinfo=tz))
        .values(
            "ticket__business_date",
            "ticket__outlet",
            "ticket__terminal",
            "ticket__cashier",
            "revenue_category",
            "hour",
        )
        .annotate(net=Sum("net"), disc=Sum("discount"))
        .order_by()
    ]
    products = [
        ProductFact(
            property=property,
            day=r["ticket__business_date"],
            description=r["description"],
            net=r["net"],
            quantity=r["qty"],
        )
        for r in lines.values("ticket__business_date", "description")
        .annotate(net=Sum("net"), qty=Sum("quantity"))
        .order_by()
    ]
    baskets = [
        BasketFact(
            property=property,
            day=r["business_date"],
            outlet=r["outlet"],
            status=r["status"],
            outlet_kind=r["order__outlet__kind"] or "",
            tickets=r["n"],
            net=r["net"],
            covers=r["covers"],
        )
        for r in tickets.values("business_date", "outlet", "status", "order__outlet__kind")
        .annotate(
            n=Count("pk"),
            net=Sum(F("total") - F("total_vat"), output_field=MONEY),
            covers=Coalesce(Sum("order__covers"), 0),
        )
        .order_by()
    ]
    nights = FolioLine.objects.filter(folio__property=property, revenue_category="accommodation")
    if days is not None:
        nights = nights.filter(
            Q(service_date__in=days) | Q(service_date__isnull=True, business_date__in=days)
        )
    rooms = [
        RoomFact(
            property=property,
            day=r["night"],
            channel=r["channel"] or "",
            nights=r["sold"],
            revenue=r["net"],
        )
        # a room charge posted without a service date (by hand, by an outside system) counts
        # on its business date: a fact without a day broke the whole rebuild
        for r in nights.values(
            night=Coalesce("service_date", "business_date"),
            channel=F("folio__reservation__channel"),
        )
        .annotate(sold=Sum("quantity"), net=Sum("net"))
        .order_by()
    ]
    stays, departures = _stay_facts(property, days)
    folios = _folio_facts(property, days)
    touched = (
        days if days is not None else sorted({f.day for f in [*baskets, *rooms, *stays, *folios]})
    )
    facts = {
        SalesFact: sales,
        ProductFact: products,
        BasketFact: baskets,
        RoomFact: rooms,
        StayFact: stays,
        DepartureFact: departures,
        FolioFact: folios,
    }
    with transaction.atomic():
        for model, rows in facts.items():
            stale = model.objects.filter(property=property)
            if days is not None:
                stale = stale.filter(day__in=days)
            stale.delete()
            model.objects.bulk_create(rows, batch_size=2000)
    return len(touched)


def _stay_facts(
    property: Property, days: list[date] | None
) -> tuple[list[StayFact], list[DepartureFact]]:
    """The stays checked out on `days` (their departure day): nights, an extra bought, the spa
    used, the local minute of the check-out; and their folios' net per revenue category."""
    departed = Reservation.objects.filter(property=property, status=Reservation.Status.CHECKED_OUT)
    if days is not None:
        departed = departed.filter(departure__in=days)
    extras = FolioLine.objects.filter(folio=OuterRef("folio")).exclude(
        revenue_category__in=(ACCOMMODATION, TOURIST_TAX)
    )
    spa = Order.objects.filter(
        reservation=OuterRef("pk"),
        outlet__kind=Outlet.Kind.SPA,
        status__in=(Order.Status.PAID, Order.Status.CHARGED_TO_ROOM),
    )
    tz = property.tz
    minutes = ExtractHour("checked_out_at", tzinfo=tz) * 60 + ExtractMinute(
        "checked_out_at", tzinfo=tz
    )
    stays = [
        StayFact(
            property=property,
            day=departure,
            nights=(departure - arrival).days,
            has_extra=has_extra,
            has_spa=has_spa,
            checkout_minutes=at,
        )
        for arrival, departure, has_extra, has_spa, at in departed.annotate(
            has_extra=Exists(extras),
            has_spa=Exists(spa),
            minutes=Cast(minutes, IntegerField()),
        ).values_list("arrival", "departure", "has_extra", "has_spa", "minutes")
    ]
    departures = [
        DepartureFact(
            property=property,
            day=r["folio__reservation__departure"],
            category=r["revenue_category"],
            net=r["net"],
        )
        for r in FolioLine.objects.filter(folio__reservation__in=departed.values("pk"))
        .exclude(revenue_category=TOURIST_TAX)
        .values("folio__reservation__departure", "revenue_category")
        .annotate(net=Sum("net"))
        .order_by()
    ]
    return stays, departures


def _folio_facts(property: Property, days: list[date] | None) -> list[FolioFact]:
    """The folio lines of `days` (business date) outside the tickets and the tourist tax, per
    day; the booking engine's extras also per folio."""
    lines = (
        FolioLine.objects.filter(folio__property=property)
        .exclude(source__startswith=RECEIPTED_SOURCE_PREFIX)
        .exclude(revenue_category=TOURIST_TAX)
    )
    if days is not None:
        lines = lines.filter(business_date__in=days)
    engine = Q(source__startswith=EXTRA_SOURCE_PREFIX, folio__reservation__channel="booking_engine")
    return [
        FolioFact(
            property=property,
            day=r["business_date"],
            folio_id=r["engine_folio"],
            net=r["total"],
            engine_net=r["engine_total"],
        )
        for r in lines.annotate(
            engine_folio=Case(
                When(engine, then=F("folio_id")),
                default=Value(None),
                output_field=BigIntegerField(),
            )
        )
        .values("business_date", "engine_folio")
        .annotate(total=Sum("net"), engine_total=Coalesce(Sum("net", filter=engine), ZERO))
        .order_by()
    ]


def facts_refresh(
    *, property: Property, now: datetime | None = None, max_age: timedelta | None = None
) -> int:
    """Rebuild the days touched since the last refresh (all days the first time). Cheap when
    nothing changed: two indexed reads; with `max_age`, one read when the last refresh is
    younger than that (the dashboard: a page a minute old is fresh enough, beat does the rest).
    Returns the number of days rebuilt."""
    now = now or timezone.now()
    if max_age is not None:
        last = (
            FactsWatermark.objects.filter(property=property)
            .values_list("refreshed_at", flat=True)
            .first()
        )
        if last is not None and now - last < max_age:
            return 0
    with transaction.atomic():
        mark = FactsWatermark.objects.select_for_update().filter(property=property).first()
        if mark is None:
            count = facts_rebuild(property=property)
            FactsWatermark.objects.create(property=property, refreshed_at=now)
            return count
        since = mark.refreshed_at - SAFETY_MARGIN
        days = set(
            Ticket.objects.filter(property=property, created_at__gte=since)
            .values_list("business_date", flat=True)
            .distinct()
        )
        voided = JournalEntry.objects.filter(
            property=property,
            chain=JournalEntry.Chain.FISCAL,
            kind=JournalEntry.Kind.VOID,
            document_type="billing.ticket",
            # the business date bounds the scan to the (property, chain, business_date) index
            business_date__gte=property.business_date_at(since) - timedelta(days=1),
            created_at__gte=since,
        ).values_list("document_id", flat=True)
        ids = [int(i) for i in voided]
        if ids:
            days |= set(Ticket.objects.filter(pk__in=ids).values_list("business_date", flat=True))
        # room nights posted (or reversed) since: their nights
        days |= set(
            FolioLine.objects.filter(
                folio__property=property, revenue_category="accommodation", created_at__gte=since
            )
            .values_list("service_date", flat=True)
            .distinct()
        )
        # folio lines written since: their business day, and the departure day of a stay
        # already checked out whose folio they change; stays checked out since: theirs
        lines = FolioLine.objects.filter(folio__property=property, created_at__gte=since)
        days |= set(lines.values_list("business_date", flat=True).distinct())
        stays = Reservation.objects.filter(property=property)
        for touched in (
            stays.filter(checked_out_at__gte=since),
            stays.filter(status=Reservation.Status.CHECKED_OUT, folio__in=lines.values("folio")),
        ):
            days |= set(touched.values_list("departure", flat=True).distinct())
        days.discard(None)
        count = facts_rebuild(property=property, days=days) if days else 0
        mark.refreshed_at = now
        mark.save(update_fields=["refreshed_at"])
    return count
