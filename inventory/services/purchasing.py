"""Suppliers and purchasing (INV-5): purchase orders (draft → sent by e-mail as a PDF →
partly or fully received), goods receipts that raise levels at their weighted average cost,
supplier invoices recorded against receipts, and the order the reorder points suggest."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.exceptions import InvalidInput
from core.models import Property
from core.outbox import outbox_enqueue
from inventory.models import (
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseOrderLine,
    StockLevel,
    StockLocation,
    Supplier,
    SupplierInvoice,
    SupplierItem,
)
from inventory.services.stock import COST_QUANTUM, QUANTUM, stock_receive

EMAIL_TASK = "inventory.tasks.purchase_order_email_task"
Status = PurchaseOrder.Status


@dataclass(frozen=True)
class OrderLine:
    supplier_item_id: int
    packs: Decimal


def purchase_order_create(
    *,
    property: Property,
    supplier_id: int,
    location_id: int,
    lines: Sequence[OrderLine],
    actor,
    key: str = "",
) -> PurchaseOrder:
    """A draft order of the supplier's packs at their current prices, numbered per property.
    `key` (the form's one-time key of an order typed by hand): a double tap drafts once."""
    key = (key or "")[:64]
    if key:
        existing = PurchaseOrder.objects.filter(property=property, key=key).first()
        if existing is not None:
            return existing
    supplier = Supplier.objects.filter(property=property, pk=supplier_id).first()
    location = StockLocation.objects.filter(property=property, pk=location_id).first()
    if supplier is None or location is None:
        raise InvalidInput(_("Unknown supplier or location for this property."))
    offers = {
        s.pk: s
        for s in SupplierItem.objects.filter(
            supplier=supplier, pk__in=[line.supplier_item_id for line in lines]
        )
    }
    wanted = [line for line in lines if line.packs and line.packs > 0]
    if not wanted:
        raise InvalidInput(_("Order at least one pack."))
    if any(line.supplier_item_id not in offers for line in wanted):
        raise InvalidInput(_("This supplier does not sell one of these items."))
    with transaction.atomic():
        PurchaseOrder.objects.select_for_update().filter(property=property).exists()
        number = (
            PurchaseOrder.objects.filter(property=property).aggregate(n=Max("number"))["n"] or 0
        ) + 1
        order = PurchaseOrder.objects.create(
            property=property,
            supplier=supplier,
            location=location,
            number=number,
            created_by=actor,
            expected_on=property.business_date() + timedelta(days=supplier.lead_time_days),
            key=key,
        )
        PurchaseOrderLine.objects.bulk_create(
            [
                PurchaseOrderLine(
                    order=order,
                    item_id=offers[line.supplier_item_id].item_id,
                    pack_label=offers[line.supplier_item_id].pack_label,
                    pack_size=offers[line.supplier_item_id].pack_size,
                    pack_price=offers[line.supplier_item_id].pack_price,
                    packs=Decimal(line.packs).quantize(QUANTUM),
                )
                for line in wanted
            ]
        )
    return order


def purchase_order_send(*, order: PurchaseOrder, actor) -> PurchaseOrder:
    """Mark a draft sent and e-mail its PDF to the supplier after commit (the outbox)."""
    if not order.supplier.email:
        raise InvalidInput(_("Give the supplier an e-mail address first."))
    with transaction.atomic():
        locked = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
        if locked.status != Status.DRAFT:
            raise InvalidInput(_("Only a draft order can be sent."))
        locked.status = Status.SENT
        locked.sent_at = timezone.now()
        locked.save(update_fields=["status", "sent_at", "updated_at"])
        outbox_enqueue(task=EMAIL_TASK, kwargs={"order_id": locked.pk}, property=locked.property)
    return locked


def order_total(order: PurchaseOrder) -> Decimal:
    return sum(
        (line.packs * line.pack_price for line in order.lines.all()), Decimal("0.00")
    ).quantize(Decimal("0.01"), ROUND_HALF_UP)


def purchase_order_pdf(*, order: PurchaseOrder, language: str | None = None) -> bytes:
    """The order as the supplier receives it (WeasyPrint, as the invoices)."""
    from weasyprint import HTML

    language = language or order.property.default_language
    with translation.override(language):
        html = render_to_string(
            "inventory/pdf/purchase_order.html",
            {
                "order": order,
                "lines": list(order.lines.select_related("item")),
                "total": order_total(order),
                "LANGUAGE_CODE": language,
            },
        )
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def purchase_order_email_send(*, order: PurchaseOrder) -> bool:
    """Send the PDF to the supplier. Not transactional: called by the outbox task."""
    if not order.supplier.email:
        return False
    language = order.property.default_language
    pdf = purchase_order_pdf(order=order, language=language)
    with translation.override(language):
        subject = _("Purchase order %(number)s from %(property)s") % {
            "number": order.number,
            "property": order.property.name,
        }
        body = _("Please find attached our purchase order %(number)s.") % {"number": order.number}
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[order.supplier.email],
    )
    message.attach(f"PO-{order.number}.pdf", pdf, "application/pdf")
    message.send()
    return True


def goods_receive(
    *,
    order: PurchaseOrder,
    received: dict[int, Decimal],
    actor,
    delivery_note: str = "",
    costs: dict[int, Decimal] | None = None,
) -> GoodsReceipt:
    """Receive packs of a sent order's lines ({line: packs}); the levels rise at the order's
    location, each item's average cost follows the price paid (`costs` {line: pack price}
    when the delivery's price differs) and the order becomes partly or fully received."""
    costs = costs or {}
    with transaction.atomic():
        order = (
            PurchaseOrder.objects.select_for_update().select_related("property").get(pk=order.pk)
        )
        if order.status not in (Status.SENT, Status.PARTLY_RECEIVED):
            raise InvalidInput(_("Only a sent order can be received."))
        lines = {line.pk: line for line in order.lines.all()}
        wanted = {pk: Decimal(p) for pk, p in received.items() if p}
        if not wanted:
            raise InvalidInput(_("Enter what was delivered."))
        if any(pk not in lines for pk in wanted) or any(p < 0 for p in wanted.values()):
            raise InvalidInput(_("This delivery does not match the order."))
        receipt = GoodsReceipt.objects.create(
            property=order.property,
            supplier_id=order.supplier_id,
            order=order,
            location_id=order.location_id,
            delivery_note=delivery_note[:50],
            received_by=actor,
        )
        rows, stock_lines, total = [], [], Decimal("0.00")
        for pk, packs in wanted.items():
            line = lines[pk]
            pack_price = Decimal(costs.get(pk, line.pack_price))
            quantity = (packs * line.pack_size).quantize(QUANTUM)
            unit_cost = (pack_price / line.pack_size).quantize(COST_QUANTUM, ROUND_HALF_UP)
            rows.append(
                GoodsReceiptLine(
                    receipt=receipt,
                    order_line=line,
                    item_id=line.item_id,
                    quantity=quantity,
                    unit_cost=unit_cost,
                )
            )
            stock_lines.append((line.item_id, quantity, unit_cost))
            total += packs * pack_price
            PurchaseOrderLine.objects.filter(pk=pk).update(
                packs_received=F("packs_received") + packs
            )
        GoodsReceiptLine.objects.bulk_create(rows)
        receipt.total = total.quantize(Decimal("0.01"), ROUND_HALF_UP)
        receipt.save(update_fields=["total"])
        stock_receive(
            property=order.property,
            location_id=order.location_id,
            lines=stock_lines,
            reference=f"stock.receipt:{receipt.pk}",
            actor=actor,
        )
        complete = all(line.packs_received >= line.packs for line in order.lines.all())
        order.status = Status.RECEIVED if complete else Status.PARTLY_RECEIVED
        order.save(update_fields=["status", "updated_at"])
    return receipt


@dataclass(frozen=True)
class DeliveryLine:
    """Packs of a supplier's offer delivered without an order; `pack_price` None: the offer's."""

    supplier_item_id: int
    packs: Decimal
    pack_price: Decimal | None = None


def goods_receive_direct(
    *,
    property: Property,
    supplier_id: int,
    location_id: int,
    lines: Sequence[DeliveryLine],
    actor,
    key: str,
    delivery_note: str = "",
) -> GoodsReceipt:
    """A delivery that came without a purchase order (the baker's morning round): the
    levels rise at `location_id` and each item's weighted average cost follows the price
    paid, as for an order's delivery. Idempotent by `key` (a double tap records once)."""
    key = (key or "").strip()[:64]
    if not key:
        raise InvalidInput(_("Reload the page and try again."))
    existing = GoodsReceipt.objects.filter(property=property, key=key).first()
    if existing is not None:
        return existing
    supplier = Supplier.objects.filter(property=property, pk=supplier_id).first()
    location = StockLocation.objects.filter(property=property, pk=location_id).first()
    if supplier is None or location is None:
        raise InvalidInput(_("Unknown supplier or location for this property."))
    if any(line.packs is None or line.packs < 0 for line in lines):
        raise InvalidInput(_("A delivered quantity cannot be negative."))
    if any(line.pack_price is not None and line.pack_price < 0 for line in lines):
        raise InvalidInput(_("A price cannot be negative."))
    wanted = [line for line in lines if line.packs]
    if not wanted:
        raise InvalidInput(_("Enter what was delivered."))
    offers = {
        o.pk: o
        for o in SupplierItem.objects.filter(
            supplier=supplier, pk__in=[line.supplier_item_id for line in wanted]
        )
    }
    if any(line.supplier_item_id not in offers for line in wanted):
        raise InvalidInput(_("This supplier does not sell one of these items."))
    try:
        return _receive_direct(
            property, supplier, location, wanted, offers, actor, key, delivery_note
        )
    except IntegrityError:  # the same key committed meanwhile (two taps at once)
        return GoodsReceipt.objects.get(property=property, key=key)


def _receive_direct(property, supplier, location, wanted, offers, actor, key, delivery_note):
    with transaction.atomic():
        receipt = GoodsReceipt.objects.create(
            property=property,
            supplier=supplier,
            location=location,
            delivery_note=delivery_note[:50],
            received_by=actor,
            key=key,
        )
        rows, stock_lines, total = [], [], Decimal("0.00")
        for line in wanted:
            offer = offers[line.supplier_item_id]
            pack_price = offer.pack_price if line.pack_price is None else line.pack_price
            quantity = (Decimal(line.packs) * offer.pack_size).quantize(QUANTUM)
            unit_cost = (pack_price / offer.pack_size).quantize(COST_QUANTUM, ROUND_HALF_UP)
            rows.append(
                GoodsReceiptLine(
                    receipt=receipt, item_id=offer.item_id, quantity=quantity, unit_cost=unit_cost
                )
            )
            stock_lines.append((offer.item_id, quantity, unit_cost))
            total += Decimal(line.packs) * pack_price
        GoodsReceiptLine.objects.bulk_create(rows)
        receipt.total = total.quantize(Decimal("0.01"), ROUND_HALF_UP)
        receipt.save(update_fields=["total"])
        stock_receive(
            property=property,
            location_id=location.pk,
            lines=stock_lines,
            reference=f"stock.receipt:{receipt.pk}",
            actor=actor,
        )
    return receipt


def invoice_difference(invoice: SupplierInvoice) -> Decimal:
    """What the supplier bills (excl. VAT) beyond what the deliveries it charges were worth
    at receipt (negative: less). Uses `receipts_total` when the list annotated it."""
    received = getattr(invoice, "receipts_total", None)
    if received is None:
        received = sum((r.total for r in invoice.receipts.all()), Decimal("0.00"))
    return (invoice.total_excl_vat - (received or Decimal("0.00"))).quantize(Decimal("0.01"))


def supplier_invoice_record(
    *,
    property: Property,
    supplier_id: int,
    number: str,
    issued_on,
    total_excl_vat: Decimal,
    total_incl_vat: Decimal,
    receipt_ids: Sequence[int],
    actor,
) -> SupplierInvoice:
    """Record the supplier's bill against the deliveries it charges (each of that supplier)."""
    number = (number or "").strip()
    if not number:
        raise InvalidInput(_("Give the invoice's number."))
    if total_excl_vat < 0 or total_incl_vat < total_excl_vat:
        raise InvalidInput(_("The total including VAT cannot be less than without it."))
    receipts = list(
        GoodsReceipt.objects.filter(property=property, supplier_id=supplier_id, pk__in=receipt_ids)
    )
    if not receipts or len(receipts) != len(set(receipt_ids)):
        raise InvalidInput(_("Choose the deliveries of this supplier that the invoice charges."))
    with transaction.atomic():
        if SupplierInvoice.objects.filter(supplier_id=supplier_id, number=number).exists():
            raise InvalidInput(_("This invoice is already recorded."))
        invoice = SupplierInvoice.objects.create(
            property=property,
            supplier_id=supplier_id,
            number=number[:50],
            issued_on=issued_on,
            total_excl_vat=total_excl_vat,
            total_incl_vat=total_incl_vat,
            recorded_by=actor,
        )
        invoice.receipts.set(receipts)
    return invoice


@dataclass(frozen=True)
class Suggestion:
    level: StockLevel
    offer: SupplierItem | None
    packs: Decimal


def reorder_suggestions(*, property: Property) -> list[Suggestion]:
    """Every level at or below its reorder point, with the packs that bring it back to its
    par level (or to twice the reorder point) from its cheapest supplier per base unit."""
    levels = list(
        StockLevel.objects.filter(
            property=property, reorder_point__isnull=False, quantity__lte=F("reorder_point")
        ).select_related("item", "location")
    )
    offers: dict[int, list[SupplierItem]] = defaultdict(list)
    for offer in SupplierItem.objects.filter(
        supplier__property=property,
        supplier__is_active=True,
        item_id__in={lv.item_id for lv in levels},
    ).select_related("supplier"):
        offers[offer.item_id].append(offer)
    out = []
    for level in levels:
        target = level.par_level if level.par_level is not None else 2 * level.reorder_point
        short = max(target - level.quantity, Decimal(0))
        best = min(offers[level.item_id], key=lambda o: o.pack_price / o.pack_size, default=None)
        packs = Decimal(0)
        if best is not None and short > 0:
            packs = (short / best.pack_size).to_integral_value(rounding="ROUND_CEILING")
        out.append(Suggestion(level=level, offer=best, packs=packs))
    return out


def purchase_orders_suggest(*, property: Property, actor) -> list[PurchaseOrder]:
    """Draft one order per supplier and location from the reorder suggestions."""
    grouped: dict[tuple[int, int], list[OrderLine]] = defaultdict(list)
    for s in reorder_suggestions(property=property):
        if s.offer is not None and s.packs > 0:
            grouped[(s.offer.supplier_id, s.level.location_id)].append(
                OrderLine(supplier_item_id=s.offer.pk, packs=s.packs)
            )
    return [
        purchase_order_create(
            property=property, supplier_id=supplier, location_id=location, lines=lines, actor=actor
        )
        for (supplier, location), lines in sorted(grouped.items())
    ]
