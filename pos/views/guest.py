"""The guest's phone (no sign-in: the QR code's signed token is the key) and the waiter's
answers to guest orders on the floor plan."""

import hashlib
import uuid

from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing.models import Payment
from billing.services.payments import TenderInput
from core.cache_tokens import versioned_get
from core.csp import form_action
from core.exceptions import DomainError
from core.scoping import capability_required
from inventory.models import ALLERGENS
from pms.services.payment_gateway import hosted_page_origin
from pos.guest_menu import guest_menu, guest_menu_sold_out
from pos.models import GuestOrder, GuestOrderPoint
from pos.services.guest_orders import (
    COLLECT_PROGRESS,
    PROGRESS,
    GuestLine,
    guest_order_accept,
    guest_order_on_its_way,
    guest_order_online_refresh,
    guest_order_pay_at_counter,
    guest_order_pay_online_start,
    guest_order_place,
    guest_order_progress,
    guest_order_refuse,
    online_payment_available,
    outlet_taking_orders,
    point_from_token,
    room_confirm_wait,
)
from pos.terminals import terminal_for_request

ALLERGEN_LABELS = dict(ALLERGENS)


def _language(request: HttpRequest) -> None:
    """The FR/EN switch of the guest's pages (?lang=), else the phone's own language."""
    lang = request.GET.get("lang") or request.POST.get("lang")
    if lang in ("fr", "en"):
        translation.activate(lang)
        request.LANGUAGE_CODE = lang


def _point(token: str) -> GuestOrderPoint:
    point = point_from_token(token)
    if point is None:
        raise Http404(_("This QR code is no longer valid: ask the staff for a new one."))
    return point


def _int(raw, default: int = 0) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return default


def _posted_lines(post, menu: dict) -> list[GuestLine]:
    lines = []
    for pk in menu["by_id"]:
        quantity = _int(post.get(f"qty-{pk}"))
        if quantity <= 0:
            continue
        modifiers = []
        for key in post:
            if key.startswith(f"mod-{pk}-"):
                modifiers += [_int(v) for v in post.getlist(key)]
        lines.append(
            GuestLine(
                product_id=pk,
                quantity=quantity,
                modifier_ids=tuple(m for m in modifiers if m),
                note=post.get(f"note-{pk}", ""),
            )
        )
    return lines


# what a cached menu page carries in place of the page's own key and CSRF token
KEY_SENTINEL = "__guest-client-key__"
CSRF_SENTINEL = "__guest-csrf-token__"
PAGE_TIMEOUT = 3600


def _page_key(point, token: str, sold_out: set[int], lang: str, *parts) -> str:
    """The whole menu page's key: the point (its label, its code's version), the menu's
    token and business day, the language, what is sold out and what the page says about
    the outlet now (closed, locked, card offered). Any of them changing is a new key."""
    varying = "|".join(
        [
            str(point.property.business_date()),
            lang,
            ".".join(map(str, sorted(sold_out))),
            *(str(p) for p in parts),
        ]
    )
    digest = hashlib.sha1(varying.encode(), usedforsecurity=False).hexdigest()
    return f"pos:guest-menu-page:{point.pk}:{point.version}:{token}:{digest}"


def _menu_page(
    request, point, *, error: str = "", status: int = 200, key: str = ""
) -> HttpResponse:
    lang = translation.get_language()
    is_room = point.kind == GuestOrderPoint.Kind.ROOM
    closed = outlet_taking_orders(point.outlet, room=is_room)
    locked = is_room and room_confirm_wait(point) > 0
    online = online_payment_available()
    fresh = request.method == "GET"
    page = None
    if fresh:
        # a warm GET reads what can be sold out (not the dishes) and the page it keys
        token, sold_out = guest_menu_sold_out(point=point)
        page_key = _page_key(point, token, sold_out, lang, closed, locked, online)
        page = versioned_get(page_key)
    if page is None:
        # the page shows the sold-out set its key was made of
        menu = guest_menu(point=point, sold_out=sold_out if fresh else None)
        page = _menu_render(
            request, point, menu, error=error, key=key, closed=closed, locked=locked, online=online
        )
        if fresh:
            cache.set(page_key, page, timeout=PAGE_TIMEOUT)
    if fresh:
        # the same page for every phone of the point: its own key and CSRF token filled in
        page = page.replace(KEY_SENTINEL, uuid.uuid4().hex).replace(
            CSRF_SENTINEL, get_token(request)
        )
    response = HttpResponse(page, status=status)
    if is_room and online and (origin := hosted_page_origin()):
        # the card button posts here and is sent on to the provider's page
        form_action(response, [origin])
    return response


def dishes(request, point, menu) -> tuple[list, str]:
    """The menu's sections to render, or (a GET) the dishes' HTML already rendered."""
    lang = translation.get_language()
    fresh = request.method == "GET"
    # the dishes as a phone that chose nothing sees them: the same HTML for every phone of
    # the outlet, kept under the menu's token, the language and what is sold out
    html_key = (
        f"pos:guest-menu-html:{point.outlet_id}:{point.kind}:{menu['token']}:"
        f"{point.property.business_date()}:{lang}:{'.'.join(map(str, sorted(menu['sold_out'])))}"
    )
    dishes_html = versioned_get(html_key) if fresh else None
    sections = (
        []
        if dishes_html is not None
        else [
            {
                "category": category,
                "dishes": [
                    {
                        "product": p,
                        "price": menu["prices"].get(p.pk),
                        "sold_out": p.pk in menu["sold_out"],
                        "allergens": [
                            ALLERGEN_LABELS[a] for a in p.allergens if a in ALLERGEN_LABELS
                        ],
                        "groups": list(p.modifier_groups.all()),
                        "quantity": _int(request.POST.get(f"qty-{p.pk}")),
                        "chosen": {
                            _int(v)
                            for k in request.POST
                            if k.startswith(f"mod-{p.pk}-")
                            for v in request.POST.getlist(k)
                        },
                    }
                    for p in menu["products"][category.pk]
                ],
            }
            for category in menu["categories"]
        ]
    )
    if fresh and dishes_html is None:
        dishes_html = render_to_string("pos/guest/_dishes.html", {"sections": sections})
        cache.set(html_key, dishes_html, timeout=PAGE_TIMEOUT)
    return sections, dishes_html


def _menu_render(request, point, menu, *, error, key, closed, locked, online) -> str:
    """The menu page's HTML; a GET's carries sentinels for the page's key and CSRF token."""
    lang = translation.get_language()
    fresh = request.method == "GET"
    sections, dishes_html = dishes(request, point, menu)
    is_room = point.kind == GuestOrderPoint.Kind.ROOM
    context = {
        "point": point,
        "property": point.property,
        "sections": sections,
        "dishes_html": mark_safe(dishes_html) if dishes_html else "",  # noqa: S308 (our render)
        "closed": closed,
        "fee": point.outlet.room_service_fee if is_room else None,
        "error": error,
        "client_key": KEY_SENTINEL if fresh else (key or uuid.uuid4().hex),
        "is_room": is_room,
        "locked": locked,
        "confirm": request.POST.get("confirm", ""),
        "online_payment": online,
        "lang": lang,
    }
    if fresh:
        context["csrf_token"] = CSRF_SENTINEL
    return render_to_string("pos/guest/menu.html", context, request=request)


@require_http_methods(["GET", "POST"])
def guest_menu_view(request: HttpRequest, token: str) -> HttpResponse:
    """The QR menu; its form places the order (the page's key makes a resubmission a replay)."""
    _language(request)
    point = _point(token)
    if point.kind == GuestOrderPoint.Kind.COLLECT:  # the outlet's click-and-collect page
        return redirect(f"/collect/{token}/?lang={translation.get_language()}")
    if request.method == "GET":
        return _menu_page(request, point)
    key = request.POST.get("client_key", "")
    menu = guest_menu(point=point)
    if request.POST.get("pay") == "card" and point.kind == GuestOrderPoint.Kind.ROOM:
        return _pay_online(request, point, token, key, menu)
    try:
        order = guest_order_place(
            point=point,
            lines=_posted_lines(request.POST, menu),
            client_key=key,
            menu_products=menu["by_id"],
            confirm=request.POST.get("confirm", ""),
        )
    except DomainError as exc:
        return _menu_page(request, point, error=exc.message, status=exc.status_code, key=key)
    return redirect(_status_url(token, order))


def _status_url(token: str, order: GuestOrder) -> str:
    url = reverse("guest:status", kwargs={"token": token, "public_id": order.public_id})
    return f"{url}?lang={translation.get_language()}"


def _pay_online(request, point, token: str, key: str, menu: dict) -> HttpResponse:
    """A room's order paid by card on the provider's page (no surname: nothing is charged
    to the room); the provider sends the guest back to the order's status."""
    try:
        _order, url = guest_order_pay_online_start(
            point=point,
            lines=_posted_lines(request.POST, menu),
            client_key=key,
            menu_products=menu["by_id"],
            # the origin alone is built (build_absolute_uri would encode the braces)
            return_url=request.build_absolute_uri("/").rstrip("/")
            + f"/g/{token}/orders/{{public_id}}/?lang={translation.get_language()}",
        )
    except DomainError as exc:
        return _menu_page(request, point, error=exc.message, status=exc.status_code, key=key)
    return redirect(url)


STEP_LABELS = {
    "received": gettext_lazy("Received"),
    "in_preparation": gettext_lazy("In preparation"),
    "ready": gettext_lazy("Ready"),
    "on_its_way": gettext_lazy("On its way"),
    "handed_over": gettext_lazy("Collected"),
}


@require_GET
def guest_order_status(request: HttpRequest, token: str, public_id: uuid.UUID) -> HttpResponse:
    """What became of the guest's order (the page polls itself every 10 s)."""
    _language(request)
    point = _point(token)
    order = (
        GuestOrder.objects.filter(point=point, public_id=public_id)
        .select_related("pickup_slot")
        .first()
    )
    if order is None:
        raise Http404(_("No such order."))
    if order.status == GuestOrder.Status.AWAITING_PAYMENT:
        # back from the provider's page (or a poll): the sale is made once it is paid
        order = guest_order_online_refresh(guest_order=order)
    progress = guest_order_progress(order)
    collect = point.kind == GuestOrderPoint.Kind.COLLECT
    stages = COLLECT_PROGRESS if collect else PROGRESS
    steps = []
    reached = progress in stages and stages.index(progress)
    for i, step in enumerate(stages):
        steps.append(
            {
                "code": step,
                "label": STEP_LABELS[step],
                "done": progress != "refused" and i <= reached,
                "current": step == progress,
            }
        )
    context = {
        "point": point,
        "property": point.property,
        "order": order,
        "progress": progress,
        "steps": steps,
        "collect": collect,
        "pickup_at": (
            timezone.localtime(order.pickup_slot.starts_at, point.property.tz)
            if collect and order.pickup_slot_id
            else None
        ),
        "lang": translation.get_language(),
    }
    if request.htmx:
        return render(request, "pos/guest/status.html#progress", context)
    return render(request, "pos/guest/status.html", context)


def _answered(request: HttpRequest, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("pos:floor")


def _guest_order(request: HttpRequest, order_id: int) -> GuestOrder:
    order = GuestOrder.objects.filter(pk=order_id, property=request.property).first()
    if order is None:
        raise Http404(_("No such order."))
    return order


def _refused(request: HttpRequest, exc: DomainError) -> HttpResponse:
    messages.error(request, exc.message)
    return redirect("pos:floor")


@require_POST
@capability_required("pos.sell")
def guest_order_accept_view(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _guest_order(request, order_id)
    try:
        guest_order_accept(guest_order=order, property=request.property, actor=request.user)
    except DomainError as exc:
        return _refused(request, exc)
    return _answered(request, _("The guest's order is on the tab and sent."))


@require_POST
@capability_required("pos.sell")
def guest_order_refuse_view(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _guest_order(request, order_id)
    try:
        guest_order_refuse(
            guest_order=order,
            property=request.property,
            actor=request.user,
            reason=request.POST.get("reason", ""),
        )
    except DomainError as exc:
        return _refused(request, exc)
    return _answered(request, _("The guest's order is refused."))


@require_POST
@capability_required("pos.sell")
def guest_order_on_its_way_view(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _guest_order(request, order_id)
    try:
        guest_order_on_its_way(guest_order=order, property=request.property, actor=request.user)
    except DomainError as exc:
        return _refused(request, exc)
    return _answered(request, _("The room's order is on its way."))


@require_POST
@capability_required("pos.sell")
def guest_order_pay_view(request: HttpRequest, order_id: int) -> HttpResponse:
    """A kiosk's ticket paid at this till: cash (exact) or card (the terminal's reference)."""
    order = _guest_order(request, order_id)
    terminal = terminal_for_request(request)
    if terminal is None:
        messages.error(request, _("Bind this browser to a till first."))
        return redirect("pos:floor")
    method = request.POST.get("method")
    reference = (request.POST.get("reference") or "").strip()[:100]
    if method not in (Payment.Method.CASH, Payment.Method.CARD):
        messages.error(request, _("Choose cash or card."))
        return redirect("pos:floor")
    try:
        guest_order_pay_at_counter(
            guest_order=order,
            property=request.property,
            terminal=terminal,
            actor=request.user,
            tenders=[TenderInput(method=method, amount=order.total, terminal_reference=reference)],
        )
    except DomainError as exc:
        return _refused(request, exc)
    return _answered(request, _("Ticket %(number)s is paid.") % {"number": order.number})
