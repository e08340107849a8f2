"""The manager's guest ordering (/manage/guest-ordering/): each outlet's service rules and
pause switch, its QR codes (made for the tables and the rooms, rotated one by one) and the
printable sheet of codes."""

from datetime import time

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.dates import WEEKDAYS
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import DomainError, InvalidInput
from core.scoping import capability_required
from core.two_factor import qr_svg
from inventory.models import Product
from pms.models import Room
from pos.models import GuestOrderPoint, Outlet
from pos.services.guest_orders import (
    guest_point_rotate,
    guest_points_create,
    outlet_guest_rules_set,
    point_token,
)

# the closed days of click-and-collect, ISO numbers (1 Monday … 7 Sunday)
ISO_WEEKDAYS = {str(n) for n in range(1, 8)}


def _points(outlet_ids) -> list[GuestOrderPoint]:
    return list(
        GuestOrderPoint.objects.filter(outlet_id__in=outlet_ids, is_active=True).select_related(
            "table", "room", "outlet"
        )
    )


@require_GET
@capability_required("manage")
def guest_ordering(request: HttpRequest) -> HttpResponse:
    """Every outlet with its rules and its QR codes (four queries)."""
    outlets = list(Outlet.objects.filter(property=request.property, is_active=True))
    by_outlet: dict[int, list] = {}
    for point in _points([o.pk for o in outlets]):
        if point.kind == GuestOrderPoint.Kind.KIOSK:
            point.kiosk_url = f"/kiosk/{point_token(point)}/"
        if point.kind == GuestOrderPoint.Kind.COLLECT:
            point.collect_url = f"/collect/{point_token(point)}/"
        by_outlet.setdefault(point.outlet_id, []).append(point)
    excluded: dict[int, set[int]] = {}
    for outlet_id, product_id in Outlet.guest_menu_excluded.through.objects.filter(
        outlet__in=outlets
    ).values_list("outlet_id", "product_id"):
        excluded.setdefault(outlet_id, set()).add(product_id)
    rows = [
        {"outlet": o, "points": by_outlet.get(o.pk, []), "excluded": excluded.get(o.pk, set())}
        for o in outlets
    ]
    products = list(
        Product.objects.filter(property=request.property, is_active=True).only(
            "pk", "name_fr", "name_en"
        )
    )
    weekdays = [(number, WEEKDAYS[number - 1]) for number in range(1, 8)]
    return render(
        request,
        "pos/guest/manage.html",
        {"rows": rows, "products": products, "weekdays": weekdays},
    )


def _time(raw: str, label: str) -> time | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        hours, minutes = (int(part) for part in raw.split(":")[:2])
        return time(hours, minutes)
    except (TypeError, ValueError):
        raise InvalidInput(_("Enter %(field)s as HH:MM.") % {"field": label})


def _product(request: HttpRequest, raw) -> Product | None:
    """A product of this property chosen in the form (empty: none)."""
    if not str(raw or "").isdigit():
        return None
    product = Product.objects.filter(pk=int(raw), property=request.property).first()
    if product is None:
        raise InvalidInput(_("No such product."))
    return product


def _outlet(request: HttpRequest, pk: int) -> Outlet:
    return get_object_or_404(Outlet, pk=pk, property=request.property)


@require_POST
@capability_required("manage")
def guest_rules_update(request: HttpRequest, pk: int) -> HttpResponse:
    outlet = _outlet(request, pk)
    post = request.POST
    try:
        raw_max = (post.get("max_open") or "").strip()
        if not raw_max.isdigit() or not 1 <= int(raw_max) <= 500:
            raise InvalidInput(_("Enter the most open orders, from 1 to 500."))
        slot_rules = {}
        for name, field, low, high, message in (
            (
                "slot_minutes",
                "collect_slot_minutes",
                5,
                240,
                _("Enter the pickup slot's length, from 5 to 240 minutes."),
            ),
            (
                "slot_capacity",
                "collect_slot_capacity",
                1,
                500,
                _("Enter the orders per pickup slot, from 1 to 500."),
            ),
            (
                "lead_minutes",
                "collect_lead_minutes",
                0,
                1440,
                _("Enter the first pickup's delay, from 0 to 1440 minutes."),
            ),
            (
                "days_ahead",
                "collect_days_ahead",
                0,
                30,
                _("Enter how many days ahead a pickup is offered, from 0 to 30."),
            ),
            (
                "grace_minutes",
                "collect_grace_minutes",
                0,
                1440,
                _("Enter how long an unpaid order is kept, from 0 to 1440 minutes."),
            ),
            (
                "kitchen_lead_minutes",
                "collect_kitchen_lead_minutes",
                0,
                1440,
                _(
                    "Enter how long before a later day's pickup the kitchen gets the order, "
                    "from 0 to 1440 minutes."
                ),
            ),
            (
                "kiosk_counter_minutes",
                "kiosk_counter_minutes",
                0,
                1440,
                _(
                    "Enter how long a kiosk ticket waits for its payment at the counter, "
                    "from 0 (the end of the service) to 1440 minutes."
                ),
            ),
        ):
            raw = (post.get(name) or "").strip()
            if not raw:
                continue  # a form without click-and-collect's fields keeps them
            if not raw.isdigit() or not low <= int(raw) <= high:
                raise InvalidInput(message)
            slot_rules[field] = int(raw)
        if post.get("collect_form"):
            slot_rules["collect_pay_at_pickup"] = post.get("pay_at_pickup") == "on"
            slot_rules["collect_closed_weekdays"] = sorted(
                {int(d) for d in post.getlist("closed_weekdays") if d in ISO_WEEKDAYS}
            )
        outlet_guest_rules_set(
            outlet=outlet,
            actor=request.user,
            guest_orders_paused=post.get("paused") == "on",
            guest_orders_need_acceptance=post.get("need_acceptance") == "on",
            guest_orders_max_open=int(raw_max),
            opens_at=_time(post.get("opens_at"), _("the opening time")),
            kitchen_closes_at=_time(post.get("kitchen_closes_at"), _("the kitchen's closing time")),
            room_service_opens_at=_time(post.get("room_opens_at"), _("the room service's hours")),
            room_service_closes_at=_time(post.get("room_closes_at"), _("the room service's hours")),
            room_service_fee=_product(request, post.get("fee")),
            **slot_rules,
        )
        outlet.guest_menu_excluded.set(
            [p.pk for raw in post.getlist("excluded") if (p := _product(request, raw))]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The rules of %(outlet)s are saved.") % {"outlet": outlet.name})
    return redirect("guest_ordering:list")


@require_POST
@capability_required("manage")
def guest_points_make(request: HttpRequest, pk: int) -> HttpResponse:
    """QR codes for the outlet's tables, or (rooms=on) for every room of the property."""
    outlet = _outlet(request, pk)
    rooms = Room.objects.filter(property=request.property) if request.POST.get("rooms") else []
    made = guest_points_create(
        outlet=outlet,
        actor=request.user,
        rooms=rooms,
        kiosk=bool(request.POST.get("kiosk")),
        collect=bool(request.POST.get("collect")),
    )
    messages.success(
        request,
        _("%(count)s QR codes made.") % {"count": made} if made else _("Every QR code is made."),
    )
    return redirect("guest_ordering:list")


@require_POST
@capability_required("manage")
def guest_point_rotate_view(request: HttpRequest, pk: int) -> HttpResponse:
    point = get_object_or_404(GuestOrderPoint, pk=pk, property=request.property)
    point.property = request.property
    guest_point_rotate(point=point, actor=request.user)
    messages.success(
        request, _("%(label)s has a new code: print it again.") % {"label": point.label}
    )
    return redirect("guest_ordering:list")


@capability_required("manage")
def guest_points_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable sheet of the outlet's codes (the browser's print). Another property's
    outlet is a 404 whatever the method (checked before the method)."""
    outlet = _outlet(request, pk)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    cards = []
    for point in _points([outlet.pk]):
        if point.kind in (GuestOrderPoint.Kind.KIOSK, GuestOrderPoint.Kind.COLLECT):
            continue  # opened on its tablet, or a link on the outlet's website
        url = request.build_absolute_uri(f"/g/{point_token(point)}/")
        cards.append({"point": point, "url": url, "qr": mark_safe(qr_svg(url))})  # noqa: S308
    return render(request, "pos/guest/sheet.html", {"outlet": outlet, "cards": cards})
