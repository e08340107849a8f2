"""Counter / shop / spa desk sale screen (POS-4): category tiles, quick keys, barcode
scanner input, today's availability of slots and passes, a session cart, cash (with change),
card, split tender or a charge to a room, and the receipt on screen."""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from billing.models import Payment
from billing.services.payments import TenderInput
from core.exceptions import DomainError, InvalidInput
from core.money import amount_text, quantize
from core.roles import role_has
from core.scoping import approvers_listed, capability_required
from core.terminals import request_device
from crm.selectors import formatted_code, gift_cards_issued_by
from crm.services.loyalty import loyalty_balance
from devices.cards import card_approvals_unused
from inventory.models import SaleChannel
from inventory.promotion_labels import discounts_for
from inventory.selectors import product_by_barcode
from pos.models import Order
from pos.selectors import order_get, reservation_by_reference
from pos.services.approvals import approver_verify
from pos.services.card_payments import card_tender_for_sale, terminal_has_card_reader
from pos.services.checkout import (
    Sale,
    SaleRequest,
    order_stored_value_reference,
    sale_checkout,
)
from pos.services.counter_cart import (
    cart_add,
    cart_clear,
    cart_get,
    cart_inputs,
    cart_remove,
    cart_view,
    counter_categories,
    counter_products,
    parse_quantity,
    parse_slot,
    quick_keys,
    today_availability,
)
from pos.services.refunds import (
    credit_tickets_of,
    order_refund_any,
    refund_methods,
    refund_quantities,
    refundable_lines,
)
from pos.terminals import terminal_for_request
from pos.views.terminals import terminal_label
from pos.views.titles import TITLE_ACTIONS, title_tenders


def _cart_context(request: HttpRequest, *, error: str = "") -> dict:
    prop = request.property
    cart = cart_get(request.session, property=prop)
    view = cart_view(cart, property=prop)
    slots = [line.get("slot_time") for line in cart["lines"]]
    from pos.views.payment_step import quick_amounts

    return {
        "cart": cart,
        "cart_lines": list(zip(view.lines, slots, strict=False)),
        "cart_total": view.total,
        "quick_amounts": quick_amounts(view.total),
        "error": error or view.error,
        "terminal": terminal_for_request(request),
    }


def _outlet_menu(request: HttpRequest, categories: list) -> tuple[list, list | None]:
    """The terminal's outlet's own categories (all when it chose none) and its quick keys
    (None when it chose none: the best sellers then)."""
    terminal = terminal_for_request(request)
    if terminal is None:
        return categories, None
    from pos.models import Outlet

    outlet = (
        Outlet.objects.filter(pk=terminal.outlet_id, property=request.property)
        .prefetch_related("categories", "quick_keys")
        .first()
    )
    if outlet is None:
        return categories, None
    allowed = {c.pk for c in outlet.categories.all()}
    if allowed:
        categories = [c for c in categories if c.pk in allowed]
    keys = [p for p in outlet.quick_keys.all() if p.is_active]
    return categories, keys or None


def _products_context(request: HttpRequest, category_id: int | None) -> dict:
    prop = request.property
    categories, outlet_keys = _outlet_menu(request, counter_categories(property=prop))
    if category_id is None or category_id not in {c.pk for c in categories}:
        if outlet_keys is not None:
            on_sale = set(
                counter_products(property=prop)
                .filter(pk__in=[p.pk for p in outlet_keys])
                .values_list("pk", flat=True)
            )
            products = [p for p in outlet_keys if p.pk in on_sale]
        else:
            products = quick_keys(property=prop)
        current = None
    else:
        products = list(
            counter_products(property=prop)
            .filter(category_id=category_id)
            .order_by("sort_order", "pk")
        )
        current = category_id
    availability = today_availability(property=prop, products=products)
    return {
        "categories": categories,
        "current_category": current,
        "products": [(p, availability.get(p.pk)) for p in products],
    }


def _category_param(request: HttpRequest) -> int | None:
    try:
        return int(request.GET.get("category", ""))
    except ValueError:
        return None


def _cart_response(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    if request.htmx:
        return render(
            request, "pos/counter.html#cart", _cart_context(request, error=error), status=status
        )
    if error:
        messages.error(request, error)
    return redirect("pos:counter")


@require_GET
@capability_required("pos.sell")
def counter(request: HttpRequest) -> HttpResponse:
    context = {**_cart_context(request), **_products_context(request, _category_param(request))}
    # card approvals no sale recorded (the till stopped waiting, then another tender was
    # taken): shown until a sale uses them or the card is refunded at the terminal
    context["card_approvals_unused"] = card_approvals_unused(property=request.property)
    context["can_upgrade"] = role_has(request.membership.role, "pos.upgrade")
    if request.htmx and request.GET.get("category") is not None:
        return render(request, "pos/counter.html#products", context)
    return render(request, "pos/counter.html", context)


@require_POST
@capability_required("pos.sell")
def counter_add(request: HttpRequest) -> HttpResponse:
    try:
        product_id = int(request.POST.get("product_id", ""))
    except ValueError:
        return _cart_response(request, error=_("No such product."))
    product = counter_products(property=request.property).filter(pk=product_id).first()
    if product is None:
        return _cart_response(request, error=_("No such product."))
    try:
        cart_add(
            request.session,
            property=request.property,
            product=product,
            quantity=parse_quantity(request.POST.get("quantity")),
            slot_time=parse_slot(request.POST.get("slot_time")),
        )
    except DomainError as exc:
        return _cart_response(request, error=str(exc.message))
    return _cart_response(request)


@require_POST
@capability_required("pos.sell")
def counter_scan(request: HttpRequest) -> HttpResponse:
    """A keyboard-wedge scanner types the digits and Enter into the barcode field."""
    code = "".join(ch for ch in request.POST.get("barcode", "") if ch.isdigit())
    product = product_by_barcode(property=request.property, ean13=code) if code else None
    if product is None or product.capacity_pool_id and product.capacity_pool.kind == "night":
        return _cart_response(request, error=_("Unknown barcode %(code)s.") % {"code": code or "—"})
    try:
        cart_add(request.session, property=request.property, product=product)
    except DomainError as exc:
        return _cart_response(request, error=str(exc.message))
    return _cart_response(request)


@require_POST
@capability_required("pos.sell")
def counter_remove(request: HttpRequest, index: int) -> HttpResponse:
    cart_remove(request.session, property=request.property, index=index)
    return _cart_response(request)


@require_POST
@capability_required("pos.sell")
def counter_clear(request: HttpRequest) -> HttpResponse:
    cart_clear(request.session, property=request.property)
    return _cart_response(request)


def _amount(raw, *, label: str) -> Decimal | None:
    raw = amount_text(raw)
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise InvalidInput(_("Enter a valid amount for %(what)s.") % {"what": label})
    if not value.is_finite() or value < 0 or value > Decimal("1000000"):
        raise InvalidInput(_("Enter a valid amount for %(what)s.") % {"what": label})
    return quantize(value)


def _tenders(post, *, total: Decimal) -> tuple[list[TenderInput], str | None]:
    """(tenders, room number) for the payment button pressed."""
    action = post.get("action")
    if not action and post.get("tendered"):  # a quick amount of the cash numpad
        action = "cash"
    reference = (post.get("card_reference") or "").strip()[:100]
    if action == "cash":
        raw = post.get("tendered")
        tendered = total if raw == "exact" else _amount(raw, label=_("cash given")) or total
        if tendered < total:
            raise InvalidInput(_("The cash given is less than the amount due."))
        return [TenderInput(method="cash", amount=total, tendered=tendered)], None
    if action == "card":
        if not reference:
            raise InvalidInput(_("Enter the card terminal reference."))
        return [TenderInput(method="card", amount=total, terminal_reference=reference)], None
    if action == "split":
        cash_part = _amount(post.get("cash_amount"), label=_("cash part"))
        if cash_part is None or cash_part <= 0 or cash_part >= total:
            raise InvalidInput(_("The cash part must be more than zero and less than the total."))
        if not reference:
            raise InvalidInput(_("Enter the card terminal reference."))
        tendered = _amount(post.get("tendered"), label=_("cash given")) or cash_part
        if tendered < cash_part:
            raise InvalidInput(_("The cash given is less than the cash part."))
        return [
            TenderInput(method="cash", amount=cash_part, tendered=tendered),
            TenderInput(method="card", amount=total - cash_part, terminal_reference=reference),
        ], None
    if action in TITLE_ACTIONS:
        return title_tenders(post, action=action, due=total, amount=_amount), None
    if action == "room":
        room = (post.get("room_number") or "").strip()[:20]
        if not room:
            raise InvalidInput(_("Enter a room number."))
        return [], room
    raise InvalidInput(_("Choose a payment method."))


@require_POST
@capability_required("pos.sell")
def counter_pay(request: HttpRequest) -> HttpResponse:
    prop = request.property
    client_key = (request.POST.get("client_key") or "").strip()[:100]
    if client_key:
        # a double tap or a retry after the sale went through: show the same receipt
        done = Order.objects.filter(property=prop, client_key=client_key).first()
        if done is not None:
            return _to_receipt(request, done)
    terminal = terminal_for_request(request)
    if terminal is None:
        return _cart_response(request, error=_("This device is not bound to a terminal."))
    cart = cart_get(request.session, property=prop)
    if client_key != cart["client_key"]:
        return _cart_response(request, error=_("The cart changed on another screen; check it."))
    lines = cart_inputs(cart, property=prop)
    if not lines:
        return _cart_response(request, error=_("The cart is empty."))
    view = cart_view(cart, property=prop)
    if view.error:
        return _cart_response(request, error=view.error)
    try:
        card = None
        if (
            request.POST.get("action") == "card"
            and not (request.POST.get("card_reference") or "").strip()
            and terminal_has_card_reader(terminal)
        ):
            # the amount goes to the card terminal; the typed reference stays the fallback
            card = card_tender_for_sale(
                terminal=terminal, sale_key=cart["client_key"], amount=view.total
            )
            tenders, room_number = [card.tender], None
        else:
            tenders, room_number = _tenders(request.POST, total=view.total)
        if room_number and not request.POST.get("room_confirmed"):
            return _counter_room_confirm(request, room_number, view.total)
        reservation = None
        ref = (request.POST.get("reservation") or "").strip()[:20]
        if ref and not room_number:
            reservation = reservation_by_reference(property=prop, reference=ref)
            if reservation is None:
                raise InvalidInput(_("No reservation %(ref)s.") % {"ref": ref})
        sale = sale_checkout(
            SaleRequest(
                property=prop,
                terminal=terminal,
                actor=request.user,
                lines=lines,
                tenders=tenders,
                room_number=room_number,
                reservation=reservation,
                client_key=cart["client_key"],
                on_order=card.on_order if card is not None else None,
                refuse_sold_out=True,
                channel=SaleChannel.COUNTER,
            )
        )
    except DomainError as exc:
        return _cart_response(request, error=str(exc.message))
    cart_clear(request.session, property=prop)
    return _to_receipt(request, sale.order)


def _counter_room_confirm(request: HttpRequest, room_number: str, total) -> HttpResponse:
    """The sale again with "charge X to room N, guest's name?" (the second tap charges)."""
    from pos.views.payment_step import room_confirm_context

    context = _cart_context(request)
    try:
        context["room_confirm"] = room_confirm_context(
            request,
            room_number=room_number,
            amount=total,
            url=reverse("pos:counter_pay"),
            back=reverse("pos:counter"),
            target="#cart",
        )
    except DomainError as exc:
        context["error"] = str(exc.message)
    if request.htmx:
        return render(request, "pos/counter.html#cart", context)
    return render(
        request,
        "pos/counter.html",
        {**context, **_products_context(request, None), "card_approvals_unused": []},
    )


def _to_receipt(request: HttpRequest, order: Order) -> HttpResponse:
    url = reverse("pos:counter_receipt", args=[order.pk])
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


@require_GET
@capability_required("pos.sell")
def counter_receipt(request: HttpRequest, order_id: int) -> HttpResponse:
    order = order_get(property=request.property, order_id=order_id)
    if order is None or order.ticket is None:
        raise Http404
    return receipt_page(request, Sale.of_order(order))


def receipt_page(request: HttpRequest, sale: Sale, *, main_only: bool = False) -> HttpResponse:
    """The receipt screen of a sale (also drawn straight after a tablet's last payment, from
    the rows the payment wrote: `main_only`, the page's <main> alone for htmx)."""
    order = sale.order
    payments = sale.payments
    change = sum((p.change for p in payments), Decimal("0.00"))
    refundable = order.status in (Order.Status.PAID, Order.Status.CHARGED_TO_ROOM)
    # what is left of each line to refund (one query); a sale refunded whole shows none
    refund_rows = (
        refundable_lines(ticket=order.ticket, lines=list(sale.lines)) if refundable else []
    )
    self_approves = role_has(request.membership.role, "pos.approve")
    gift_cards = sale.gift_cards
    if gift_cards is None:
        gift_cards = gift_cards_issued_by(reference=order_stored_value_reference(order))
    return render(
        request,
        "pos/counter_receipt.html",
        {
            "gift_cards": [(formatted_code(c.code), c) for c in gift_cards],
            # the guest's points after this sale (a loyalty programme member)
            "points": loyalty_balance(guest=order.guest) if order.guest_id else None,
            "order": order,
            "ticket": order.ticket,
            # a discounted line names its promotion (list price, discount)
            "lines": discounts_for(property_id=order.property_id, lines=sale.lines),
            "vat_lines": sale.vat_lines,
            "payments": payments,
            "change": change,
            "charged_to_room": order.status == Order.Status.CHARGED_TO_ROOM,
            "terminal_label": terminal_label(order.terminal) if order.terminal else "",
            "refundable": refundable,
            # each line with what is left to refund, the tenders a part refund may use
            "refund_rows": refund_rows,
            "refund_methods": [
                (m, Payment.Method(m).label)
                for m in refund_methods(ticket=order.ticket, payments=payments)
            ]
            if refundable
            else [],
            # read only when a line was refunded (most sales: no query)
            "credit_tickets": credit_tickets_of(ticket=order.ticket)
            if any(row.refunded for row in refund_rows)
            else [],
            "self_approves": self_approves,
            # for the refund form of someone who needs a manager's PIN
            "approvers": approvers_listed(request.property)
            if refundable and not self_approves
            else [],
            "base_template": "main_only.html" if main_only else "base.html",
        },
    )


@require_POST
@capability_required("pos.sell")
def counter_refund(request: HttpRequest, order_id: int) -> HttpResponse:
    """Refund a sale on the till's screen: a manager on shift approves with their PIN
    (pos.approve); a manager signed in approves as themselves."""
    order = order_get(property=request.property, order_id=order_id)
    if order is None or order.ticket is None:
        raise Http404
    back = redirect("pos:counter_receipt", order_id=order.pk)
    terminal = terminal_for_request(request)
    label = terminal_label(terminal) if terminal else ""
    try:
        try:
            approver_id = int(request.POST.get("approver", ""))
        except ValueError:
            approver_id = None
        approver = approver_verify(
            property=request.property,
            user=request.user,
            role=request.membership.role,
            approver_id=approver_id,
            pin=(request.POST.get("pin") or "")[:12],
            terminal=label,
            device=request_device(request),
        )
        quantities = refund_quantities(
            {k[4:]: v for k, v in request.POST.items() if k.startswith("qty_")}
        )
        refunded = order_refund_any(
            order=order,
            actor=approver,
            requested_by=request.user,
            reason=request.POST.get("reason", ""),
            quantities=quantities or None,
            method=request.POST.get("method") or None,
            reference=(request.POST.get("reference") or "")[:100],
            terminal=label,
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return back
    if quantities and refunded.status != Order.Status.REFUNDED:
        messages.success(request, _("The lines chosen are refunded."))
    else:
        messages.success(request, _("The sale is refunded."))
    return back
