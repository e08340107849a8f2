"""Reads of the inventory: availability per channel, catalog lookups. Scoped to a property."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, time, timedelta

from django.db.models import QuerySet

from core.models import Property
from inventory.models import CapacityBucket, CapacityPool, Product, StopSell
from inventory.services.capacity import MAX_SPAN_DAYS, free_units


@dataclass(frozen=True)
class Slot:
    day: date | None
    slot_time: time | None
    available: int
    capacity: int
    sold: int


def pools_availability(
    *, property: Property, pool_ids: list[int], start: date, end: date, channel: str
) -> dict[int, list[Slot]]:
    """Units each pool can still sell through `channel` over [start, end), per day and slot.

    Three queries whatever the number of pools and days: pools, buckets, stop-sells.
    Days without a bucket yet are unsold: their availability is the pool's default capacity.
    """
    if (end - start).days > MAX_SPAN_DAYS:
        end = start + timedelta(days=MAX_SPAN_DAYS)
    pools = list(CapacityPool.objects.filter(property=property, pk__in=pool_ids))
    buckets = {
        (b.pool_id, b.day, b.slot_time): b
        for b in CapacityBucket.objects.filter(pool__in=pools).filter(day__gte=start, day__lt=end)
        | CapacityBucket.objects.filter(pool__in=pools, day__isnull=True)
    }
    stops = defaultdict(list)
    for pool_id, s, e in StopSell.objects.filter(
        pool__in=pools, channel=channel, start__lt=end, end__gt=start
    ).values_list("pool_id", "start", "end"):
        stops[pool_id].append((s, e))
    result: dict[int, list[Slot]] = {}
    for pool in pools:
        if pool.kind == CapacityPool.Kind.STOCK:
            keys = [(None, time(0, 0))]
        else:
            slots = (
                [time.fromisoformat(t) for t in pool.slot_times]
                if pool.kind == CapacityPool.Kind.SLOT
                else [time(0, 0)]
            )
            keys = [
                (start + timedelta(days=i), s) for i in range((end - start).days) for s in slots
            ]
        out = []
        for day, slot in keys:
            bucket = buckets.get((pool.pk, day, slot))
            capacity = bucket.capacity if bucket else pool.default_capacity
            sold = bucket.sold if bucket else 0
            free = free_units(capacity=capacity, sold=sold, pool=pool, channel=channel)
            if day is not None and any(s <= day < e for s, e in stops[pool.pk]):
                free = 0
            out.append(
                Slot(
                    day=day,
                    slot_time=slot if pool.kind == CapacityPool.Kind.SLOT else None,
                    available=max(free, 0),
                    capacity=capacity,
                    sold=sold,
                )
            )
        result[pool.pk] = out
    return result


def products_for_property(*, property: Property) -> QuerySet[Product]:
    return Product.objects.filter(property=property, is_active=True).select_related(
        "category", "capacity_pool"
    )


def product_by_barcode(*, property: Property, ean13: str) -> Product | None:
    return products_for_property(property=property).filter(ean13=ean13).first()
