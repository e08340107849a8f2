from decimal import Decimal

from django.db.models import Sum

from billing.models import (
    FolioLine,
    JournalEntry,
    NumberSequence,
    Payment,
    Ticket,
    TicketLine,
    TicketVat,
)
from core.models import AuditEntry
from inventory.models import CapacityAllocation, CapacityBucket
from inventory.services.pricing import QuoteLineInput
from pos.models import Order


def line(product, quantity="1", **kw) -> QuoteLineInput:
    return QuoteLineInput(product_id=product.pk, quantity=Decimal(quantity), **kw)


def snapshot() -> dict:
    """Every row a sale may write, counted (and the sold counters summed)."""
    return {
        "orders": Order.objects.count(),
        "tickets": Ticket.objects.count(),
        "ticket_lines": TicketLine.objects.count(),
        "ticket_vat": TicketVat.objects.count(),
        "payments": Payment.objects.count(),
        "folio_lines": FolioLine.objects.count(),
        "allocations": CapacityAllocation.objects.count(),
        "sold": CapacityBucket.objects.aggregate(s=Sum("sold"))["s"] or 0,
        "audit": AuditEntry.objects.count(),
        "journal": JournalEntry.objects.count(),
        "sequence": list(NumberSequence.objects.values_list("series", "next_value")),
    }


def due(property, lines) -> Decimal:
    """What the POS charges for `lines` today (the demo's low-season rule changes extras)."""
    from inventory.models import Channel
    from inventory.services.pricing import quote

    return quote(property=property, channel=Channel.POS, lines=lines).total


def cash(property, lines):
    from billing.services.payments import TenderInput

    return [TenderInput(method="cash", amount=due(property, lines))]


def required_choices(product) -> dict:
    """The POST fields that answer each required modifier group of `product` with its first
    choice (the rib-eye's cooking): a tab line without them is refused."""
    return {
        f"modifier_{group.pk}": group.modifiers.order_by("pk").first().pk
        for group in product.modifier_groups.filter(min_choices__gte=1)
    }


def required_modifier_ids(product) -> list[int]:
    """`required_choices` as the ids tab_add_line takes."""
    return list(required_choices(product).values())


def count_queries(run) -> int:
    """The SQL statements `run()` sends."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        run()
    return len(ctx.captured_queries)
