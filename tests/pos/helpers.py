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
