"""What an offline till keeps in its browser (POS-9): the outlet's catalogue with today's
POS prices and modifiers, the floor plan with the open tabs' lines, the in-house rooms (room
number and name only) and the terminal's identity; and the manager's sync history."""

from django.conf import settings
from django.core.cache import cache
from django.db.models import Prefetch, Q

from core.exceptions import DomainError
from core.models import Property
from inventory.catalog_cache import catalog_version
from inventory.models import CapacityPool, Channel, ModifierGroup
from inventory.selectors import products_for_property
from inventory.services.pricing import QuoteLineInput, quote
from pms.models import Reservation, ReservationRoom
from pos.models import (
    OfflineConflict,
    OfflineDevice,
    OfflineOperation,
    OfflineSync,
    Table,
    TableTab,
    TabLine,
)

SOLD_OFFLINE = Q(capacity_pool__isnull=True) | Q(capacity_pool__kind=CapacityPool.Kind.STOCK)


def offline_catalogue(*, property: Property) -> dict:
    """Every product an offline till may sell (no dated capacity: slots, passes and nights
    need the server) with its POS price and modifiers. Cached under the catalog token: the
    token is also the version the browser keeps, so a changed price reaches it at once."""
    token = catalog_version(property_id=property.pk)
    key = f"pos:offline-catalogue:{property.pk}:{property.business_date()}:{token}"
    data = cache.get(key)
    if data is not None:
        return data
    products = list(
        products_for_property(property=property)
        .filter(SOLD_OFFLINE, gift_card_kind="")
        .prefetch_related(
            Prefetch(
                "modifier_groups", queryset=ModifierGroup.objects.prefetch_related("modifiers")
            )
        )
        .order_by("category__sort_order", "sort_order", "pk")
    )
    prices = {}
    for product in products:
        try:
            quoted = quote(
                property=property,
                channel=Channel.POS,
                lines=[QuoteLineInput(product_id=product.pk)],
                products={product.pk: product},
            )
        except DomainError:  # a product the POS cannot quote today is not sold offline
            continue
        prices[product.pk] = str(quoted.lines[0].unit_price)
    categories: dict[int, dict] = {}
    items = []
    for product in products:
        if product.pk not in prices:
            continue
        if product.category_id and product.category_id not in categories:
            categories[product.category_id] = {
                "id": product.category_id,
                "name_fr": product.category.name_fr,
                "name_en": product.category.name_en or product.category.name_fr,
            }
        items.append(
            {
                "id": product.pk,
                "category": product.category_id,
                "name_fr": product.name_fr,
                "name_en": product.name_en or product.name_fr,
                "price": prices[product.pk],
                "vat_rate": str(product.vat_rate),
                # what a titre-restaurant may pay for is decided by revenue category
                "revenue_category": product.revenue_category,
                "counted": product.capacity_pool_id is not None,
                "modifier_groups": [
                    {
                        "id": group.pk,
                        "name_fr": group.name_fr,
                        "name_en": group.name_en or group.name_fr,
                        "modifiers": [
                            {
                                "id": m.pk,
                                "name_fr": m.name_fr,
                                "name_en": m.name_en or m.name_fr,
                                "price_delta": str(m.price_delta),
                            }
                            for m in group.modifiers.all()
                        ],
                    }
                    for group in product.modifier_groups.all()
                ],
            }
        )
    data = {"version": token, "categories": list(categories.values()), "products": items}
    cache.set(key, data, 3600)
    return data


def offline_floor(*, outlet_id: int, property: Property) -> list[dict]:
    """The outlet's tables and, for an open one, its lines (id, product, quantity, sent,
    voided): a tablet that goes offline keeps adding to the tab it knew."""
    tabs = {
        tab.table_id: tab
        for tab in TableTab.objects.filter(
            property=property, table__outlet_id=outlet_id, status=TableTab.Status.OPEN
        ).prefetch_related(Prefetch("lines", queryset=TabLine.objects.order_by("pk")))
    }
    floor = []
    for table in Table.objects.filter(property=property, outlet_id=outlet_id, is_active=True):
        tab = tabs.get(table.pk)
        floor.append(
            {
                "id": table.pk,
                "label": table.label,
                "seats": table.seats,
                "covers": tab.covers if tab else 0,
                "lines": [
                    {
                        "id": line.pk,
                        "product_id": line.product_id,
                        "description": line.description,
                        "quantity": int(line.quantity),
                        "sent": line.kitchen_ticket_id is not None,
                        "voided": line.voided_at is not None,
                    }
                    for line in tab.lines.all()
                ]
                if tab
                else [],
            }
        )
    return floor


def offline_rooms(*, property: Property) -> list[dict]:
    """The rooms in house now: number and the guest's last name only (GDPR: no more than
    a waiter needs to charge the right room)."""
    rooms = (
        ReservationRoom.objects.filter(
            reservation__property=property,
            reservation__status=Reservation.Status.IN_HOUSE,
            is_cancelled=False,
            room__isnull=False,
        )
        .select_related("room", "reservation__guest")
        .order_by("room__number")
    )
    return [
        {
            "number": r.room.number,
            "name": r.reservation.guest.last_name if r.reservation.guest_id else "",
        }
        for r in rooms
    ]


def offline_max_hours() -> int:
    return int(getattr(settings, "OFFLINE_MAX_HOURS", 72))


def offline_devices_history(*, property: Property) -> list[dict]:
    """Each paired device of the property with its last syncs and unresolved conflicts."""
    devices = list(
        OfflineDevice.objects.filter(property=property)
        .select_related("terminal__outlet", "paired_by")
        .order_by("terminal__outlet__name", "terminal__name", "created_at")
    )
    syncs: dict[int, list] = {}
    for sync in (
        OfflineSync.objects.filter(property=property)
        .select_related("actor")
        .order_by("-created_at")[:200]
    ):
        syncs.setdefault(sync.device_id, []).append(sync)
    # voids made offline that their manager's PIN did not approve at sync
    voids: dict[int, list] = {}
    for operation in OfflineOperation.objects.filter(
        property=property, kind=OfflineOperation.Kind.VOID, status="refused"
    ).order_by("-created_at")[:100]:
        voids.setdefault(operation.device_id, []).append(operation)
    conflicts: dict[int, list] = {}
    for conflict in OfflineConflict.objects.filter(property=property).select_related(
        "ticket__order__ticket"
    ):
        conflicts.setdefault(conflict.ticket.device_id, []).append(conflict)
    return [
        {
            "device": device,
            "syncs": syncs.get(device.pk, [])[:10],
            "conflicts": conflicts.get(device.pk, []),
            "refused": list(device.tickets.filter(status="refused").order_by("sequence")[:20]),
            "refused_voids": voids.get(device.pk, [])[:20],
        }
        for device in devices
    ]
