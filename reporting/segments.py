"""Who is in a segment, as one SQL query (CRM-2).

The rules (crm.segments) need the guests' sales (billing) and stays (pms): crm may not read
them, so the evaluation lives here, in reporting, which reads every app. Each rule becomes a
condition on the guest row — a field, or `pk IN (a grouped subquery)` over the tickets or
reservations of the property — and the conditions are joined with AND or OR: counting a
segment, or listing its guests, is one statement the database plans as a whole (hash
aggregates over the property's ticket lines, not one subquery per guest). Sales of a profile
merged into another count for the one kept (tickets keep their frozen guest); voided tickets
do not count.
"""

import operator
from datetime import date
from decimal import Decimal
from functools import reduce

from django.db.models import Count, Exists, IntegerField, Max, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Cast, Coalesce

from billing.models import JournalEntry, Ticket, TicketLine
from core.models import Property
from crm.models import Guest, Segment
from pms.models import Reservation

STAYED = (Reservation.Status.IN_HOUSE, Reservation.Status.CHECKED_OUT)


def _voided_ticket_ids():
    return (
        JournalEntry.objects.filter(kind=JournalEntry.Kind.VOID, document_type="billing.ticket")
        .annotate(ticket_pk=Cast("document_id", IntegerField()))
        .values("ticket_pk")
    )


def _stays(property: Property):
    return Reservation.objects.filter(property=property, status__in=STAYED)


def _spent(property: Property, rule: dict) -> Q:
    if rule.get("category"):
        # a revenue category is on the lines: their totals
        sales, ticket = TicketLine.objects.filter(revenue_category=rule["category"]), "ticket__"
        voided = Q(ticket_id__in=_voided_ticket_ids())
    else:
        # every category: the tickets' totals, the sum of their lines (ticket_issue writes both
        # in one go and neither is ever changed), without reading the lines at all — half the
        # rows and no join (issue 24's 1,000,000 lines)
        sales, ticket = Ticket.objects.all(), ""
        voided = Q(pk__in=_voided_ticket_ids())
    sales = sales.filter(
        **{f"{ticket}property": property, f"{ticket}guest__isnull": False}
    ).exclude(voided)
    if rule.get("outlet"):
        sales = sales.filter(**{f"{ticket}outlet": rule["outlet"]})
    if rule.get("from"):
        sales = sales.filter(**{f"{ticket}business_date__gte": date.fromisoformat(rule["from"])})
    if rule.get("to"):
        sales = sales.filter(**{f"{ticket}business_date__lte": date.fromisoformat(rule["to"])})
    if rule.get("during_last_stay"):
        # sold while the guest was staying (the ticket's business day within a stay)
        sales = sales.filter(
            Exists(
                _stays(property).filter(
                    guest_id=OuterRef(f"{ticket}guest_id"),
                    arrival__lte=OuterRef(f"{ticket}business_date"),
                    departure__gte=OuterRef(f"{ticket}business_date"),
                )
            )
        )
    # a merged profile's sales count for the one kept (the ticket keeps its frozen guest)
    spenders = (
        sales.annotate(profile=Coalesce(f"{ticket}guest__merged_into_id", f"{ticket}guest_id"))
        .order_by()
        .values("profile")
        .annotate(spent=Sum("total"))
        .filter(spent__gt=Decimal(rule["min"]))
        .values("profile")
    )
    return Q(pk__in=spenders)


def _condition(property: Property, rule: dict) -> Q:
    kind = rule["type"]
    if kind == "spent":
        return _spent(property, rule)
    if kind == "visits":
        return Q(
            pk__in=_stays(property)
            .order_by()
            .values("guest_id")
            .annotate(n=Count("pk"))
            .filter(n__gte=rule["min"])
            .values("guest_id")
        )
    if kind == "stayed":
        return Q(
            pk__in=_stays(property)
            .filter(
                arrival__lte=date.fromisoformat(rule["to"]),
                departure__gte=date.fromisoformat(rule["from"]),
            )
            .values("guest_id")
        )
    if kind == "last_stay_before":
        return Q(
            pk__in=_stays(property)
            .order_by()
            .values("guest_id")
            .annotate(last=Max("departure"))
            .filter(last__lt=date.fromisoformat(rule["date"]))
            .values("guest_id")
        )
    if kind == "language":
        return Q(language=rule["value"])
    if kind == "company":
        return Q(company_id=rule["value"])
    if kind == "consent":
        return Q(marketing_opt_in=True)
    raise ValueError(kind)  # crm.segments refused it before it was saved


def segment_guests(*, property: Property, match: str, rules: list[dict]) -> QuerySet[Guest]:
    """The guests the rules select (not evaluated: count it, or read its ids — one query).
    `rules` are as crm.segments.segment_rules_clean returns them."""
    conditions = [_condition(property, rule) for rule in rules]
    combined = reduce(operator.or_ if match == Segment.Match.ANY else operator.and_, conditions)
    return Guest.objects.filter(
        combined, organization_id=property.organization_id, merged_into__isnull=True
    )


def segment_count(*, segment: Segment) -> int:
    """How many guests `segment` selects now: one COUNT query."""
    return segment_guests(
        property=segment.property, match=segment.match, rules=segment.rules
    ).count()
