"""The counter / shop / spa desk cart (POS-4): kept in the session, one per property, with the
client_key of its checkout generated when the cart is created (a double tap never sells twice)."""

import uuid
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal, InvalidOperation

from django.db.models import Count
from django.utils.translation import gettext as _

from core.exceptions import DomainError, InvalidInput
from core.models import Property
from inventory.exceptions import ProductSoldOut, SoldOut
from inventory.models import CapacityPool, Category, Channel, Product
from inventory.promotion_labels import discounts_for
from inventory.selectors import pools_availability, products_for_property
from inventory.services.catalogue import product_is_sold_out
from inventory.services.pricing import QuoteLineInput, quote

SESSION_PREFIX = "pos_cart"
MAX_LINES = 100
MAX_QUANTITY = Decimal("999")


def _key(property: Property) -> str:
    return f"{SESSION_PREFIX}:{property.pk}"


def counter_products(*, property: Property):
    """What the counter sells: the active catalog without room nights (sold by the front desk)
    and without what is not sold at the counter (a kiosk-only or online-only product)."""
    return (
        products_for_property(property=property)
        .exclude(capacity_pool__kind=CapacityPool.Kind.NIGHT)
        .filter(sold_at_counter=True)
    )


def counter_categories(*, property: Property) -> list[Category]:
    ids = counter_products(property=property).values_list("category_id", flat=True)
    return list(Category.objects.filter(property=property, pk__in=ids).order_by("sort_order"))


def quick_keys(*, property: Property, limit: int = 8) -> list[Product]:
    """The products most sold at the property over the last 30 days, then the catalog order."""
    from billing.models import TicketLine

    since = property.business_date() - timedelta(days=30)
    products = {p.pk: p for p in counter_products(property=property)}
    best = (
        TicketLine.objects.filter(
            ticket__property=property, ticket__business_date__gte=since, product_id__in=products
        )
        .values("product_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "product_id")[:limit]
    )
    keys = [products[row["product_id"]] for row in best]
    for product in sorted(
        products.values(), key=lambda p: (p.category.sort_order, p.sort_order, p.pk)
    ):
        if len(keys) >= limit:
            break
        if product not in keys:
            keys.append(product)
    return keys


@dataclass
class SlotOffer:
    slot_time: time | None
    available: int


def today_availability(*, property: Property, products) -> dict[int, list[SlotOffer]]:
    """Today's free units per capacity product (one entry per slot for slot pools)."""
    pool_ids = {p.capacity_pool_id for p in products if p.capacity_pool_id}
    if not pool_ids:
        return {}
    today = property.business_date()
    slots = pools_availability(
        property=property,
        pool_ids=list(pool_ids),
        start=today,
        end=today + timedelta(days=1),
        channel=Channel.POS,
    )
    out = {}
    for product in products:
        if product.capacity_pool_id:
            out[product.pk] = [
                SlotOffer(slot_time=s.slot_time, available=s.available)
                for s in slots.get(product.capacity_pool_id, [])
            ]
    return out


def cart_get(session, *, property: Property) -> dict:
    cart = session.get(_key(property))
    if not isinstance(cart, dict) or not cart.get("client_key"):
        cart = {"client_key": uuid.uuid4().hex, "lines": [], "reservation": ""}
        session[_key(property)] = cart
    return cart


def cart_save(session, *, property: Property, cart: dict) -> None:
    session[_key(property)] = cart
    session.modified = True


def cart_clear(session, *, property: Property) -> None:
    session.pop(_key(property), None)


def parse_quantity(raw) -> Decimal:
    try:
        quantity = Decimal(str(raw or "1").replace(",", "."))
    except InvalidOperation:
        raise InvalidInput(_("Enter a valid quantity."))
    if not quantity.is_finite() or quantity <= 0 or quantity > MAX_QUANTITY:
        raise InvalidInput(_("Enter a valid quantity."))
    return quantity


def parse_slot(raw) -> str | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return time.fromisoformat(raw).strftime("%H:%M")
    except ValueError:
        raise InvalidInput(_("No such time slot."))


def cart_add(
    session,
    *,
    property: Property,
    product: Product,
    quantity: Decimal = Decimal("1"),
    slot_time: str | None = None,
) -> dict:
    """Add `product` to the cart; refuse a slot product without a slot, and a capacity
    product sold out today (checked again, under lock, at checkout)."""
    pool = product.capacity_pool
    if pool is not None and pool.kind == CapacityPool.Kind.NIGHT:
        raise InvalidInput(_("Room nights are sold at the front desk."))
    if pool is not None and pool.kind == CapacityPool.Kind.SLOT:
        if slot_time is None or slot_time not in pool.slot_times:
            raise InvalidInput(_("Choose a time slot."))
    else:
        slot_time = None
    if quantity != quantity.to_integral_value() and not product.allow_fractional_quantity:
        raise InvalidInput(_("Enter a valid quantity."))
    if product_is_sold_out(product):
        raise ProductSoldOut(
            _("%(name)s is sold out for the rest of the service.") % {"name": product.name}
        )
    cart = cart_get(session, property=property)
    lines = cart["lines"]
    existing = next(
        (
            line
            for line in lines
            if line["product_id"] == product.pk and line.get("slot_time") == slot_time
        ),
        None,
    )
    wanted = quantity + (Decimal(existing["quantity"]) if existing else 0)
    if wanted > MAX_QUANTITY:
        raise InvalidInput(_("Enter a valid quantity."))
    if pool is not None:
        offers = today_availability(property=property, products=[product]).get(product.pk, [])
        free = sum(
            o.available
            for o in offers
            if o.slot_time is None or o.slot_time.strftime("%H:%M") == slot_time
        )
        if wanted > free:
            raise SoldOut(
                _("%(name)s is sold out (%(free)s left).") % {"name": product.name, "free": free}
            )
    if existing:
        existing["quantity"] = str(wanted)
    else:
        if len(lines) >= MAX_LINES:
            raise InvalidInput(_("The cart is full."))
        lines.append({"product_id": product.pk, "quantity": str(quantity), "slot_time": slot_time})
    cart_save(session, property=property, cart=cart)
    return cart


def cart_remove(session, *, property: Property, index: int) -> dict:
    cart = cart_get(session, property=property)
    if 0 <= index < len(cart["lines"]):
        del cart["lines"][index]
    cart_save(session, property=property, cart=cart)
    return cart


def cart_inputs(cart: dict, *, property: Property) -> list[QuoteLineInput]:
    today: date = property.business_date()
    out = []
    for line in cart["lines"]:
        slot = line.get("slot_time")
        out.append(
            QuoteLineInput(
                product_id=line["product_id"],
                quantity=Decimal(line["quantity"]),
                start=today,
                slot_time=time.fromisoformat(slot) if slot else None,
            )
        )
    return out


@dataclass
class CartView:
    lines: list
    total: Decimal
    error: str = ""


def cart_view(cart: dict, *, property: Property) -> CartView:
    """The cart priced as the checkout will price it (channel POS)."""
    inputs = cart_inputs(cart, property=property)
    if not inputs:
        return CartView(lines=[], total=Decimal("0.00"))
    try:
        quoted = quote(property=property, channel=Channel.POS, lines=inputs)
    except DomainError as exc:
        return CartView(lines=[], total=Decimal("0.00"), error=str(exc.message))
    # a discounted line names its promotion: the guest sees why the basket costs less
    return CartView(
        lines=discounts_for(property_id=property.pk, lines=quoted.lines), total=quoted.total
    )
