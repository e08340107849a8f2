"""Every row lock of the inventory app, in one fixed order: RatePlan → CapacityPool →
Promotion → CapacityBucket (by pk) → StockItem (by pk) → StockLevel (by pk).

Evaluated on purpose: a lazy select_for_update queryset takes no lock."""

from collections.abc import Sequence
from decimal import Decimal

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from inventory.models import CapacityBucket, CapacityPool, Promotion, RatePlan, StockItem


def buckets_for_update(match: Q) -> list[CapacityBucket]:
    return list(
        CapacityBucket.objects.filter(match)
        .select_related("pool")
        .order_by("pk")
        .select_for_update(of=("self",))
    )


def promotions_for_update(ids: list[int]) -> list[Promotion]:
    return list(Promotion.objects.filter(pk__in=ids).order_by("pk").select_for_update())


def rate_plan_for_update(*, property_id: int, pk: int) -> RatePlan | None:
    """The plan whose calendar cells are being edited: two bulk edits of one plan queue."""
    return (
        RatePlan.objects.filter(property_id=property_id, pk=pk)
        .select_for_update(of=("self",))
        .first()
    )


def pool_for_update(*, property_id: int, pk: int) -> CapacityPool | None:
    """A pool whose rules (hold-back, thresholds, stop-sells) are being changed."""
    return (
        CapacityPool.objects.filter(property_id=property_id, pk=pk)
        .select_for_update(of=("self",))
        .first()
    )


def stock_items_for_update(*, property_id: int, ids: Sequence[int]) -> dict[int, StockItem]:
    """Items whose average cost a delivery changes: two deliveries of one item queue."""
    return {
        i.pk: i
        for i in StockItem.objects.filter(property_id=property_id, pk__in=list(ids))
        .order_by("pk")
        .select_for_update(of=("self",))
    }


def stock_levels_add(
    *, property_id: int, changes: Sequence[tuple[int, int, Decimal]], check_floor: bool
) -> dict[tuple[int, int], tuple[Decimal, Decimal]]:
    """Add each (item, location, signed quantity) to its level in ONE statement, the levels
    locked in primary-key order (PostgreSQL: a locking CTE; SQLite holds the write lock
    from BEGIN). With `check_floor`, a decrease that would leave a level below zero is not
    applied unless the property's stock settings allow it: its key is then missing from the
    answer. Levels that do not exist yet are missing too (the caller creates them).
    Returns {(item, location): (new quantity, the item's average cost)}."""
    if not changes:
        return {}
    rows = sorted(changes)
    values = ", ".join(["(%s, %s, CAST(%s AS NUMERIC(14, 3)))"] * len(rows))
    params: list = [p for row in rows for p in (row[0], row[1], str(row[2]))]
    floor = ""
    floor_params: list = []
    if check_floor:
        floor = (
            " AND (v.column3 >= 0 OR l.quantity + v.column3 >= 0 OR EXISTS ("
            "SELECT 1 FROM inventory_stocksettings s WHERE s.property_id = %s"
            " AND s.allow_negative))"
        )
        floor_params = [property_id]
    if connection.vendor == "postgresql":
        # lock first, in pk order, so two sales sharing ingredients never deadlock
        sql = (
            f"WITH v AS (VALUES {values}), locked AS ("  # noqa: S608 (placeholders only)
            "SELECT l.id FROM inventory_stocklevel l JOIN v"
            " ON l.item_id = v.column1 AND l.location_id = v.column2"
            " ORDER BY l.id FOR UPDATE OF l) "
            "UPDATE inventory_stocklevel AS l SET quantity = l.quantity + v.column3,"
            " updated_at = %s FROM v, inventory_stockitem AS i"
            " WHERE l.item_id = v.column1 AND l.location_id = v.column2 AND i.id = l.item_id"
            f" AND l.id IN (SELECT id FROM locked){floor}"
            " RETURNING l.item_id, l.location_id, l.quantity, i.average_cost"
        )
    else:
        sql = (
            "UPDATE inventory_stocklevel AS l SET quantity = l.quantity + v.column3,"  # noqa: S608
            f" updated_at = %s FROM (VALUES {values}) AS v, inventory_stockitem AS i"
            " WHERE l.item_id = v.column1 AND l.location_id = v.column2"
            f" AND i.id = l.item_id{floor}"
            # SQLite's RETURNING sees only the updated table's own, unqualified columns
            " RETURNING item_id, location_id, quantity,"
            " (SELECT average_cost FROM inventory_stockitem WHERE id = item_id)"
        )
        params = [timezone.now(), *params]
    if connection.vendor == "postgresql":
        params = [*params, timezone.now()]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *floor_params])
        found = cursor.fetchall()
    return {
        (item, location): (Decimal(str(quantity)), Decimal(str(cost)))
        for item, location, quantity, cost in found
    }
