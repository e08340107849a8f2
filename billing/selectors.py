"""Reads of billing, scoped to a property, in a constant number of queries."""

import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from billing.models import Folio, FolioLine, Invoice, JournalEntry, Payment, Ticket
from core.exceptions import NotFound
from core.models import Property
from core.money import ZERO


@dataclass
class FolioDetail:
    folio: Folio
    lines: list[FolioLine]
    payments: list[Payment]
    vat: list[dict]  # [{rate, net, vat, gross}], highest rate first
    charges: Decimal
    paid: Decimal

    @property
    def balance(self) -> Decimal:
        return self.charges - self.paid


def folio_detail(*, property: Property, public_id: uuid.UUID | str) -> FolioDetail:
    """A folio of `property` with its lines, payments, VAT per rate, totals and balance.

    Three queries whatever the number of lines. Raises NotFound (404) for a folio of another
    property or an unknown id (we do not confirm other tenants' folios exist).
    """
    try:
        public_id = uuid.UUID(str(public_id))
    except ValueError:
        raise NotFound(_("No such folio."))
    folio = Folio.objects.filter(property=property, public_id=public_id).first()
    if folio is None:
        raise NotFound(_("No such folio."))
    lines = list(folio.lines.order_by("business_date", "pk"))
    payments = list(folio.payments.order_by("created_at", "pk"))
    vat: dict[Decimal, dict[str, Decimal]] = {}
    for line in lines:
        if line.revenue_category == "tourist_tax" and line.vat_rate == 0:
            continue  # the tourist tax is not a sale: outside the VAT breakdown
        row = vat.setdefault(line.vat_rate, {"net": ZERO, "vat": ZERO, "gross": ZERO})
        row["net"] += line.net
        row["vat"] += line.vat_amount
        row["gross"] += line.total
    return FolioDetail(
        folio=folio,
        lines=lines,
        payments=payments,
        vat=[{"rate": rate, **row} for rate, row in sorted(vat.items(), reverse=True)],
        charges=sum((line.total for line in lines), ZERO),
        paid=sum((p.amount for p in payments), ZERO),
    )


def ticket_get(*, property: Property, number: int) -> Ticket | None:
    """A ticket of `property` by number, with its lines, VAT rows and payments."""
    return (
        Ticket.objects.filter(property=property, number=number)
        .prefetch_related("lines", "vat_lines", "payments")
        .first()
    )


def tickets_voided(*, property: Property, tickets) -> set[int]:
    """The pks of `tickets` cancelled by a VOID entry (a refund): one query. A ticket never
    changes, so its state after a refund is read from the journal, not from its row."""
    ids = [str(t.pk) for t in tickets]
    if not ids:
        return set()
    return {
        int(pk)
        for pk in JournalEntry.objects.filter(
            property=property,
            chain=JournalEntry.Chain.FISCAL,
            kind=JournalEntry.Kind.VOID,
            document_type="billing.ticket",
            document_id__in=ids,
        ).values_list("document_id", flat=True)
    }


def ticket_state_label(ticket: Ticket, *, voided: bool) -> str:
    """What a person reads as a ticket's state: Paid, Charged to room, Refunded, Cancelled."""
    if not voided:
        return ticket.get_status_display()
    if ticket.status == Ticket.Status.PAID:
        return _("Refunded")
    return _("Cancelled")


def invoice_state_label(invoice: Invoice) -> str:
    """What a person reads as an invoice's state, from `credited` (the sum of its credit
    notes, negative; annotated by the caller): Issued, Partly credited, Credited."""
    if invoice.kind != Invoice.Kind.INVOICE:
        return str(Invoice.Kind(invoice.kind).label)
    credited = getattr(invoice, "credited", None) or 0
    if not credited:
        return _("Issued")
    if invoice.total + credited <= 0:
        return _("Credited")
    return _("Partly credited")


def open_balances(*, property: Property) -> list[Folio]:
    """Folios of departed stays whose balance is not settled (left open on a manager's PIN
    or transferred to a company's account), oldest first, with `charges`, `paid` and
    `balance`: three queries whatever the number of folios."""
    from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
    from django.db.models.functions import Coalesce

    def total(model, field):
        return Coalesce(
            Subquery(
                model.objects.filter(folio=OuterRef("pk"))
                .order_by()
                .values("folio")
                .annotate(t=Sum(field))
                .values("t")
            ),
            Value(ZERO),
            output_field=DecimalField(max_digits=14, decimal_places=2),
        )

    folios = list(
        Folio.objects.filter(
            property=property, status=Folio.Status.OPEN, left_open_at__isnull=False
        )
        # the stay (pms' reverse one-to-one, by name: billing imports nothing of pms)
        .select_related("company", "guest", "left_open_by", "reservation")
        .annotate(charges=total(FolioLine, "total"), paid=total(Payment, "amount"))
        .order_by("left_open_at", "pk")
    )
    for folio in folios:
        folio.balance = folio.charges - folio.paid
    return [f for f in folios if f.balance != 0]
