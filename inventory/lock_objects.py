"""Every row lock of the inventory app, in one fixed order: RatePlan → CapacityPool →
Promotion → CapacityBucket (by pk) → StockItem (by pk) → StockLevel (by pk).

Evaluated on purpose: a lazy select_for_update queryset takes no lock."""

from collections.abc import Sequence
from datetime import date, time
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


def buckets_take(
    *, takes: Sequence[tuple[int, date | None, time, int, int, int | None]], online: bool
) -> dict[tuple[int, date | None, time], int]:
    """Add each (pool, day, slot, quantity, hold-back, close-at) to its bucket's `sold` in ONE
    statement, only where the bucket has the units: `sold + quantity <= capacity - hold-back`
    and, with a close-at, `sold < close-at` (INV-4's rule, `free_units`, as SQL). The buckets
    are locked in primary-key order (PostgreSQL: a locking CTE; SQLite holds the write lock
    from BEGIN); the CHECK constraints stay the last guard. A bucket missing or short is
    missing from the answer and unchanged (the caller undoes the others with `buckets_give`).
    Returns {(pool, day, slot): bucket id} of the buckets taken from."""
    return _buckets_change(takes, online=online, check=True)


def buckets_give(*, gives: Sequence[tuple[int, date | None, time, int]], online: bool) -> None:
    """Take back what `buckets_take` added (a sale refused on another bucket): one statement."""
    _buckets_change([(*g, 0, None) for g in gives], online=online, check=False)


def _buckets_change(rows, *, online: bool, check: bool) -> dict:
    if not rows:
        return {}
    ops = connection.ops
    sign = 1 if check else -1
    params: list = []
    for pool_id, day, slot, quantity, hold, close_at in rows:
        params += [
            pool_id,
            ops.adapt_datefield_value(day),
            ops.adapt_timefield_value(slot),
            sign * quantity,
            hold,
            close_at,
        ]
    postgres = connection.vendor == "postgresql"
    row = (
        "(CAST(%s AS BIGINT), CAST(%s AS DATE), CAST(%s AS TIME), CAST(%s AS INTEGER),"
        " CAST(%s AS INTEGER), CAST(%s AS INTEGER))"
        if postgres
        else "(%s, %s, %s, %s, %s, %s)"
    )
    values = ", ".join([row] * len(rows))
    match = (
        "b.pool_id = v.v_pool AND b.slot_time = v.v_slot"
        " AND (b.day = v.v_day OR (b.day IS NULL AND v.v_day IS NULL))"
    )
    room = (
        " AND b.sold + v.v_quantity <= b.capacity - v.v_hold"
        " AND (v.v_close_at IS NULL OR b.sold < v.v_close_at)"
        if check
        else ""
    )
    online_change = ", sold_online = b.sold_online + v.v_quantity" if online else ""
    cte = f"WITH v (v_pool, v_day, v_slot, v_quantity, v_hold, v_close_at) AS (VALUES {values})"
    if postgres:
        # lock first, in pk order, so two sales sharing buckets never deadlock
        cte += (
            ", locked AS (SELECT b.id FROM inventory_capacitybucket b JOIN v"  # noqa: S608
            f" ON {match} ORDER BY b.id FOR UPDATE OF b)"
        )
        where = f"b.id IN (SELECT id FROM locked) AND {match}{room}"  # noqa: S608
    else:
        where = f"{match}{room}"
    sql = (
        f"{cte} UPDATE inventory_capacitybucket AS b"  # noqa: S608 (placeholders only)
        f" SET sold = b.sold + v.v_quantity{online_change}, updated_at = %s"
        f" FROM v WHERE {where}"
        # SQLite's RETURNING sees only the updated table's own, unqualified columns
        " RETURNING id, pool_id, day, slot_time"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, ops.adapt_datetimefield_value(timezone.now())])
        found = cursor.fetchall()
    taken = {}
    for pk, pool_id, day, slot in found:
        if isinstance(day, str):
            day = date.fromisoformat(day)
        if isinstance(slot, str):
            slot = time.fromisoformat(slot)
        taken[(pool_id, day, slot)] = pk
    return taken
