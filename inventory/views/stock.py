"""Stock screens under /manage/stock/ (INV-5): levels per location with transfers and
write-offs, the blind count sheet (a phone or tablet behind the bar), the count's review
and approval, purchase orders (send, receive) and the margin report's link. Thin:
inventory.services.stock and .purchasing do the writes; every row is the property's."""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.db.models import Count, F, Sum
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from core.exceptions import DomainError
from core.roles import role_has
from core.scoping import capability_required
from inventory.models import (
    PurchaseOrder,
    StockCount,
    StockCountBatch,
    StockItem,
    StockLevel,
    StockLocation,
    StockMovement,
)
from inventory.services.count_batches import (
    count_batch_post,
    count_batch_report,
    count_batch_start,
)
from inventory.services.purchasing import (
    goods_receive,
    order_total,
    purchase_order_send,
    purchase_orders_suggest,
    reorder_suggestions,
)
from inventory.services.stock import (
    count_approve,
    count_start,
    count_submit,
    stock_transfer,
    stock_waste,
)

UNPROCESSABLE = 422


def _decimal(value: str | None) -> Decimal | None:
    try:
        return Decimal((value or "").replace(",", ".").strip())
    except InvalidOperation:
        return None


@require_http_methods(["GET"])
@capability_required("manage")
def stock_levels(request: HttpRequest) -> HttpResponse:
    """Every level of the property with its value at cost, the last movements, the forms."""
    prop = request.property
    levels = (
        StockLevel.objects.filter(property=prop)
        .select_related("item", "location")
        .annotate(value=F("quantity") * F("item__average_cost"))
        .order_by("location__name", "item__name")
    )
    movements = (
        StockMovement.objects.filter(property=prop)
        .select_related("item", "location", "actor")
        .order_by("-pk")[:30]
    )
    return render(
        request,
        "inventory/stock/levels.html",
        {
            "levels": levels,
            "total": levels.aggregate(t=Sum("value"))["t"] or Decimal(0),
            "movements": movements,
            "items": StockItem.objects.filter(property=prop, is_active=True),
            "locations": StockLocation.objects.filter(property=prop, is_active=True),
            "reasons": [r for r in StockMovement.Reason.choices if r[0]],
            "counts": StockCount.objects.filter(property=prop)
            .exclude(status=StockCount.Status.APPROVED)
            .select_related("location"),
            "suggestions": reorder_suggestions(property=prop),
            "orders": PurchaseOrder.objects.filter(property=prop)
            .exclude(status__in=[PurchaseOrder.Status.RECEIVED, PurchaseOrder.Status.CANCELLED])
            .select_related("supplier", "location"),
        },
    )


@require_POST
@capability_required("manage")
def stock_move(request: HttpRequest) -> HttpResponse:
    """A transfer between two locations or a write-off with its reason."""
    prop, post = request.property, request.POST
    try:
        if post.get("action") == "transfer":
            stock_transfer(
                property=prop,
                item_id=int(post.get("item") or 0),
                source_id=int(post.get("source") or 0),
                destination_id=int(post.get("destination") or 0),
                quantity=_decimal(post.get("quantity")),
                actor=request.user,
            )
            messages.success(request, _("Transfer recorded."))
        else:
            stock_waste(
                property=prop,
                item_id=int(post.get("item") or 0),
                location_id=int(post.get("location") or 0),
                quantity=_decimal(post.get("quantity")),
                reason=post.get("reason", ""),
                note=post.get("note", ""),
                actor=request.user,
            )
            messages.success(request, _("Write-off recorded."))
    except (DomainError, ValueError) as exc:
        messages.error(request, getattr(exc, "message", _("Check the form.")))
    return redirect("stock:levels")


@require_POST
@capability_required("manage")
def orders_suggest(request: HttpRequest) -> HttpResponse:
    """Draft one purchase order per supplier from the levels at their reorder point."""
    orders = purchase_orders_suggest(property=request.property, actor=request.user)
    if orders:
        messages.success(
            request,
            ngettext(
                "%(count)s draft order prepared from the reorder points.",
                "%(count)s draft orders prepared from the reorder points.",
                len(orders),
            )
            % {"count": len(orders)},
        )
    else:
        messages.info(request, _("Nothing to reorder."))
    return redirect("stock:levels")


@require_http_methods(["GET", "POST"])
@capability_required("pos.sell")
def count_new(request: HttpRequest) -> HttpResponse:
    """Behind the bar: the counts under way, and a new blind count of a location."""
    prop = request.property
    if request.method == "POST":
        location = get_object_or_404(
            StockLocation, property=prop, is_active=True, pk=request.POST.get("location") or 0
        )
        count = count_start(property=prop, location_id=location.pk, actor=request.user)
        return redirect("stock:count", pk=count.pk)
    return render(
        request,
        "inventory/stock/counts.html",
        {
            "locations": StockLocation.objects.filter(property=prop, is_active=True),
            "counts": StockCount.objects.filter(property=prop)
            .exclude(status=StockCount.Status.APPROVED)
            .select_related("location"),
            "is_manager": role_has(request.membership.role, "manage"),
        },
    )


@require_http_methods(["GET", "POST"])
@capability_required("pos.sell")
def count_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    """The blind sheet: the items the location holds, nothing expected shown until it is
    submitted; then the variances valued at cost, and the manager's approval."""
    prop = request.property
    count = get_object_or_404(StockCount.objects.select_related("location"), property=prop, pk=pk)
    items = list(
        StockItem.objects.filter(levels__location=count.location, property=prop).order_by("name")
    )
    error, status = None, 200
    if request.method == "POST" and count.status == StockCount.Status.OPEN:
        counted = {}
        for item in items:
            value = _decimal(request.POST.get(f"item_{item.pk}"))
            if value is None or value < 0:
                error, status = (
                    _("Enter a quantity of 0 or more for %(item)s.") % {"item": item.name},
                    UNPROCESSABLE,
                )
                break
            counted[item.pk] = value
        if error is None:
            try:
                count_submit(count=count, counted=counted, actor=request.user)
            except DomainError as exc:
                error, status = exc.message, UNPROCESSABLE
            else:
                messages.success(request, _("Count submitted."))
                if count.batch_id and role_has(request.membership.role, "manage"):
                    return redirect("stock:batch", pk=count.batch_id)
                return redirect("stock:count", pk=count.pk)
    lines = []
    if count.status != StockCount.Status.OPEN:
        lines = list(count.lines.select_related("item").order_by("item__name"))
    manager = role_has(request.membership.role, "manage")
    return render(
        request,
        "inventory/stock/count.html",
        {
            "count": count,
            "items": items,
            "lines": lines,
            "value": sum(
                ((line.variance or 0) * (line.unit_cost or 0) for line in lines), Decimal(0)
            ),
            "is_manager": manager,
            "error": error,
            "posted": request.POST if error else {},
        },
        status=status,
    )


@require_POST
@capability_required("manage")
def count_approve_view(request: HttpRequest, pk: int) -> HttpResponse:
    count = get_object_or_404(StockCount, property=request.property, pk=pk)
    try:
        count_approve(count=count, approver=request.user, is_manager=True)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Count approved: the levels follow the shelves."))
    return redirect("stock:count", pk=count.pk)


@require_http_methods(["GET", "POST"])
@capability_required("manage")
def purchase_order(request: HttpRequest, pk: int) -> HttpResponse:
    """One order: send it (e-mail with its PDF) or receive packs of its lines."""
    order = get_object_or_404(
        PurchaseOrder.objects.select_related("supplier", "location"),
        property=request.property,
        pk=pk,
    )
    if request.method == "POST":
        try:
            if request.POST.get("action") == "send":
                purchase_order_send(order=order, actor=request.user)
                messages.success(request, _("Order sent to the supplier."))
            else:
                received = {}
                for line in order.lines.all():
                    value = _decimal(request.POST.get(f"line_{line.pk}") or "0")
                    if value is None or value < 0:
                        raise ValueError
                    received[line.pk] = value
                goods_receive(
                    order=order,
                    received=received,
                    actor=request.user,
                    delivery_note=request.POST.get("delivery_note", ""),
                )
                messages.success(request, _("Delivery received."))
        except DomainError as exc:
            messages.error(request, exc.message)
        except ValueError:
            messages.error(request, _("Enter the packs delivered as numbers."))
        return redirect("stock:order", pk=order.pk)
    return render(
        request,
        "inventory/stock/order.html",
        {
            "order": order,
            "lines": list(order.lines.select_related("item")),
            "total": order_total(order),
        },
    )


@require_http_methods(["GET", "POST"])
@capability_required("manage")
def count_batches(request: HttpRequest) -> HttpResponse:
    """The counts of the whole hotel, and a new one over every location or a chosen set."""
    prop = request.property
    error = ""
    if request.method == "POST":
        chosen = [int(pk) for pk in request.POST.getlist("locations") if pk.isdigit()]
        try:
            batch = count_batch_start(
                property=prop,
                actor=request.user,
                location_ids=chosen if request.POST.get("scope") == "chosen" else None,
            )
        except DomainError as exc:
            error = exc.message
        else:
            return redirect("stock:batch", pk=batch.pk)
    return render(
        request,
        "inventory/stock/batches.html",
        {
            "locations": StockLocation.objects.filter(property=prop, is_active=True),
            "batches": StockCountBatch.objects.filter(property=prop)
            .annotate(locations=Count("counts"))
            .select_related("started_by")[:20],
            "error": error,
        },
        status=UNPROCESSABLE if error else 200,
    )


@capability_required("manage")
def count_batch(request: HttpRequest, pk: int) -> HttpResponse:
    """One whole-hotel count: each location's sheet and its state, the variance report, and
    the post button once every location is counted. Another property's batch is a 404 whatever
    the method (looked up before the method is refused, so nothing is revealed)."""
    batch = get_object_or_404(StockCountBatch, property=request.property, pk=pk)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    report, value = count_batch_report(batch=batch)
    return render(
        request,
        "inventory/stock/batch.html",
        {
            "batch": batch,
            "report": report,
            "value": value,
            "ready": all(row.count.status != StockCount.Status.OPEN for row in report),
            "is_manager": True,
        },
    )


@require_POST
@capability_required("manage")
def count_batch_post_view(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(StockCountBatch, property=request.property, pk=pk)
    try:
        written = count_batch_post(batch=batch, approver=request.user, is_manager=True)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            ngettext(
                "Count posted: %(count)s adjustment written.",
                "Count posted: %(count)s adjustments written.",
                written,
            )
            % {"count": written},
        )
    return redirect("stock:batch", pk=batch.pk)
