"""Reads of the POS, scoped to a property."""

import copy
import time

from django.core.cache import cache
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from core.cache_tokens import versioned_get, versioned_get_many
from core.models import Property
from pms.models import Reservation
from pos.models import GuestOrder, GuestOrderPoint, Order, Outlet, Terminal
from pos.terminal_cache import TERMINAL_CACHE_SECONDS, terminals_version


def line_pending(line) -> bool:
    """A tab line not sent to a station yet and not voided."""
    return line.kitchen_ticket_id is None and line.voided_at is None


def course_held(*, course: int, fired_course: int) -> bool:
    """The held-course rule, written once for the send, the order column and the tab page:
    before the first send nothing is held (fired_course 0: the first send fires the lowest
    course ordered, with every course up to it); after it, a course after the one fired waits
    for "fire"."""
    return fired_course > 0 and course > fired_course


def line_held(line, *, fired_course: int) -> bool:
    """A pending line of a course that waits for "fire"."""
    return line_pending(line) and course_held(course=line.course, fired_course=fired_course)


def line_to_send(line, *, fired_course: int) -> bool:
    """A pending line that the next send takes to its station."""
    return line_pending(line) and not course_held(course=line.course, fired_course=fired_course)


def outlets_with_terminals(*, property: Property) -> QuerySet[Outlet]:
    """The property's outlets, each with its terminals (two queries)."""
    return (
        Outlet.objects.filter(property=property)
        .prefetch_related(
            Prefetch("terminals", queryset=Terminal.objects.order_by("name"), to_attr="all_terms")
        )
        .order_by("name")
    )


# the worker's own terminals, as objects: {key with the terminals token: (deadline, Terminal)}
# (a sale reads its terminal: no Redis read, no unpickling; each caller gets its own copy)
_TERMINALS: dict[str, tuple[float, Terminal]] = {}


def _terminal_copy(terminal: Terminal) -> Terminal:
    twin = copy.copy(terminal)
    related = twin._state.fields_cache
    for name in ("outlet", "printer"):
        if related.get(name) is not None:
            related[name] = copy.copy(related[name])
    printer = related.get("printer")
    if printer is not None and printer._state.fields_cache.get("cash_drawer") is not None:
        printer._state.fields_cache["cash_drawer"] = copy.copy(
            printer._state.fields_cache["cash_drawer"]
        )
    return twin


def terminal_get(*, property: Property, public_id=None, pk=None) -> Terminal | None:
    """An active terminal of `property` by public id (API) or pk (bound cookie), with its
    outlet, receipt printer and cash drawer (a cash sale kicks the drawer: no extra reads).
    Kept in the shared cache under the terminals token (pos.terminal_cache), and by the
    worker as objects under the same key (each caller gets its own copy).
    The printer's property is `property` itself (a printer serves its own property's
    terminals): set, not joined or cached."""
    if public_id is not None:
        lookup = {"public_id": public_id}
    elif pk is not None:
        lookup = {"pk": pk}
    else:
        return None
    ((field, value),) = lookup.items()
    key = f"pos:terminal:{terminals_version()}:{property.pk}:{field}:{value}"
    now = time.monotonic()
    kept = _TERMINALS.get(key)
    terminal = kept[1] if kept is not None and kept[0] > now else None
    if terminal is None:
        terminal = versioned_get(key)
        if terminal is None:
            terminal = (
                Terminal.objects.filter(property=property, is_active=True, **lookup)
                .select_related("outlet", "printer", "printer__cash_drawer")
                .first()
            )
            if terminal is None:
                return None
            cache.set(key, terminal, timeout=TERMINAL_CACHE_SECONDS)
        if len(_TERMINALS) >= 500:
            _TERMINALS.clear()
        _TERMINALS[key] = (now + TERMINAL_CACHE_SECONDS, terminal)
    terminal = _terminal_copy(terminal)
    if terminal.property_id != property.pk:  # never another property's, cached or not
        return None
    terminal.property = property
    if terminal.printer is not None and terminal.printer.property_id == property.pk:
        terminal.printer.property = property
    return terminal


def reservation_by_reference(*, property: Property, reference: str) -> Reservation | None:
    """A reservation of `property` by its reference (to link a sale to a stay)."""
    return (
        Reservation.objects.filter(property=property, reference=reference)
        .select_related("guest", "folio")
        .first()
    )


def order_get(*, property: Property, order_id: int) -> Order | None:
    """An order of `property` with its ticket, lines, VAT rows and payments. The stay and
    its folio (a room charge only) are read when the order has one: most sales have not,
    and joining those wide rows made every receipt slower."""
    order = (
        Order.objects.filter(property=property, pk=order_id)
        # terminal__outlet for the terminal's label, tab for "back to the tables"
        .select_related("ticket", "terminal__outlet", "outlet", "tab")
        .prefetch_related("ticket__lines", "ticket__vat_lines", "ticket__payments")
        .first()
    )
    if order is not None:
        order.property = property
        if order.ticket is not None:
            order.ticket.property = property
    return order


def in_house_search(*, property: Property, query: str, limit: int = 8) -> list[dict]:
    """In-house stays whose room number is `query`, or whose guest's name contains it (to
    attach a table to a guest): [{reservation, guest, rooms}] in two queries."""
    from django.db.models import Q

    from pms.models import ReservationRoom

    query = (query or "").strip()
    if not query:
        return []
    rooms = (
        ReservationRoom.objects.filter(
            reservation__property=property,
            reservation__status=Reservation.Status.IN_HOUSE,
            is_cancelled=False,
        )
        .filter(
            Q(room__number=query)
            | Q(reservation__guest__last_name__icontains=query)
            | Q(reservation__guest__first_name__icontains=query)
        )
        .select_related("reservation__guest", "room")
        .order_by("room__number")[: limit * 2]
    )
    out: dict[int, dict] = {}
    for rr in rooms:
        entry = out.setdefault(
            rr.reservation_id,
            {"reservation": rr.reservation, "guest": rr.reservation.guest, "rooms": []},
        )
        if rr.room_id:
            entry["rooms"].append(rr.room.number)
    return list(out.values())[:limit]


def guest_suggestions(*, property: Property, tab) -> dict:
    """What the waiter sees about the table's in-house guest: previous POS orders and stays,
    the products they order most, and spa slots still free today (cross-sell)."""
    from django.db.models import Count, Sum

    from billing.models import TicketLine
    from inventory.models import Product
    from pos.services.counter_cart import today_availability

    guest = tab.guest
    orders = list(
        Order.objects.filter(property=property, guest=guest)
        .exclude(ticket__isnull=True)
        .select_related("ticket", "outlet")
        .order_by("-created_at")[:5]
    )
    stays = list(
        Reservation.objects.filter(property=property, guest=guest)
        .order_by("-arrival")
        .only("reference", "arrival", "departure", "status")[:5]
    )
    counts = list(
        TicketLine.objects.filter(
            ticket__property=property, ticket__guest=guest, product__isnull=False
        )
        .values("product_id")
        .annotate(times=Count("id"), quantity=Sum("quantity"))
        .order_by("-times", "product_id")[:3]
    )
    products = Product.objects.in_bulk([row["product_id"] for row in counts])
    favourites = [
        (products[row["product_id"]], row["quantity"])
        for row in counts
        if row["product_id"] in products
    ]
    spa = list(
        Product.objects.filter(
            property=property,
            is_active=True,
            capacity_pool__isnull=False,
            capacity_pool__kind__in=["slot"],
        )
        .select_related("capacity_pool")
        .order_by("sort_order", "pk")[:3]
    )
    availability = today_availability(property=property, products=spa)
    spa_slots = [
        (product, [s for s in availability.get(product.pk, []) if s.available > 0][:4])
        for product in spa
    ]
    return {
        "orders": orders,
        "stays": stays,
        "favourites": favourites,
        "spa_slots": [(p, slots) for p, slots in spa_slots if slots],
    }


def table_menu(*, property: Property) -> dict:
    """The waiter's menu: the counter's categories and, per category, the dishes a table can
    order (no capacity) with their modifier groups and modifiers. Every tab page shows it,
    it changes rarely: cached per property under the catalog token (inventory.catalog_cache),
    so any change to a product, category, modifier or price rebuilds it.
    {"categories": [Category], "products": {category_id: [Product]},
    "outlet_categories": {outlet_id: {category_id}}, "token": str}"""
    from django.core.cache import cache

    from inventory.catalog_cache import catalog_version
    from inventory.models import ModifierGroup
    from inventory.selectors import products_for_property
    from pos.services.counter_cart import counter_categories

    token = catalog_version(property_id=property.pk)
    key = f"pos:table-menu:{property.pk}:{token}"
    menu = versioned_get(key)
    if menu is None:
        products: dict[int, list] = {}
        for product in (
            products_for_property(property=property)
            .filter(capacity_pool__isnull=True, sold_at_counter=True)
            .prefetch_related(
                Prefetch(
                    "modifier_groups",
                    queryset=ModifierGroup.objects.prefetch_related("modifiers"),
                )
            )
            .order_by("sort_order", "pk")
        ):
            products.setdefault(product.category_id, []).append(product)
        outlet_categories: dict[int, set[int]] = {}
        for outlet_id, category_id in Outlet.categories.through.objects.filter(
            outlet__property=property
        ).values_list("outlet_id", "category_id"):
            outlet_categories.setdefault(outlet_id, set()).add(category_id)
        menu = {
            "categories": counter_categories(property=property),
            "products": products,
            # the categories each outlet's menu shows (an outlet not listed shows them all)
            "outlet_categories": outlet_categories,
            "token": token,
        }
        cache.set(key, menu, timeout=3600)
        _keep_menu_products(property, token, [p for ps in products.values() for p in ps])
    return menu


def outlet_menu(*, property: Property, outlet_id: int | None) -> dict:
    """The waiter's menu as one outlet's tablets show it: only the outlet's categories (all
    of them when it chose none), each with dishes. Same cache as table_menu: no query.
    {"categories", "products", "version"}: the version changes with the catalog token and
    whenever a dish becomes or stops being sold out, so a poll can answer "unchanged"."""
    menu = table_menu(property=property)
    allowed = menu.get("outlet_categories", {}).get(outlet_id)
    products = menu["products"]
    categories = [
        c for c in menu["categories"] if c.pk in products and (not allowed or c.pk in allowed)
    ]
    now = timezone.now()
    sold_out = sorted(
        p.pk
        for c in categories
        for p in products[c.pk]
        if p.sold_out_until is not None and p.sold_out_until > now
    )
    version = f"{menu.get('token', '')}-{'.'.join(map(str, sold_out))}"
    return {"categories": categories, "products": products, "version": version, "now": now}


def _menu_product_key(property_id: int, token: str, product_id: int) -> str:
    return f"pos:table-dish:{property_id}:{token}:{product_id}"


def _keep_menu_products(property: Property, token: str, products) -> None:
    cache.set_many({_menu_product_key(property.pk, token, p.pk): p for p in products}, timeout=3600)


def table_menu_products(*, property: Property, ids) -> dict:
    """{pk: Product} of the waiter's menu for these ids (those not on it are left out), as
    table_menu holds them. Each dish is also kept on its own under the catalog token: a tap
    that adds a dish or pays a tab unpickles its few dishes (tens of microseconds), not the
    whole menu (over a millisecond)."""
    from inventory.catalog_cache import catalog_version

    ids = set(ids)
    token = catalog_version(property_id=property.pk)
    keys = {_menu_product_key(property.pk, token, pk): pk for pk in ids}
    found = versioned_get_many(list(keys))
    if len(found) == len(keys):
        return {keys[key]: product for key, product in found.items()}
    # one entry evicted or the menu not built yet under this token: the whole menu, once
    on_menu = {p.pk: p for ps in table_menu(property=property)["products"].values() for p in ps}
    wanted = {pk: on_menu[pk] for pk in ids if pk in on_menu}
    _keep_menu_products(property, token, wanted.values())
    return wanted


def outlet_choices(property_id: int) -> list[tuple[int, str]]:
    """[(id, name)] of a property's outlets, for the staff screen's rights per outlet."""
    return list(
        Outlet.objects.filter(property_id=property_id).order_by("name").values_list("pk", "name")
    )


def terminal_outlet_id(terminal_id: int) -> int | None:
    """The outlet of a terminal (a binding made before bindings carried their outlet)."""
    return Terminal.objects.filter(pk=terminal_id).values_list("outlet_id", flat=True).first()


def waiting_guest_orders(*, property: Property) -> list:
    """The floor plan's guest orders (QR menus): the tables' waiting for a waiter's answer,
    the kiosks' waiting to be paid, the rooms' charged or paid and waiting to leave. One
    query."""
    waiting = Q(status__in=(GuestOrder.Status.RECEIVED, GuestOrder.Status.CHARGED)) | Q(
        status=GuestOrder.Status.PAID, point__kind=GuestOrderPoint.Kind.ROOM
    )
    return list(
        GuestOrder.objects.filter(waiting, property=property).select_related(
            "point__table", "point__room", "outlet"
        )
    )
