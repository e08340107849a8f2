"""A guest's profile figures, read from the documents (CRM-1).

crm may not read billing's rows (billing imports crm), so the figures are not kept in crm:
reporting, the top layer, computes them here in SQL from the tickets, folio lines and
reservations of the guest and of the profiles merged into it. Always right (no counter to
drift under retries or refunds), a handful of aggregate queries per profile; every filter
is on an indexed foreign key (ticket.guest, folio.guest, reservation.guest).
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Avg, Count, F, Max, Sum

from billing.models import FolioLine, JournalEntry, Ticket, TicketLine
from core.money import ZERO
from crm.models import Consent, GiftCard, Guest, LoyaltyAccount
from pms.models import Reservation

RECEIPTED_PREFIX = "pos.ticketline:"  # folio lines that are POS tickets already counted
STAYED = (Reservation.Status.IN_HOUSE, Reservation.Status.CHECKED_OUT)


@dataclass
class GuestProfile:
    guest: Guest
    spend_by_category: list[tuple[str, Decimal]] = field(default_factory=list)
    spend_by_outlet: list[tuple[str, Decimal]] = field(default_factory=list)
    total_spend: Decimal = ZERO
    visits: int = 0
    nights: int = 0
    last_stay: date | None = None
    average_basket: Decimal | None = None
    points: int = 0
    timeline: list[dict] = field(default_factory=list)


def _profile_ids(guest: Guest) -> list[int]:
    return [guest.pk, *Guest.objects.filter(merged_into=guest).values_list("pk", flat=True)]


def guest_profile(*, guest: Guest, timeline_limit: int = 50) -> GuestProfile:
    """The figures and the timeline of `guest` (and its merged profiles). Voided tickets
    do not count; room-charged POS sales count once (as tickets, not again as folio lines)."""
    ids = _profile_ids(guest)
    tickets = Ticket.objects.filter(guest_id__in=ids)
    voided = [
        int(pk)
        for pk in JournalEntry.objects.filter(
            kind=JournalEntry.Kind.VOID,
            document_type="billing.ticket",
            document_id__in=[str(pk) for pk in tickets.values_list("pk", flat=True)],
        ).values_list("document_id", flat=True)
    ]
    tickets = tickets.exclude(pk__in=voided)
    by_category: dict[str, Decimal] = {}
    for category, total in (
        TicketLine.objects.filter(ticket__in=tickets)
        .values_list("revenue_category")
        .annotate(total=Sum("total"))
        .order_by()
    ):
        by_category[category] = by_category.get(category, ZERO) + total
    for category, total in (
        FolioLine.objects.filter(folio__guest_id__in=ids)
        .exclude(source__startswith=RECEIPTED_PREFIX)
        .values_list("revenue_category")
        .annotate(total=Sum("total"))
        .order_by()
    ):
        by_category[category] = by_category.get(category, ZERO) + total
    by_outlet = list(
        tickets.values_list("outlet").annotate(total=Sum("total")).order_by("-total", "outlet")
    )
    basket = tickets.aggregate(avg=Avg("total"))["avg"]
    stays = Reservation.objects.filter(guest_id__in=ids, status__in=STAYED)
    stay_figures = stays.aggregate(
        visits=Count("pk"), last=Max("departure"), nights=Sum(F("departure") - F("arrival"))
    )
    nights = stay_figures["nights"]
    profile = GuestProfile(
        guest=guest,
        spend_by_category=sorted(by_category.items(), key=lambda kv: (-kv[1], kv[0])),
        spend_by_outlet=by_outlet,
        total_spend=sum(by_category.values(), ZERO),
        visits=stay_figures["visits"] or 0,
        nights=nights.days if nights is not None else 0,
        last_stay=stay_figures["last"],
        average_basket=Decimal(basket).quantize(Decimal("0.01")) if basket is not None else None,
        points=LoyaltyAccount.objects.filter(guest=guest).values_list("balance", flat=True).first()
        or 0,
    )
    events = []
    for ref, arrival, departure, status in (
        Reservation.objects.filter(guest_id__in=ids)
        .order_by("-arrival")
        .values_list("reference", "arrival", "departure", "status")[:timeline_limit]
    ):
        events.append(
            {
                "day": arrival,
                "kind": "stay",
                "text": f"{ref} · {arrival} → {departure}",
                "status": status,
            }
        )
    for number, day, outlet, total in tickets.order_by("-business_date", "-pk").values_list(
        "number", "business_date", "outlet", "total"
    )[:timeline_limit]:
        events.append(
            {"day": day, "kind": "sale", "text": f"{outlet} · {total} €", "status": number}
        )
    for given, source, created in Consent.objects.filter(guest_id__in=ids).values_list(
        "given", "source", "created_at"
    )[:timeline_limit]:
        events.append({"day": created.date(), "kind": "consent", "text": source, "status": given})
    for kind, amount, created in GiftCard.objects.filter(guest_id__in=ids).values_list(
        "kind", "initial_amount", "created_at"
    )[:timeline_limit]:
        events.append(
            {"day": created.date(), "kind": "gift_card", "text": f"{amount} €", "status": kind}
        )
    profile.timeline = sorted(events, key=lambda e: e["day"], reverse=True)[:timeline_limit]
    return profile
