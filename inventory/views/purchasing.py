"""Purchasing screens under /manage/stock/ (INV-5): the orders with a manual draft order, the
deliveries with a delivery that came without an order, and the supplier invoices recorded
against deliveries with the difference shown. Thin: inventory.services.purchasing writes
(the order is then sent as a PDF by e-mail from its own page, through the outbox)."""

from decimal import Decimal
from uuid import uuid4

from django.contrib import messages
from django.db.models import DecimalField, ExpressionWrapper, F, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core import formatting
from core.exceptions import DomainError, InvalidInput
from core.scoping import capability_required
from inventory.models import (
    GoodsReceipt,
    PurchaseOrder,
    StockLocation,
    Supplier,
    SupplierInvoice,
)
from inventory.services.catalogue import parse_money
from inventory.services.purchasing import (
    DeliveryLine,
    OrderLine,
    goods_receive_direct,
    invoice_difference,
    purchase_order_create,
    supplier_invoice_record,
)
from inventory.services.stock_setup import parse_quantity
from inventory.views.catalogue import UNPROCESSABLE

ORDER_VALUE = ExpressionWrapper(
    F("lines__packs") * F("lines__pack_price"),
    output_field=DecimalField(max_digits=20, decimal_places=5),
)


def _chosen_supplier(request: HttpRequest) -> Supplier | None:
    """The supplier picked in the form (?supplier= on GET, supplier on POST), of this
    property only."""
    raw = request.POST.get("supplier") or request.GET.get("supplier") or ""
    if not raw.isdigit():
        return None
    return Supplier.objects.filter(property=request.property, pk=int(raw)).first()


def _offers(supplier: Supplier | None) -> list:
    if supplier is None:
        return []
    return list(supplier.items.select_related("item").order_by("item__name"))


def _purchase_page(request: HttpRequest, template: str, context: dict, error: str = ""):
    prop = request.property
    supplier = _chosen_supplier(request)
    return render(
        request,
        template,
        {
            "suppliers": Supplier.objects.filter(property=prop, is_active=True),
            "locations": StockLocation.objects.filter(property=prop, is_active=True),
            "supplier": supplier,
            "offers": _offers(supplier),
            "key": request.POST.get("key") or uuid4().hex,
            "error": error,
            "posted": request.POST if error else {},
            **context,
        },
        status=UNPROCESSABLE if error else 200,
    )


def _packs(request: HttpRequest, offers: list, *, with_price: bool) -> list:
    """The packs typed per offer (pack_<id>, and price_<id> when the price may differ)."""
    lines = []
    for offer in offers:
        packs = parse_quantity(
            request.POST.get(f"pack_{offer.pk}"),
            label=_("The number of packs of %(item)s") % {"item": offer.item.name},
            required=False,
        )
        if not packs:
            continue
        if not with_price:
            lines.append(OrderLine(supplier_item_id=offer.pk, packs=packs))
            continue
        raw = (request.POST.get(f"price_{offer.pk}") or "").strip()
        label = _("The price of %(item)s") % {"item": offer.item.name}
        price = parse_money(raw, label=label) if raw else None
        lines.append(DeliveryLine(supplier_item_id=offer.pk, packs=packs, pack_price=price))
    return lines


def _packs_post(request: HttpRequest, service, *, with_price: bool, **extra) -> tuple:
    """Call `service` (a manual order, a delivery without order) with the supplier, location,
    packs and one-time key typed: (its result, "") or (None, why it was refused)."""
    supplier = _chosen_supplier(request)
    try:
        return service(
            property=request.property,
            supplier_id=supplier.pk if supplier else 0,
            location_id=int(request.POST.get("location") or 0),
            lines=_packs(request, _offers(supplier), with_price=with_price),
            actor=request.user,
            key=request.POST.get("key", ""),
            **extra,
        ), ""
    except (DomainError, ValueError) as exc:
        return None, getattr(exc, "message", _("Check the form."))


@require_http_methods(["GET", "POST"])
@capability_required("manage")
def orders(request: HttpRequest) -> HttpResponse:
    """Every purchase order with its total; a draft typed by hand from a supplier's packs."""
    prop = request.property
    error = ""
    if request.method == "POST":
        order, error = _packs_post(request, purchase_order_create, with_price=False)
        if order is not None:
            messages.success(request, _("Draft order %(number)s saved.") % {"number": order.number})
            return redirect("stock:order", pk=order.pk)
    rows = (
        PurchaseOrder.objects.filter(property=prop)
        .select_related("supplier", "location")
        .annotate(total=Sum(ORDER_VALUE))
        .order_by("-number")[:100]
    )
    return _purchase_page(request, "inventory/stock/orders.html", {"rows": rows}, error)


@require_http_methods(["GET", "POST"])
@capability_required("manage")
def deliveries(request: HttpRequest) -> HttpResponse:
    """Every delivery; a delivery that came without an order (levels up, average cost)."""
    prop = request.property
    error = ""
    if request.method == "POST":
        receipt, error = _packs_post(
            request,
            goods_receive_direct,
            with_price=True,
            delivery_note=request.POST.get("delivery_note", ""),
        )
        if receipt is not None:
            messages.success(
                request,
                _("Delivery from %(supplier)s received.") % {"supplier": receipt.supplier.name},
            )
            return redirect("stock:deliveries")
    rows = (
        GoodsReceipt.objects.filter(property=prop)
        .select_related("supplier", "location", "order", "received_by")
        .prefetch_related("invoices")
        .order_by("-received_at")[:100]
    )
    return _purchase_page(request, "inventory/stock/deliveries.html", {"rows": rows}, error)


@require_http_methods(["GET", "POST"])
@capability_required("manage")
def invoices(request: HttpRequest) -> HttpResponse:
    """The supplier invoices with what their deliveries were worth and the difference; a new
    invoice recorded against the supplier's deliveries not yet invoiced."""
    prop = request.property
    error = ""
    if request.method == "POST":
        supplier = _chosen_supplier(request)
        post = request.POST
        try:
            issued_on = parse_date(post.get("issued_on") or "")
            if issued_on is None:
                raise InvalidInput(_("Give the invoice's date."))
            invoice = supplier_invoice_record(
                property=prop,
                supplier_id=supplier.pk if supplier else 0,
                number=post.get("number", ""),
                issued_on=issued_on,
                total_excl_vat=parse_money(post.get("total_excl_vat"), label=_("The total")),
                total_incl_vat=parse_money(post.get("total_incl_vat"), label=_("The total")),
                receipt_ids=[int(pk) for pk in post.getlist("receipts") if pk.isdigit()],
                actor=request.user,
            )
        except DomainError as exc:
            error = exc.message
        else:
            difference = invoice_difference(invoice)
            messages.success(
                request,
                _("Invoice %(number)s recorded.") % {"number": invoice.number},
            )
            if difference:
                messages.warning(
                    request,
                    _("It differs from the deliveries by %(amount)s excl. VAT.")
                    % {"amount": formatting.money(difference)},
                )
            return redirect("stock:invoices")
    rows = list(
        SupplierInvoice.objects.filter(property=prop)
        .select_related("supplier")
        .annotate(receipts_total=Sum("receipts__total"))
        .order_by("-issued_on", "-pk")[:100]
    )
    for row in rows:
        row.difference = invoice_difference(row)
    supplier = _chosen_supplier(request)
    open_receipts = (
        GoodsReceipt.objects.filter(property=prop, supplier=supplier, invoices__isnull=True)
        .select_related("order")
        .order_by("-received_at")
        if supplier
        else []
    )
    return _purchase_page(
        request,
        "inventory/stock/invoices.html",
        {
            "rows": rows,
            "open_receipts": open_receipts,
            "receipts_total": sum((r.total for r in open_receipts), Decimal("0.00")),
        },
        error,
    )
