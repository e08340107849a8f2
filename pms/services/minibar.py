"""The minibar (INV-5, PMS-9): each room's minibar is a stock location (kind minibar, with the
room's number); what the housekeeper finds consumed is charged to the folio of the guest in
house (the front desk's extra, at its price) and taken from that minibar's stock by the
product's recipe — both in one transaction, once per one-time key."""

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from billing.models import FolioLine
from core.exceptions import InvalidInput
from inventory.models import Product, StockLevel, StockLocation
from inventory.services.stock import stock_sale
from pms.models import Room
from pms.selectors import in_house_room
from pms.services.stays import desk_extra_source, stay_extra_post


def room_minibar(room: Room) -> StockLocation | None:
    """The active minibar location of the room, if it has one."""
    return StockLocation.objects.filter(
        property_id=room.property_id,
        kind=StockLocation.Kind.MINIBAR,
        room_number=room.number,
        is_active=True,
    ).first()


def minibar_room_numbers(*, property) -> set[str]:
    """The numbers of the rooms that have an active minibar (the housekeeping board's link)."""
    return set(
        StockLocation.objects.filter(
            property=property, kind=StockLocation.Kind.MINIBAR, is_active=True
        )
        .exclude(room_number="")
        .values_list("room_number", flat=True)
    )


def minibar_products(minibar: StockLocation) -> list[tuple[Product, Decimal | None]]:
    """What the minibar holds to sell: the products whose recipe takes an item kept there,
    each with the level of its first such item (two queries)."""
    products = list(
        Product.objects.filter(
            property_id=minibar.property_id, is_active=True, recipe__item__levels__location=minibar
        )
        .distinct()
        .prefetch_related("recipe")
        .order_by("name_fr")
    )
    levels = dict(StockLevel.objects.filter(location=minibar).values_list("item_id", "quantity"))
    rows = []
    for product in products:
        kept = [line.item_id for line in product.recipe.all() if line.item_id in levels]
        rows.append((product, levels[kept[0]] if kept else None))
    return rows


def minibar_consume(*, room: Room, consumed: dict[int, int], key: str, actor) -> list[FolioLine]:
    """Charge what was taken from the room's minibar ({product: quantity}) to the guest in
    house and take it from the minibar's stock, all or nothing (a product the minibar does
    not hold, or stock below zero under the refuse rule, charges nothing). Idempotent by
    `key`: a double tap charges once."""
    minibar = room_minibar(room)
    if minibar is None:
        raise InvalidInput(_("Room %(number)s has no minibar.") % {"number": room.number})
    wanted = {pk: q for pk, q in consumed.items() if q}
    if not wanted:
        raise InvalidInput(_("Enter what was taken from the minibar."))
    if any(not isinstance(q, int) or q < 0 for q in wanted.values()):
        raise InvalidInput(_("A quantity taken cannot be negative."))
    held = {p.pk for p, _level in minibar_products(minibar)}
    if set(wanted) - held:
        raise InvalidInput(_("This minibar does not hold one of these products."))
    stay = in_house_room(property=room.property, room_number=room.number)
    if stay is None:
        raise InvalidInput(
            _("No guest in house in room %(number)s: nothing to charge.") % {"number": room.number}
        )
    reservation = stay.reservation
    lines = []
    with transaction.atomic():
        for product_id, quantity in sorted(wanted.items()):
            line_key = f"minibar:{key}:{product_id}"[:64]
            source = desk_extra_source(reservation.pk, line_key)
            already = FolioLine.objects.filter(folio_id=reservation.folio_id, source=source)
            if already.exists():
                lines.append(already.first())
                continue
            lines.append(
                stay_extra_post(
                    reservation=reservation,
                    product_id=product_id,
                    quantity=quantity,
                    key=line_key,
                    actor=actor,
                )
            )
            stock_sale(
                property=room.property,
                location_id=minibar.pk,
                lines=[(product_id, Decimal(quantity))],
                reference=source,
                actor=actor,
            )
    return lines
