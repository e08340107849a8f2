"""The QR menu a guest's phone shows (POS-2/3): the outlet's categories and dishes, their
allergens and choices, priced by the same `quote` as the till (promotions named). Built once
per catalogue token and business day (`inventory.catalog_cache`: any change to a product,
price, category, modifier or promotion rebuilds it), so two hundred phones reading the menu
at once cost no query for it; only what is sold out is read live (the 86 from the cached
dishes, the stock left in one query when the menu sells any). A menu page kept whole
(pos.views.guest) asks only `guest_menu_sold_out`: what can be sold out, a few bytes kept
beside the menu, so a view unpickles no dish."""

from dataclasses import dataclass
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Prefetch
from django.utils import timezone

from core.cache_tokens import versioned_get
from inventory.catalog_cache import catalog_version
from inventory.models import ALLERGENS, CapacityPool, Channel, ModifierGroup, SaleChannel
from inventory.promotion_labels import discounts_for
from inventory.selectors import products_for_property
from inventory.services.pricing import QuoteLineInput, quote
from pos.models import GuestOrderPoint, Outlet
from pos.services.counter_cart import counter_categories, today_availability

ALLERGEN_CODES = tuple(code for code, _label in ALLERGENS)


@dataclass
class MenuPrice:
    """A dish's price as the till would sell one today, and the promotion that made it."""

    unit_price: Decimal
    list_price: Decimal | None = None
    promotion: str = ""


def point_channel(point: GuestOrderPoint) -> str:
    """The sale channel a point orders on (a table's and a room's QR code: the QR menus)."""
    return {
        GuestOrderPoint.Kind.COLLECT: SaleChannel.COLLECT,
        GuestOrderPoint.Kind.KIOSK: SaleChannel.KIOSK,
    }.get(point.kind, SaleChannel.QR)


@dataclass(frozen=True)
class Stocked:
    """A dish of the menu sold from a stock pool (what `today_availability` reads of it)."""

    pk: int
    capacity_pool_id: int


def _key(point: GuestOrderPoint, token: str, day) -> str:
    return f"pos:guest-menu:{point.outlet_id}:{point.kind}:{token}:{day}"


def _state_key(point: GuestOrderPoint, token: str, day) -> str:
    return f"pos:guest-menu-state:{point.outlet_id}:{point.kind}:{token}:{day}"


def _state(menu: dict) -> dict:
    """What of a menu can be sold out: the 86 of each dish that has one (until when; a new
    86 or its clearing is a new catalogue token) and the dishes sold from stock."""
    return {
        "token": menu["token"],
        "eighty_sixed": {
            pk: p.sold_out_until for pk, p in menu["by_id"].items() if p.sold_out_until
        },
        "stock": [Stocked(pk, menu["by_id"][pk].capacity_pool_id) for pk in menu["stock"]],
    }


def _build(point: GuestOrderPoint, token: str, day) -> dict:
    property = point.property
    outlet: Outlet = point.outlet
    channel = point_channel(point)
    allowed = set(outlet.categories.values_list("pk", flat=True))
    excluded = set(outlet.guest_menu_excluded.values_list("pk", flat=True))
    products = (
        products_for_property(property=property)
        .filter(category__isnull=False)
        .prefetch_related(
            Prefetch(
                "modifier_groups", queryset=ModifierGroup.objects.prefetch_related("modifiers")
            )
        )
        .order_by("sort_order", "pk")
    )
    if allowed:
        products = products.filter(category_id__in=allowed)
    on_menu = []
    for product in products:
        pool = product.capacity_pool
        if pool is not None and (
            point.kind == GuestOrderPoint.Kind.TABLE or pool.kind != CapacityPool.Kind.STOCK
        ):
            continue  # a slot, a night, or stock at a table (sold at the counter)
        if product.gift_card_kind or product.pk in excluded:
            continue  # a gift card, or what the outlet keeps for its waiters
        if not product.sold_on(channel):
            continue  # not offered on this channel (a manager's choice per product)
        on_menu.append(product)
    prices: dict[int, MenuPrice] = {}
    if on_menu:
        quoted = quote(
            property=property,
            channel=Channel.POS,
            lines=[QuoteLineInput(product_id=p.pk) for p in on_menu],
            products={p.pk: p for p in on_menu},
        )
        discounts_for(property_id=property.pk, lines=quoted.lines)
        for line in quoted.lines:
            found = line.promotion_discount
            prices[line.product.pk] = MenuPrice(
                unit_price=line.unit_price,
                list_price=found.list_total if found else None,
                promotion=found.name if found else "",
            )
    by_category: dict[int, list] = {}
    for product in on_menu:
        by_category.setdefault(product.category_id, []).append(product)
    return {
        "categories": [c for c in counter_categories(property=property) if c.pk in by_category],
        "products": by_category,
        "prices": prices,
        "by_id": {p.pk: p for p in on_menu},
        "stock": [p.pk for p in on_menu if p.capacity_pool_id],
        "token": token,
    }


def _cached(point: GuestOrderPoint) -> dict:
    token = catalog_version(property_id=point.property_id)
    day = point.property.business_date()
    key = _key(point, token, day)
    menu = versioned_get(key)
    if menu is None:
        menu = _build(point, token, day)
        cache.set(key, menu, timeout=3600)
        cache.set(_state_key(point, token, day), _state(menu), timeout=3600)
    return menu


def _any_left(offers) -> bool:
    return sum(o.available for o in offers) > 0


def _sold_out(point: GuestOrderPoint, state: dict) -> set[int]:
    """The dishes sold out now: 86'd until later than now, or no stock left today (the
    stock read live: a sale of the last one shows at once)."""
    now = timezone.now()
    sold_out = {pk for pk, until in state["eighty_sixed"].items() if until > now}
    if state["stock"]:
        available = today_availability(property=point.property, products=state["stock"])
        sold_out |= {pk for pk, offers in available.items() if not _any_left(offers)}
    return sold_out


def guest_menu_sold_out(*, point: GuestOrderPoint) -> tuple[str, set[int]]:
    """(the menu's token, the dishes sold out now), without reading the menu itself: what a
    page kept whole needs to know it is still the page to show."""
    token = catalog_version(property_id=point.property_id)
    day = point.property.business_date()
    state = versioned_get(_state_key(point, token, day))
    if state is None:
        state = _state(_cached(point))
        cache.set(_state_key(point, token, day), state, timeout=3600)
    return state["token"], _sold_out(point, state)


def guest_menu(*, point: GuestOrderPoint, sold_out: set[int] | None = None) -> dict:
    """{"categories", "products": {category_id: [Product]}, "prices": {pk: MenuPrice},
    "by_id", "sold_out": {pk}, "token"}: the point's menu, cached per catalogue token and
    business day; `sold_out` read now (86'd dishes, stock products with nothing left), or
    the one `guest_menu_sold_out` just read."""
    menu = _cached(point)
    if sold_out is None:
        sold_out = _sold_out(point, _state(menu))
    return {**menu, "sold_out": sold_out}


def guest_menu_products(*, point: GuestOrderPoint) -> dict:
    """{pk: Product} of the point's menu (cached), for an order's checks and its quote."""
    return _cached(point)["by_id"]
