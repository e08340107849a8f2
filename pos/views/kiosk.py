"""The self-service kiosk of a lobby or pool-bar tablet (/kiosk/<token>/): a locked-down,
full-screen sale of the outlet's menu — large keys, FR/EN, the basket reset after a minute
and a half untouched — ending on a ticket number paid at the counter, or paid by card at
the kiosk's own card terminal (pos.services.kiosk_payments) with its receipt printed or
e-mailed. Every link and form stays under /kiosk/<token>/ (crawled by the tests): no staff
screen is one tap away."""

import uuid

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from billing.models import Payment
from core.exceptions import DomainError
from pos.guest_menu import guest_menu
from pos.models import GuestOrder, GuestOrderPoint
from pos.services.guest_orders import GuestLine, guest_order_place, point_from_token
from pos.services.kiosk_payments import (
    CANCELLED_UNPAID,
    kiosk_card_expire,
    kiosk_card_reader,
    kiosk_card_refresh,
    kiosk_card_start,
    kiosk_receipt_email,
    kiosk_receipt_print,
    kiosk_receipt_printer_terminal,
)
from pos.views.guest import ALLERGEN_LABELS, _int, _language

MAX_KIOSK_LINES = 30


def _point(token: str) -> GuestOrderPoint:
    point = point_from_token(token)
    if point is None or point.kind != GuestOrderPoint.Kind.KIOSK:
        raise Http404(_("This kiosk is not set up: ask the staff."))
    return point


def _cart_key(point: GuestOrderPoint) -> str:
    return f"kiosk:{point.pk}"


def _cart(request: HttpRequest, point: GuestOrderPoint) -> dict:
    cart = request.session.get(_cart_key(point))
    if not isinstance(cart, dict) or not cart.get("client_key"):
        cart = {"client_key": uuid.uuid4().hex, "lines": []}
    return cart


def _save(request: HttpRequest, point: GuestOrderPoint, cart: dict) -> None:
    request.session[_cart_key(point)] = cart
    request.session.modified = True


def _flash_key(point: GuestOrderPoint) -> str:
    return f"kiosk:{point.pk}:error"


def _home(token: str, *, category=None) -> str:
    url = reverse("kiosk:home", kwargs={"token": token})
    lang = translation.get_language()
    return f"{url}?lang={lang}" + (f"&c={category}" if category else "")


def _page(request, point, token, *, error: str = "", status: int = 200) -> HttpResponse:
    menu = guest_menu(point=point)
    categories = menu["categories"]
    current = _int(request.GET.get("c") or request.POST.get("c"))
    category = next(
        (c for c in categories if c.pk == current), categories[0] if categories else None
    )
    cart = _cart(request, point)
    prices = menu["prices"]
    basket, total = [], 0
    for index, line in enumerate(cart["lines"]):
        product = menu["by_id"].get(line["product_id"])
        if product is None:
            continue
        price = prices.get(product.pk)
        mods = {m.pk: m for g in product.modifier_groups.all() for m in g.modifiers.all()}
        unit = (price.unit_price if price else 0) + sum(
            mods[m].price_delta for m in line["modifier_ids"] if m in mods
        )
        basket.append(
            {
                "index": index,
                "product": product,
                "quantity": line["quantity"],
                "modifiers": [mods[m].name for m in line["modifier_ids"] if m in mods],
                "total": unit * line["quantity"],
            }
        )
        total += unit * line["quantity"]
    dishes = [
        {
            "product": p,
            "price": prices.get(p.pk),
            "sold_out": p.pk in menu["sold_out"],
            "allergens": [ALLERGEN_LABELS[a] for a in p.allergens if a in ALLERGEN_LABELS],
            "groups": list(p.modifier_groups.all()),
            "needs_choice": any(g.min_choices for g in p.modifier_groups.all()),
        }
        for p in (menu["products"].get(category.pk, []) if category else [])
    ]
    context = {
        "point": point,
        "property": point.property,
        "token": token,
        "categories": categories,
        "category": category,
        "dishes": dishes,
        "basket": basket,
        "total": total,
        "count": sum(line["quantity"] for line in cart["lines"]),
        "error": error or request.session.pop(_flash_key(point), ""),
        "lang": translation.get_language(),
        "idle_seconds": settings.KIOSK_IDLE_SECONDS,
        # a card terminal paired with the kiosk's terminal
        "card": kiosk_card_reader(point) is not None,
    }
    return render(request, "pos/guest/kiosk.html", context, status=status)


@require_GET
def kiosk_home(request: HttpRequest, token: str) -> HttpResponse:
    _language(request)
    return _page(request, _point(token), token)


@require_POST
def kiosk_add(request: HttpRequest, token: str) -> HttpResponse:
    """One tap on a key: one more of the dish (with the choices of its sheet)."""
    _language(request)
    point = _point(token)
    menu = guest_menu(point=point)
    product = menu["by_id"].get(_int(request.POST.get("product_id")))
    if product is None or product.pk in menu["sold_out"]:
        return _page(request, point, token, error=_("This item is sold out."), status=409)
    modifiers = sorted(
        _int(v) for k in request.POST if k.startswith("mod-") for v in request.POST.getlist(k)
    )
    cart = _cart(request, point)
    line = next(
        (
            line
            for line in cart["lines"]
            if line["product_id"] == product.pk and line["modifier_ids"] == modifiers
        ),
        None,
    )
    if line is not None:
        line["quantity"] = min(line["quantity"] + 1, 20)
    elif len(cart["lines"]) < MAX_KIOSK_LINES:
        cart["lines"].append({"product_id": product.pk, "quantity": 1, "modifier_ids": modifiers})
    _save(request, point, cart)
    return redirect(_home(token, category=request.POST.get("c")))


@require_POST
def kiosk_remove(request: HttpRequest, token: str, index: int) -> HttpResponse:
    _language(request)
    point = _point(token)
    cart = _cart(request, point)
    if 0 <= index < len(cart["lines"]):
        del cart["lines"][index]
    _save(request, point, cart)
    return redirect(_home(token, category=request.POST.get("c")))


@require_POST
def kiosk_reset(request: HttpRequest, token: str) -> HttpResponse:
    """The next guest starts afresh (the idle timer, or the "New order" key)."""
    _language(request)
    point = _point(token)
    request.session.pop(_cart_key(point), None)
    return redirect(_home(token))


def _guest_lines(cart: dict) -> list[GuestLine]:
    return [
        GuestLine(
            product_id=line["product_id"],
            quantity=line["quantity"],
            modifier_ids=tuple(line["modifier_ids"]),
        )
        for line in cart["lines"]
    ]


def _done_url(token: str, order: GuestOrder) -> str:
    url = reverse("kiosk:done", kwargs={"token": token, "public_id": order.public_id})
    return f"{url}?lang={translation.get_language()}"


@require_POST
def kiosk_order(request: HttpRequest, token: str) -> HttpResponse:
    """The basket becomes an order with a ticket number, paid at the counter. The basket's
    key is the order's: a double tap or a retry shows the same ticket."""
    _language(request)
    point = _point(token)
    cart = _cart(request, point)
    menu = guest_menu(point=point)
    try:
        order = guest_order_place(
            point=point,
            lines=_guest_lines(cart),
            client_key=cart["client_key"],
            menu_products=menu["by_id"],
        )
    except DomainError as exc:
        return _page(request, point, token, error=exc.message, status=exc.status_code)
    request.session.pop(_cart_key(point), None)
    return redirect(_done_url(token, order))


@require_POST
def kiosk_pay_card(request: HttpRequest, token: str) -> HttpResponse:
    """The basket's total to the kiosk's card terminal; the kiosk then waits on "present
    your card". The basket stays until the card pays (a refusal offers it again); its key is
    the order's and the card attempt's: a double tap never charges twice."""
    _language(request)
    point = _point(token)
    reader = kiosk_card_reader(point)
    if reader is None:
        return _page(
            request,
            point,
            token,
            error=_("Card payment is not available here: please pay at the counter."),
            status=409,
        )
    cart = _cart(request, point)
    menu = guest_menu(point=point)
    try:
        order = kiosk_card_start(
            point=point,
            lines=_guest_lines(cart),
            client_key=cart["client_key"],
            menu_products=menu["by_id"],
            reader=reader,
        )
    except DomainError as exc:
        return _page(request, point, token, error=exc.message, status=exc.status_code)
    _save(request, point, cart)
    url = reverse("kiosk:card", kwargs={"token": token, "public_id": order.public_id})
    return redirect(f"{url}?lang={translation.get_language()}")


def _order(point: GuestOrderPoint, public_id: uuid.UUID) -> GuestOrder:
    order = (
        GuestOrder.objects.filter(point=point, public_id=public_id)
        .select_related("order__ticket")
        .first()
    )
    if order is None:
        raise Http404(_("No such order."))
    order.point = point
    return order


@require_GET
def kiosk_card_wait(request: HttpRequest, token: str, public_id: uuid.UUID) -> HttpResponse:
    """ "Present your card": the page asks again every two seconds until the terminal has
    answered. Paid → the ticket and the receipt's choices; refused → the basket again with
    why (a new key: the next try is a new attempt); no answer → the ticket for the counter."""
    _language(request)
    point = _point(token)
    # past KIOSK_CARD_TIMEOUT_MINUTES with no card (the guest walked away) the order is
    # cancelled here as by the beat, and the kiosk starts afresh for the next guest
    order = kiosk_card_expire(kiosk_card_refresh(guest_order=_order(point, public_id)))
    cart = request.session.get(_cart_key(point))
    ours = isinstance(cart, dict) and cart.get("client_key") == order.client_key
    if order.status == GuestOrder.Status.CANCELLED:
        if ours:
            request.session.pop(_cart_key(point), None)
        # in the kiosk's language (the stored reason is in the property's, for the staff)
        request.session[_flash_key(point)] = str(CANCELLED_UNPAID)
        return redirect(_home(token))
    if order.status == GuestOrder.Status.REFUSED:
        if ours:  # the same basket, under a new key
            cart["client_key"] = uuid.uuid4().hex
            _save(request, point, cart)
        request.session[_flash_key(point)] = order.refusal_reason
        return redirect(_home(token))
    if order.status != GuestOrder.Status.AWAITING_PAYMENT:
        if ours:
            request.session.pop(_cart_key(point), None)
        return redirect(_done_url(token, order))
    return render(
        request,
        "pos/guest/kiosk_card.html",
        {
            "point": point,
            "property": point.property,
            "token": token,
            "order": order,
            "lang": translation.get_language(),
            # never reset while the card is in the terminal, nor left by the FR/EN switch
            "idle_seconds": 0,
            "here": request.path,
        },
    )


@require_POST
def kiosk_receipt(request: HttpRequest, token: str, public_id: uuid.UUID) -> HttpResponse:
    """The receipt of a paid order: printed on the outlet's receipt printer or e-mailed to
    the address typed on the kiosk (or neither: *New order*)."""
    _language(request)
    point = _point(token)
    order = _order(point, public_id)
    notice, error = "", ""
    try:
        if request.POST.get("how") == "email":
            kiosk_receipt_email(
                guest_order=order,
                email=request.POST.get("email", ""),
                language=translation.get_language(),
            )
            notice = _("Your receipt is on its way to your inbox.")
        else:
            printed = kiosk_receipt_print(guest_order=order)
            notice = (
                _("Your receipt is printing.")
                if printed
                else _("Your receipt was already printed.")
            )
    except DomainError as exc:
        error = str(exc.message)
    return _done(request, point, token, order, notice=notice, error=error)


@require_GET
def kiosk_done(request: HttpRequest, token: str, public_id: uuid.UUID) -> HttpResponse:
    _language(request)
    point = _point(token)
    return _done(request, point, token, _order(point, public_id))


def _done(request, point, token, order, *, notice: str = "", error: str = "") -> HttpResponse:
    paid = order.status == GuestOrder.Status.PAID and order.order_id is not None
    return render(
        request,
        "pos/guest/kiosk_done.html",
        {
            "point": point,
            "property": point.property,
            "token": token,
            "order": order,
            "paid": paid,
            "can_print": paid and kiosk_receipt_printer_terminal(point) is not None,
            # the terminal's authorisation, as on the receipt (never a card number)
            "card_reference": Payment.objects.filter(ticket_id=order.order.ticket_id)
            .values_list("terminal_reference", flat=True)
            .first()
            if paid
            else "",
            "notice": notice,
            "error": error,
            # the FR/EN switch keeps the ticket (and its receipt's choices) on screen
            "here": reverse("kiosk:done", kwargs={"token": token, "public_id": order.public_id}),
            "lang": translation.get_language(),
            "idle_seconds": settings.KIOSK_IDLE_SECONDS,
        },
        status=400 if error else 200,
    )
