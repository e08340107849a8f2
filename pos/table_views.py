"""Waiter tablet (POS-2/3): floor plan, a table's tab with items and modifiers, send to the
kitchen and bar, payment or room charge; and the kitchen display per station."""

from decimal import Decimal

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import DomainError, InvalidInput
from core.scoping import capability_required
from inventory.models import Channel, ModifierGroup
from inventory.selectors import products_for_property
from inventory.services.pricing import quote
from pos.counter import counter_categories, parse_quantity
from pos.counter_views import _tenders
from pos.models import KitchenTicket, Table, TableTab, TabLine
from pos.services.tables import (
    STATIONS,
    kitchen_ticket_bump,
    tab_add_line,
    tab_checkout,
    tab_quote_lines,
    tab_remove_line,
    tab_send,
    table_open,
)
from pos.terminals import terminal_for_request


def _table_products(request: HttpRequest):
    return products_for_property(property=request.property).filter(capacity_pool__isnull=True)


@require_GET
@capability_required("pos.sell")
def floor(request: HttpRequest) -> HttpResponse:
    tables = list(
        Table.objects.filter(property=request.property, is_active=True).select_related("outlet")
    )
    open_tabs = {
        t.table_id: t
        for t in TableTab.objects.filter(property=request.property, status=TableTab.Status.OPEN)
    }
    outlets = {}
    for table in tables:
        outlets.setdefault(table.outlet, []).append((table, open_tabs.get(table.pk)))
    return render(request, "pos/floor.html", {"outlets": outlets})


@require_POST
@capability_required("pos.sell")
def open_table(request: HttpRequest, table_id: int) -> HttpResponse:
    table = Table.objects.filter(property=request.property, pk=table_id, is_active=True).first()
    if table is None:
        raise Http404
    try:
        try:
            covers = int(request.POST.get("covers", ""))
        except ValueError:
            raise InvalidInput(_("Enter the number of covers (1 to %(max)s).") % {"max": 99})
        tab = table_open(table=table, covers=covers, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("pos:floor")
    return redirect("pos:tab", tab_id=tab.pk)


def _tab_or_404(request: HttpRequest, tab_id: int) -> TableTab:
    tab = (
        TableTab.objects.filter(property=request.property, pk=tab_id)
        .select_related("table", "order", "property")
        .first()
    )
    if tab is None:
        raise Http404
    return tab


@require_GET
@capability_required("pos.sell")
def tab(request: HttpRequest, tab_id: int) -> HttpResponse:
    tab = _tab_or_404(request, tab_id)
    if tab.status == TableTab.Status.CLOSED and tab.order_id:
        return redirect("pos:counter_receipt", order_id=tab.order_id)
    categories = [
        c
        for c in counter_categories(property=request.property)
        if _table_products(request).filter(category=c).exists()
    ]
    try:
        category_id = int(request.GET.get("category", ""))
    except ValueError:
        category_id = categories[0].pk if categories else None
    products = list(
        _table_products(request)
        .filter(category_id=category_id)
        .prefetch_related(
            Prefetch(
                "modifier_groups",
                queryset=ModifierGroup.objects.prefetch_related("modifiers"),
            )
        )
        .order_by("sort_order", "pk")
    )
    lines = list(tab.lines.select_related("kitchen_ticket"))
    total = Decimal("0.00")
    if lines:
        try:
            total = quote(
                property=request.property, channel=Channel.POS, lines=tab_quote_lines(tab)
            ).total
        except DomainError as exc:
            messages.error(request, str(exc.message))
    context = {
        "tab": tab,
        "categories": categories,
        "current_category": category_id,
        "products": products,
        "lines": lines,
        "total": total,
        "unsent": any(line.kitchen_ticket_id is None for line in lines),
    }
    if request.htmx and "category" in request.GET:
        return render(request, "pos/tab.html#menu", context)
    return render(request, "pos/tab.html", context)


def _back(tab: TableTab, error: DomainError | None = None, request=None, category=None):
    """Back to the tab, on the menu category the waiter was using."""
    if error is not None:
        messages.error(request, str(error.message))
    url = reverse("pos:tab", args=[tab.pk])
    if category and str(category).isdigit():
        url += f"?category={category}"
    return redirect(url)


@require_POST
@capability_required("pos.sell")
def tab_add(request: HttpRequest, tab_id: int) -> HttpResponse:
    tab = _tab_or_404(request, tab_id)
    try:
        try:
            product_id = int(request.POST.get("product_id", ""))
            modifier_ids = [
                int(value)
                for key in request.POST
                if key.startswith("modifier_")
                for value in request.POST.getlist(key)
            ][:20]
        except ValueError:
            raise InvalidInput(_("No such product."))
        product = _table_products(request).filter(pk=product_id).first()
        if product is None:
            raise InvalidInput(_("No such product."))
        tab_add_line(
            tab=tab,
            product=product,
            actor=request.user,
            quantity=parse_quantity(request.POST.get("quantity")),
            modifier_ids=modifier_ids,
            note=request.POST.get("note", ""),
        )
    except DomainError as exc:
        return _back(tab, exc, request, category=request.POST.get("category"))
    return _back(tab, category=request.POST.get("category"))


@require_POST
@capability_required("pos.sell")
def tab_remove(request: HttpRequest, tab_id: int, line_id: int) -> HttpResponse:
    tab = _tab_or_404(request, tab_id)
    try:
        tab_remove_line(tab=tab, line_id=line_id, actor=request.user)
    except DomainError as exc:
        return _back(tab, exc, request)
    return _back(tab)


@require_POST
@capability_required("pos.sell")
def tab_send_view(request: HttpRequest, tab_id: int) -> HttpResponse:
    tab = _tab_or_404(request, tab_id)
    try:
        tickets = tab_send(tab=tab, actor=request.user)
    except DomainError as exc:
        return _back(tab, exc, request)
    if tickets:
        messages.success(request, _("Sent to the kitchen."))
    else:
        messages.error(request, _("Nothing new to send."))
    return _back(tab)


@require_POST
@capability_required("pos.sell")
def tab_pay(request: HttpRequest, tab_id: int) -> HttpResponse:
    tab = _tab_or_404(request, tab_id)
    if tab.order_id:
        return redirect("pos:counter_receipt", order_id=tab.order_id)
    terminal = terminal_for_request(request)
    try:
        if terminal is None:
            raise InvalidInput(_("This device is not bound to a terminal."))
        lines = tab_quote_lines(tab)
        if not lines:
            raise InvalidInput(_("The table has nothing to pay."))
        total = quote(property=request.property, channel=Channel.POS, lines=lines).total
        tenders, room_number = _tenders(request.POST, total=total)
        order = tab_checkout(
            tab=tab, terminal=terminal, actor=request.user, tenders=tenders, room_number=room_number
        )
    except DomainError as exc:
        return _back(tab, exc, request)
    return redirect("pos:counter_receipt", order_id=order.pk)


def _station_or_404(station: str) -> str:
    if station not in STATIONS:
        raise Http404
    return station


@require_GET
@capability_required("kitchen.view")
def kitchen(request: HttpRequest, station: str) -> HttpResponse:
    station = _station_or_404(station)
    tickets = (
        KitchenTicket.objects.filter(
            property=request.property, station=station, status=KitchenTicket.Status.NEW
        )
        .select_related("tab__table", "sent_by")
        .prefetch_related(Prefetch("lines", queryset=TabLine.objects.order_by("pk")))
    )
    context = {"station": station, "tickets": tickets, "stations": STATIONS}
    if request.htmx:
        return render(request, "pos/kitchen.html#tickets", context)
    return render(request, "pos/kitchen.html", context)


@require_POST
@capability_required("kitchen.view")
def kitchen_bump(request: HttpRequest, station: str, ticket_id: int) -> HttpResponse:
    station = _station_or_404(station)
    ticket = KitchenTicket.objects.filter(
        property=request.property, station=station, pk=ticket_id
    ).first()
    if ticket is None:
        raise Http404
    kitchen_ticket_bump(ticket=ticket, actor=request.user)
    if request.htmx:
        return kitchen(request, station)
    return redirect("pos:kitchen", station=station)
