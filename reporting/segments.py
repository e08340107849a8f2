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

from billing.models import JournalEntry, TicketLine
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
    lines = TicketLine.objects.filter(ticket__property=property, ticket__guest__isnull=False)
    if rule.get("category"):
        lines = lines.filter(revenue_category=rule["category"])
    if rule.get("outlet"):
        lines = lines.filter(ticket__outlet=rule["outlet"])
    if rule.get("from"):
        lines = lines.filter(ticket__business_date__gte=date.fromisoformat(rule["from"]))
    if rule.get("to"):
        lines = lines.filter(ticket__business_date__lte=date.fromisoformat(rule["to"]))
    if rule.get("during_last_stay"):
        # sold while the guest was staying (the ticket's business day within a stay)
        lines = lines.filter(
            Exists(
                _stays(property).filter(
                    guest_id=OuterRef("ticket__guest_id"),
                    arrival__lte=OuterRef("ticket__business_date"),
                    departure__gte=OuterRef("ticket__business_date"),
                )
            )
        )
    lines = lines.exclude(ticket_id__in=_voided_ticket_ids())
    spenders = (
        lines.annotate(profile=Coalesce("ticket__guest__merged_into_id", "ticket__guest_id"))
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
