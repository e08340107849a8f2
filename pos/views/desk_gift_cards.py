"""The front desk sells a gift card (issue 24): amount, buyer, recipient's e-mail, the tender;
then the card's code and QR on screen (and on the printed receipt), e-mailed through the
outbox. Front desk and managers of the active property. The sale is pos's (sale_checkout on
the reception's till), so the screen lives here and is mounted under /frontdesk/."""

from uuid import uuid4

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from core.exceptions import DomainError
from core.scoping import capability_required
from crm.models import GiftCard
from crm.selectors import formatted_code, gift_cards_issued_by
from crm.services.campaigns import qr_png
from pos.models import Order
from pos.services.checkout import order_stored_value_reference
from pos.services.gift_card_sales import (
    DESK_TENDERS,
    desk_gift_card_products,
    desk_gift_card_sell,
    desk_terminal,
    parse_amount,
)


def _tenders():
    from billing.models import Payment

    labels = dict(Payment.Method.choices)
    return [(code, labels[code]) for code in DESK_TENDERS]


@require_http_methods(["GET", "POST"])
@capability_required("pms.frontdesk")
def sell(request: HttpRequest) -> HttpResponse:
    prop = request.property
    products = list(desk_gift_card_products(property=prop))
    data = request.POST if request.method == "POST" else {}
    error, field, status = "", "", 200
    if request.method == "POST":
        try:
            amount = parse_amount(data.get("amount", ""))
            raw_product = data.get("product") or ""
            product_id = int(raw_product) if raw_product.isdigit() else 0
            sale = desk_gift_card_sell(
                property=prop,
                actor=request.user,
                product_id=product_id,
                amount=amount,
                buyer_first_name=data.get("first_name", "")[:100],
                buyer_last_name=data.get("last_name", "")[:100],
                buyer_email=data.get("email", "")[:254],
                recipient_email=data.get("recipient_email", "")[:254],
                method=data.get("method", ""),
                reference=data.get("reference", ""),
                client_key=(data.get("key") or "")[:60],
                language=request.LANGUAGE_CODE,
                print_receipt=data.get("print") == "1",
            )
        except DomainError as exc:
            error, status = exc.message, 422
            field = exc.extra.get("field", "")
        else:
            return redirect("frontdesk_gift_cards:sold", order_id=sale.order.pk)
    return render(
        request,
        "pos/desk_gift_card.html",
        {
            "products": products,
            "tenders": _tenders(),
            "data": data,
            "key": data.get("key") or uuid4().hex,
            "error": error,
            "error_field": field,
            "has_printer": _has_printer(prop),
        },
        status=status,
    )


def _has_printer(prop) -> bool:
    try:
        return desk_terminal(property=prop).printer_id is not None
    except DomainError:
        return False


def _order_or_404(request: HttpRequest, order_id: int) -> Order:
    order = (
        Order.objects.select_related("ticket", "guest")
        .filter(pk=order_id, property=request.property, terminal__outlet__kind="reception")
        .first()
    )
    if order is None:
        raise Http404
    return order


@require_GET
@capability_required("pms.frontdesk")
def sold(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order_or_404(request, order_id)
    cards = gift_cards_issued_by(reference=order_stored_value_reference(order))
    if not cards:
        raise Http404
    return render(
        request,
        "pos/desk_gift_card_sold.html",
        {"order": order, "cards": [(formatted_code(c.code), c) for c in cards]},
    )


@require_GET
@capability_required("pms.frontdesk")
def qr(request: HttpRequest, card_id: int) -> HttpResponse:
    card = GiftCard.objects.filter(pk=card_id, property=request.property).first()
    if card is None:
        raise Http404
    response = HttpResponse(qr_png(card.code), content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    return response
