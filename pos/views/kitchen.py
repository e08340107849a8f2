"""Kitchen display per station (POS-3): the station's tickets waiting with their table,
covers, waiter, course, modifiers and allergens, an age timer that turns amber then red (the
outlet's minutes), bump per dish and per ticket, recall of the last bumped, and the "all day"
count of each dish in progress. Polled by htmx every few seconds: the list is swapped whole,
each ticket keeps its id, so nothing flickers or jumps."""

from collections import Counter

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import DomainError
from core.scoping import capability_required
from inventory.services.catalogue import (
    product_is_sold_out,
)
from pos.models import KitchenTicket, TabLine
from pos.services.tables import (
    STATIONS,
    kitchen_line_bump,
    kitchen_ticket_bump,
    kitchen_ticket_recall,
)
from pos.views.tables import course_name

AMBER_MINUTES = 10  # an outlet's own minutes win (pos.Outlet.kds_amber_minutes)
RED_MINUTES = 20


def _station_or_404(station: str) -> str:
    if station not in STATIONS:
        raise Http404
    return station


@require_GET
@capability_required("kitchen.view")
def kitchen(request: HttpRequest, station: str) -> HttpResponse:
    return _kitchen_page(request, _station_or_404(station))


def _age_class(minutes: int, outlet) -> str:
    amber = getattr(outlet, "kds_amber_minutes", AMBER_MINUTES) or AMBER_MINUTES
    red = getattr(outlet, "kds_red_minutes", RED_MINUTES) or RED_MINUTES
    if minutes >= red:
        return "age-red"
    if minutes >= amber:
        return "age-amber"
    return "age-ok"


def _outlet_of(ticket: KitchenTicket):
    return ticket.tab.table.outlet if ticket.tab_id else ticket.guest_order.outlet


def _kitchen_page(request: HttpRequest, station: str) -> HttpResponse:
    """The station's tickets (whole page, or the list alone for htmx polling and bumps)."""
    from inventory.models import Product

    tickets = list(
        KitchenTicket.objects.filter(
            property=request.property, station=station, status=KitchenTicket.Status.NEW
        )
        .select_related(
            "tab__table__outlet",
            "guest_order__outlet",
            "guest_order__point__room",
            "guest_order__pickup_slot",
            "guest_order__property",
            "sent_by",
        )
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=TabLine.objects.order_by("pk").prefetch_related(
                    Prefetch(
                        "product",
                        queryset=Product.objects.only("pk", "allergens", "sold_out_until"),
                    )
                ),
            )
        )
        .order_by("created_at", "pk")
    )
    now = timezone.now()
    cards = []
    all_day: Counter = Counter()
    for ticket in tickets:
        minutes = max(0, int((now - ticket.created_at).total_seconds() // 60))
        lines = []
        for line in ticket.lines.all():
            name, _sep, mods = line.description.partition(" + ")
            lines.append((line, name, mods, line.product.allergens))
            line.sold_out = product_is_sold_out(line.product)
            if line.voided_at is None and line.bumped_at is None:
                all_day[name] += line.quantity
        cards.append(
            {
                "ticket": ticket,
                "course": course_name(ticket.course),
                "minutes": minutes,
                "age": _age_class(minutes, _outlet_of(ticket)),
                "place": "" if ticket.tab_id else ticket.guest_order.place(),
                "lines": lines,
                "waiter": ticket.sent_by.get_full_name() or ticket.sent_by.get_username(),
            }
        )
    context = {
        "station": station,
        "cards": cards,
        "all_day": sorted(all_day.items(), key=lambda kv: (-kv[1], kv[0])),
        "stations": STATIONS,
        "can_recall": KitchenTicket.objects.filter(
            property=request.property, station=station, status=KitchenTicket.Status.BUMPED
        ).exists(),
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "pos/kitchen.html#tickets", context)
    return render(request, "pos/kitchen.html", context)


def _ticket_or_404(request: HttpRequest, station: str, ticket_id: int) -> KitchenTicket:
    ticket = KitchenTicket.objects.filter(
        property=request.property, station=station, pk=ticket_id
    ).first()
    if ticket is None:
        raise Http404
    return ticket


def _after(request: HttpRequest, station: str) -> HttpResponse:
    if request.htmx:
        # the list as it is now, at once (kitchen() itself only answers GET)
        return _kitchen_page(request, station)
    return redirect("pos:kitchen", station=station)


@require_POST
@capability_required("kitchen.view")
def kitchen_bump(request: HttpRequest, station: str, ticket_id: int) -> HttpResponse:
    station = _station_or_404(station)
    kitchen_ticket_bump(ticket=_ticket_or_404(request, station, ticket_id), actor=request.user)
    return _after(request, station)


@require_POST
@capability_required("kitchen.view")
def kitchen_line_bump_view(
    request: HttpRequest, station: str, ticket_id: int, line_id: int
) -> HttpResponse:
    """One dish ready; the ticket goes when its last dish does."""
    station = _station_or_404(station)
    ticket = _ticket_or_404(request, station, ticket_id)
    try:
        kitchen_line_bump(ticket=ticket, line_id=line_id, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return _after(request, station)


@require_POST
@capability_required("kitchen.view")
def kitchen_recall(request: HttpRequest, station: str) -> HttpResponse:
    """The last ticket bumped comes back (bumped by mistake)."""
    station = _station_or_404(station)
    if kitchen_ticket_recall(property=request.property, station=station, actor=request.user):
        messages.success(request, _("The last ticket is back."))
    else:
        messages.error(request, _("No ticket to recall."))
    return _after(request, station)


@require_POST
@capability_required("kitchen.view")
def kitchen_sold_out(request: HttpRequest, station: str, product_id: int) -> HttpResponse:
    """The cook's 86: none left of this dish until the end of the service (the same 86 as
    the manager's catalogue, audited), or back on sale. Every tablet of the outlet stops
    offering it at its next poll."""
    from inventory.models import Product
    from inventory.views.catalogue import sold_out_switch

    station = _station_or_404(station)
    product = Product.objects.filter(property=request.property, pk=product_id).first()
    if product is None:
        raise Http404
    sold_out_switch(request, product, back=request.POST.get("back") == "1")
    return _after(request, station)
