"""Click-and-collect: the outlet's public page where a guest orders ahead for a pickup time
and pays online (/collect/<token>/, no sign-in), and the staff's list of today's pickups
(/pos/collect/) where an order is marked ready, then handed over."""

import uuid
from datetime import date, timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing.models import Payment
from billing.services.payments import TenderInput
from core.csp import form_action
from core.exceptions import DomainError
from core.scoping import capability_required
from pms.services.payment_gateway import hosted_page_origin
from pos.guest_menu import guest_menu
from pos.models import GuestOrder, GuestOrderPoint, Outlet
from pos.services.click_collect import (
    MAX_DAYS_AHEAD,
    collect_days,
    collect_order_handed_over,
    collect_order_paid_and_handed_over,
    collect_order_pay_at_pickup,
    collect_order_ready,
    collect_order_start,
    collect_orders_today,
    collect_slots,
)
from pos.services.guest_orders import online_payment_available, outlet_taking_orders
from pos.terminals import terminal_for_request
from pos.views.guest import _language, _point, _posted_lines, dishes


def _day(raw, days: list) -> date | None:
    """The pickup day asked for (?pickup_day=), if one offered, else the first offered."""
    try:
        asked = date.fromisoformat(str(raw or ""))
    except ValueError:
        asked = None
    if asked in days:
        return asked
    return days[0] if days else None


def _page(request, point, *, error: str = "", status: int = 200, key: str = "") -> HttpResponse:
    outlet = point.outlet
    days = collect_days(outlet)
    chosen = request.POST.get("pickup_at", "")
    raw_day = request.GET.get("pickup_day") or request.POST.get("pickup_day") or chosen[:10]
    day = _day(raw_day, days)
    slots = collect_slots(outlet=outlet, day=day) if day else []
    online = online_payment_available()
    context = {
        "point": point,
        "property": point.property,
        "days": days,
        "day": day,
        "today": timezone.localdate(timezone=point.property.tz),
        "slots": slots,
        "chosen_slot": chosen,
        "lang": translation.get_language(),
    }
    if request.htmx and request.method == "GET" and "pickup_day" in request.GET:
        # the guest chose another day: that day's times only
        return render(request, "pos/guest/collect.html#times", context)
    menu = guest_menu(point=point)
    sections, dishes_html = dishes(request, point, menu)
    closed = outlet_taking_orders(outlet)
    if closed is not None and not outlet.guest_orders_paused and any(d != days[0] for d in days):
        closed = None  # closed now, but a later day is offered
    if closed is None and not any(s.left for s in slots) and len(days) <= 1:
        closed = _("No pickup time is left today.")
    if closed is None and not online and not outlet.collect_pay_at_pickup:
        closed = _("Online payment is not available here.")
    context.update(
        {
            "sections": sections,
            "dishes_html": mark_safe(dishes_html) if dishes_html else "",  # noqa: S308
            "name": request.POST.get("name", ""),
            "email": request.POST.get("email", ""),
            "online": online,
            "at_pickup": outlet.collect_pay_at_pickup,
            "pay": request.POST.get("pay") or ("online" if online else "pickup"),
            "closed": closed,
            "error": error,
            "client_key": key or uuid.uuid4().hex,
        }
    )
    response = render(request, "pos/guest/collect.html", context, status=status)
    if online and (origin := hosted_page_origin()):
        form_action(response, [origin])  # the order is paid on the provider's page
    return response


@require_http_methods(["GET", "POST"])
def collect_page(request: HttpRequest, token: str) -> HttpResponse:
    """The outlet's click-and-collect page; its form holds a pickup day and time and either
    sends the guest to the provider's page or (pay=pickup, when the outlet allows it)
    places the order to pay at the counter (the page's key makes a resubmission the same
    order)."""
    _language(request)
    point = _point(token)
    if point.kind != GuestOrderPoint.Kind.COLLECT:
        return redirect(f"/g/{token}/?lang={translation.get_language()}")
    if request.method == "GET":
        return _page(request, point)
    key = request.POST.get("client_key", "")
    menu = guest_menu(point=point)
    fields = {
        "point": point,
        "lines": _posted_lines(request.POST, menu),
        "client_key": key,
        "menu_products": menu["by_id"],
        "sold_out": menu["sold_out"],
        "pickup_at": request.POST.get("pickup_at"),
        "name": request.POST.get("name", ""),
        "email": request.POST.get("email", ""),
    }
    status_url = f"/g/{token}/orders/{{public_id}}/?lang={translation.get_language()}"
    try:
        if request.POST.get("pay") == "pickup":
            order = collect_order_pay_at_pickup(**fields)
            return redirect(status_url.format(public_id=order.public_id))
        _order, url = collect_order_start(
            **fields,
            # the origin alone is built (build_absolute_uri would encode the braces)
            return_url=request.build_absolute_uri("/").rstrip("/") + status_url,
        )
    except DomainError as exc:
        return _page(request, point, error=exc.message, status=exc.status_code, key=key)
    return redirect(url)


def _outlet(request: HttpRequest) -> Outlet | None:
    raw = request.GET.get("outlet") or request.POST.get("outlet") or ""
    if not raw.isdigit():
        return None
    return Outlet.objects.filter(pk=int(raw), property=request.property).first()


@require_GET
@capability_required("pos.sell")
def collect_list(request: HttpRequest) -> HttpResponse:
    """A day's (default today's) click-and-collect orders of the property (or one outlet),
    by pickup time, paid or to pay; polled every 15 s."""
    outlet = _outlet(request)
    today = timezone.localdate(timezone=request.property.tz)
    try:
        day = date.fromisoformat(request.GET.get("day") or "")
    except ValueError:
        day = today
    day = min(max(day, today), today + timedelta(days=MAX_DAYS_AHEAD))
    orders = collect_orders_today(property=request.property, outlet=outlet, day=day)
    context = {
        "orders": orders,
        "outlet": outlet,
        "day": day,
        "today": day == today,
        "next_day": day + timedelta(days=1),
        "previous_day": day - timedelta(days=1) if day > today else None,
        "methods": [(Payment.Method.CASH, _("Cash")), (Payment.Method.CARD, _("Card"))],
    }
    if request.htmx:
        return render(request, "pos/collect.html#orders", context)
    return render(request, "pos/collect.html", context)


def _order(request: HttpRequest, order_id: int) -> GuestOrder:
    from django.http import Http404

    order = GuestOrder.objects.filter(pk=order_id, property=request.property).first()
    if order is None:
        raise Http404(_("No such order."))
    return order


def _back(request: HttpRequest) -> HttpResponse:
    from urllib.parse import urlencode

    outlet = _outlet(request)
    params = {"outlet": outlet.pk} if outlet else {}
    try:
        params["day"] = date.fromisoformat(request.POST.get("day") or "").isoformat()
    except ValueError:
        pass  # today's list
    return redirect("/pos/collect/" + (f"?{urlencode(params)}" if params else ""))


@require_POST
@capability_required("pos.sell")
def collect_ready_view(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order(request, order_id)
    try:
        collect_order_ready(guest_order=order, property=request.property, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(name)s's order is ready: the guest is told.") % {"name": order.customer_name},
        )
    return _back(request)


@require_POST
@capability_required("pos.sell")
def collect_handed_over_view(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order(request, order_id)
    try:
        collect_order_handed_over(guest_order=order, property=request.property, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("%(name)s's order is handed over.") % {"name": order.customer_name}
        )
    return _back(request)


@require_POST
@capability_required("pos.sell")
def collect_paid_view(request: HttpRequest, order_id: int) -> HttpResponse:
    """An order to pay at pickup: paid at this till (cash or card for its total), then
    handed over."""
    order = _order(request, order_id)
    terminal = terminal_for_request(request)
    method = request.POST.get("method")
    if terminal is None:
        messages.error(request, _("Bind this browser to a till first."))
    elif method not in (Payment.Method.CASH, Payment.Method.CARD):
        messages.error(request, _("Choose cash or card."))
    else:
        reference = (request.POST.get("reference") or "").strip()[:100]
        try:
            collect_order_paid_and_handed_over(
                guest_order=order,
                property=request.property,
                terminal=terminal,
                actor=request.user,
                tenders=[
                    TenderInput(method=method, amount=order.total, terminal_reference=reference)
                ],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("%(name)s's order is paid and handed over.") % {"name": order.customer_name},
            )
    return _back(request)
