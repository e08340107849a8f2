"""Derived daily facts: the POS sales and the posted room nights summed per day, so a year's
dashboard reads a few thousand rows instead of a million ticket lines.

They are derived only: `facts_rebuild` recomputes days from the documents (`manage.py
reporting_rebuild` does every day), `facts_refresh` recomputes the days touched by documents
written since the last refresh (new tickets, and the day of a ticket voided since). A day is
always rebuilt whole (delete then insert in one transaction), so a refresh that runs twice, or
a rebuild after a refresh, gives the same rows (tests/reporting/test_facts.py)."""

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Count, DecimalField, F, Sum
from django.db.models.functions import Coalesce, ExtractHour
from django.utils import timezone

from billing.models import FolioLine, JournalEntry, Ticket, TicketLine
from core.models import Property
from reporting.models import BasketFact, FactsWatermark, ProductFact, RoomFact, SalesFact

# a transaction open when a refresh starts may commit documents dated a little earlier:
# every refresh looks this far back again (rebuilding a day twice is harmless)
SAFETY_MARGIN = timedelta(minutes=10)
MONEY = DecimalField(max_digits=14, decimal_places=2)
TOURIST_TAX = "tourist_tax"


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
        nights = nights.filter(service_date__in=days)
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
    touched = days if days is not None else sorted({f.day for f in [*baskets, *rooms]})
    facts = {SalesFact: sales, ProductFact: products, BasketFact: baskets, RoomFact: rooms}
    with transaction.atomic():
        for model, rows in facts.items():
            stale = model.objects.filter(property=property)
            if days is not None:
                stale = stale.filter(day__in=days)
            stale.delete()
            model.objects.bulk_create(rows, batch_size=2000)
    return len(touched)


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
        days.discard(None)
        count = facts_rebuild(property=property, days=days) if days else 0
        mark.refreshed_at = now
        mark.save(update_fields=["refreshed_at"])
    return count
