"""Reads of the inventory: availability per channel, catalog lookups. Scoped to a property."""

import copy
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, time, timedelta

from django.db.models import Q, QuerySet

from core.models import Property
from inventory.catalog_cache import catalog_version
from inventory.models import CapacityBucket, CapacityPool, Product, StockLevel, StopSell
from inventory.services.capacity import MAX_SPAN_DAYS, free_units_series


@dataclass(frozen=True)
class Slot:
    day: date | None
    slot_time: time | None
    available: int
    capacity: int
    sold: int


@dataclass
class PoolGrid:
    """Availability of one pool: `available[slot][i]` is for `days[i]` (slot is None for
    nights, day passes and stock; stock has a single pseudo-day)."""

    pool: CapacityPool
    days: list[date | None]
    available: dict[time | None, list[int]]
    capacity: dict[time | None, list[int]]
    sold: dict[time | None, list[int]]


def pools_availability_grid(
    *, property: Property, pool_ids: list[int], start: date, end: date, channel: str
) -> dict[int, PoolGrid]:
    """Units each pool can still sell through `channel` over [start, end), as arrays.

    Three queries whatever the number of pools and days (pools, buckets, stop-sells), and no
    model instance per bucket: this backs the availability screens and feeds polled often.
    Days without a bucket are unsold: the pool's default capacity.
    """
    if (end - start).days > MAX_SPAN_DAYS:
        end = start + timedelta(days=MAX_SPAN_DAYS)
    span = max((end - start).days, 0)
    pools = list(CapacityPool.objects.filter(property=property, pk__in=pool_ids))
    grids: dict[int, PoolGrid] = {}
    all_days = [start + timedelta(days=i) for i in range(span)]  # shared by every pool
    for pool in pools:
        if pool.kind == CapacityPool.Kind.STOCK:
            days, slots = [None], [None]
        else:
            days = all_days
            slots = (
                [time.fromisoformat(t) for t in pool.slot_times]
                if pool.kind == CapacityPool.Kind.SLOT
                else [None]
            )
        grids[pool.pk] = PoolGrid(
            pool=pool,
            days=days,
            available={},
            capacity={s: [pool.default_capacity] * len(days) for s in slots},
            sold={s: [0] * len(days) for s in slots},
        )
    rows = (
        CapacityBucket.objects.filter(pool__in=pools)
        .filter(Q(day__gte=start, day__lt=end) | Q(day__isnull=True))
        .values_list("pool_id", "day", "slot_time", "capacity", "sold")
    )
    for pool_id, day, slot_time, capacity, sold in rows:
        grid = grids[pool_id]
        slot = slot_time if grid.pool.kind == CapacityPool.Kind.SLOT else None
        if slot not in grid.capacity:
            continue  # a slot time removed from the schedule
        index = 0 if day is None else (day - start).days
        grid.capacity[slot][index] = capacity
        grid.sold[slot][index] = sold
    ledger_kept = {p.pk: p for p in pools if p.stock_item_id}
    if ledger_kept:
        # counted stock kept in the ledger: what is left is the item's level at the
        # pool's location (no bucket exists for it)
        levels = {
            (lv.item_id, lv.location_id): lv.quantity
            for lv in StockLevel.objects.filter(
                item_id__in={p.stock_item_id for p in ledger_kept.values()},
                location_id__in={p.stock_location_id for p in ledger_kept.values()},
            )
        }
        for pool in ledger_kept.values():
            left = levels.get((pool.stock_item_id, pool.stock_location_id), 0)
            grids[pool.pk].capacity[None][0] = max(int(left), 0)
    stops = defaultdict(list)
    for pool_id, s, e in StopSell.objects.filter(
        pool__in=pools, channel=channel, channel_name="", start__lt=end, end__gt=start
    ).values_list("pool_id", "start", "end"):
        stops[pool_id].append((max((s - start).days, 0), min((e - start).days, span)))
    for grid in grids.values():
        pool = grid.pool
        for slot, capacities in grid.capacity.items():
            sold = grid.sold[slot]
            free = free_units_series(capacities=capacities, solds=sold, pool=pool, channel=channel)
            for first, last in stops.get(pool.pk, ()):
                free[first:last] = [0] * (last - first)
            grid.available[slot] = free
    return grids


def pools_availability(
    *, property: Property, pool_ids: list[int], start: date, end: date, channel: str
) -> dict[int, list[Slot]]:
    """The same numbers as `pools_availability_grid`, one Slot per day and slot time."""
    out: dict[int, list[Slot]] = {}
    grids = pools_availability_grid(
        property=property, pool_ids=pool_ids, start=start, end=end, channel=channel
    )
    for pool_id, grid in grids.items():
        out[pool_id] = [
            Slot(
                day=day,
                slot_time=slot,
                available=grid.available[slot][i],
                capacity=grid.capacity[slot][i],
                sold=grid.sold[slot][i],
            )
            for i, day in enumerate(grid.days)
            for slot in grid.available
        ]
    return out


def products_for_property(*, property: Property) -> QuerySet[Product]:
    return Product.objects.filter(property=property, is_active=True).select_related(
        "category", "capacity_pool"
    )


def product_by_barcode(*, property: Property, ean13: str) -> Product | None:
    return products_for_property(property=property).filter(ean13=ean13).first()


# --- the products a sale names, from the worker's own copy ---------------------------------
# {(property id, token): ({code: pk}, {pk: Product})}: what a terminal's sales name (a few
# dozen products all day), kept as objects by each worker under the catalogue token read by
# the request. Nothing to ask Redis, nothing to unpickle; a change of the catalogue (a new
# token) is seen by the next request, which reads the rows again.
_PRODUCTS: dict[tuple[int, str], tuple[dict[str, int], dict[int, object]]] = {}
_PRODUCTS_MAX = 64  # properties × tokens kept; older tokens are left behind: start again


def products_by_reference(*, property, refs: set[str]) -> tuple[dict[str, int], dict]:
    """({code: pk}, {pk: Product}) of the active products of `property` named by `refs`
    (codes, or ids written in digits), with category and capacity pool, as
    products_for_property reads them. Each request gets its own
    copies (a sale may set attributes on its products)."""
    token = catalog_version(property_id=property.pk)
    entry = _PRODUCTS.get((property.pk, token))
    if entry is None:
        if len(_PRODUCTS) >= _PRODUCTS_MAX:
            _PRODUCTS.clear()
        entry = _PRODUCTS[(property.pk, token)] = ({}, {})
    codes, products = entry
    missing = {r for r in refs if r not in codes and not (r.isdigit() and int(r) in products)}
    if missing:
        ids = {int(r) for r in missing if r.isdigit()}
        for product in products_for_property(property=property).filter(
            Q(code__in=missing) | Q(pk__in=ids)
        ):
            codes[product.code] = product.pk
            products[product.pk] = product
    by_code = {r: codes[r] for r in refs if r in codes}
    wanted = set(by_code.values()) | {int(r) for r in refs if r.isdigit() and int(r) in products}
    return by_code, {pk: _own_copy(products[pk]) for pk in wanted}


def _own_copy(product):
    copied = copy.copy(product)
    cached = copied._state.fields_cache
    for name, related in cached.items():
        if related is not None:
            cached[name] = copy.copy(related)
    return copied
