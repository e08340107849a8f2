"""One service consumes and releases capacity for every channel (INV-3).

Every sale of something scarce — a room night, a spa slot, a pool pass, a gourmet basket —
comes through `capacity_consume` inside the caller's transaction, so the capacity, the billing
rows and the audit facts commit together. Buckets are locked in primary-key order (one lock
call per consumption) and the CHECK constraints on CapacityBucket refuse an oversell even if a
caller skipped this service.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import Property
from inventory.exceptions import ClosedForSale, InvalidCapacityRequest, SoldOut
from inventory.lock_objects import buckets_for_update, buckets_give, buckets_take
from inventory.models import (
    CapacityAllocation,
    CapacityBucket,
    CapacityPool,
    StockMovement,
    StopSell,
    is_online,
)
from inventory.services.stock import Move, stock_apply, stock_return

MAX_SPAN_DAYS = 366


@dataclass(frozen=True)
class CapacityNeed:
    """`quantity` units of `pool_id`: for NIGHT pools every night of [day, until); for DAY one
    day; for SLOT one day at `slot_time`; for STOCK no date."""

    pool_id: int
    quantity: int
    day: date | None = None
    until: date | None = None
    slot_time: time | None = None


BucketKey = tuple[int, date | None, time]


def _keys_for(pool: CapacityPool, need: CapacityNeed) -> list[BucketKey]:
    if need.quantity <= 0:
        raise InvalidCapacityRequest(_("The quantity must be positive."))
    midnight = time(0, 0)
    if pool.kind == CapacityPool.Kind.STOCK:
        return [(pool.pk, None, midnight)]
    if need.day is None:
        raise InvalidCapacityRequest(_("A date is required for %(name)s.") % {"name": pool.name})
    if pool.kind == CapacityPool.Kind.NIGHT:
        if need.until is None or need.until <= need.day:
            raise InvalidCapacityRequest(_("The departure must be after the arrival."))
        span = (need.until - need.day).days
        if span > MAX_SPAN_DAYS:
            raise InvalidCapacityRequest(_("A stay cannot exceed one year."))
        return [(pool.pk, need.day + timedelta(days=i), midnight) for i in range(span)]
    if pool.kind == CapacityPool.Kind.SLOT:
        if need.slot_time is None:
            raise InvalidCapacityRequest(
                _("Choose a time slot for %(name)s.") % {"name": pool.name}
            )
        if need.slot_time.strftime("%H:%M") not in pool.slot_times:
            raise InvalidCapacityRequest(
                _("%(name)s has no slot at %(time)s.")
                % {"name": pool.name, "time": need.slot_time.strftime("%H:%M")}
            )
        return [(pool.pk, need.day, need.slot_time)]
    return [(pool.pk, need.day, midnight)]


def _range_keys(pool: CapacityPool, start: date, end: date) -> list[BucketKey]:
    """Every bucket of a pool over [start, end): all slots of each day for SLOT pools."""
    if pool.kind == CapacityPool.Kind.STOCK:
        return [(pool.pk, None, time(0, 0))]
    if end <= start or (end - start).days > MAX_SPAN_DAYS:
        raise InvalidCapacityRequest(_("The end date must be after the start date."))
    slots = (
        [time.fromisoformat(t) for t in pool.slot_times]
        if pool.kind == CapacityPool.Kind.SLOT
        else [time(0, 0)]
    )
    days = [start + timedelta(days=i) for i in range((end - start).days)]
    return [(pool.pk, d, s) for d in days for s in slots]


def _bucket_filter(keys: Iterable[BucketKey]) -> Q:
    """One WHERE clause for many buckets: ranges of days per (pool, slot) keep it short."""
    by_pool_slot: dict[tuple[int, time], list[date]] = defaultdict(list)
    stock_pools: set[int] = set()
    for pool_id, day, slot in keys:
        if day is None:
            stock_pools.add(pool_id)
        else:
            by_pool_slot[(pool_id, slot)].append(day)
    match = Q(pk__in=[])
    for (pool_id, slot), days in by_pool_slot.items():
        match |= Q(pool_id=pool_id, slot_time=slot, day__gte=min(days), day__lte=max(days))
    if stock_pools:
        match |= Q(pool_id__in=stock_pools, day__isnull=True)
    return match


def _ensure_buckets(pools: dict[int, CapacityPool], keys: Iterable[BucketKey]) -> None:
    """Create missing buckets from the pool's default capacity; concurrent creators collide
    harmlessly on the unique constraints (ignore_conflicts)."""
    CapacityBucket.objects.bulk_create(
        [
            CapacityBucket(
                pool_id=pool_id, day=day, slot_time=slot, capacity=pools[pool_id].default_capacity
            )
            for pool_id, day, slot in set(keys)
        ],
        ignore_conflicts=True,
    )


def free_units_series(
    *, capacities: list[int], solds: list[int], pool: CapacityPool, channel: str
) -> list[int]:
    """Units a channel may still sell, after the on-site hold-back and the online auto-close
    threshold (INV-4). The one rule used by sales and by availability screens alike; it works
    on series so a year of availability costs one pass."""
    hold, close_at = 0, None
    if is_online(channel):
        hold, close_at = pool.hold_back_onsite, pool.online_close_at_sold
    if close_at is None:
        return [f if (f := c - n - hold) > 0 else 0 for c, n in zip(capacities, solds, strict=True)]
    return [
        0 if n >= close_at else (f if (f := c - n - hold) > 0 else 0)
        for c, n in zip(capacities, solds, strict=True)
    ]


def free_units(*, capacity: int, sold: int, pool: CapacityPool, channel: str) -> int:
    return free_units_series(capacities=[capacity], solds=[sold], pool=pool, channel=channel)[0]


def _stop_sold_days(pool_ids: Iterable[int], channel: str, start: date, end: date):
    """{pool_id: [(start, end), ...]} of stop-sells for `channel` touching [start, end]."""
    out: dict[int, list[tuple[date, date]]] = defaultdict(list)
    for pool_id, s, e in StopSell.objects.filter(
        pool_id__in=list(pool_ids),
        channel=channel,
        channel_name="",  # one OTA's own calendar closes its feed, not the whole channel
        start__lte=end,
        end__gt=start,
    ).values_list("pool_id", "start", "end"):
        out[pool_id].append((s, e))
    return out


def _is_stopped(stops: dict, pool_id: int, day: date | None) -> bool:
    if day is None:  # counted stock has no dated stop-sell
        return False
    return any(s <= day < e for s, e in stops.get(pool_id, ()))


def capacity_consume(
    *,
    property: Property,
    needs: Sequence[CapacityNeed],
    channel: str,
    reference: str | Callable[[], str],
    hold_until: datetime | None = None,
    pools: Mapping[int, CapacityPool] | None = None,
    later: list | None = None,
) -> list[CapacityAllocation]:
    """Consume capacity for one sale line / reservation room / channel block.

    Must run inside the caller's transaction (the allocation commits with the sale).
    Locks: the needed CapacityBuckets, in pk order, once.
    Raises: SoldOut (409) naming the first day short, ClosedForSale on a stop-sell,
    InvalidCapacityRequest (422) on a malformed request or a pool of another property.
    `pools` ({pk: CapacityPool}): the pools when the caller has them loaded (a quote's
    products carry theirs); only those of `property` count.
    `later`: the caller's list of writes to run once what `reference` names is written (a
    sale's order, inserted after its ticket): the allocations' INSERT goes there, the
    buckets are taken now; `reference` may then be a callable, called at that INSERT.
    """
    return capacity_consume_many(
        property=property,
        parts=[(reference, needs)],
        channel=channel,
        hold_until=hold_until,
        pools=pools,
        later=later,
    )


def capacity_consume_many(
    *,
    property: Property,
    parts: Sequence[tuple[str, Sequence[CapacityNeed]]],
    channel: str,
    hold_until: datetime | None = None,
    pools: Mapping[int, CapacityPool] | None = None,
    later: list | None = None,
) -> list[CapacityAllocation]:
    """`capacity_consume` for several references at once (the rooms of one booking, each
    released on its own later): one lock, one check, one insert, so a booking of 5 rooms
    costs the statements of a booking of 1. Same locks and errors as capacity_consume."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("capacity_consume must run inside the caller's transaction")
    parts = [(reference, needs) for reference, needs in parts if needs]
    if not parts:
        return []
    pool_ids = {n.pool_id for _ref, needs in parts for n in needs}
    if pools is not None and pool_ids <= set(pools):
        pools = {pk: pools[pk] for pk in pool_ids if pools[pk].property_id == property.pk}
    else:
        pools = {p.pk: p for p in CapacityPool.objects.filter(property=property, pk__in=pool_ids)}
    if len(pools) != len(pool_ids):
        raise InvalidCapacityRequest(_("Unknown capacity for this property."))
    parts = _stock_pools_consume(property=property, parts=parts, pools=pools, later=later)
    if not parts:
        return []
    wanted: dict[BucketKey, int] = defaultdict(int)
    per_part: list[tuple[str, dict[BucketKey, int]]] = []
    for reference, needs in parts:
        mine: dict[BucketKey, int] = defaultdict(int)
        for need in needs:
            for key in _keys_for(pools[need.pool_id], need):
                wanted[key] += need.quantity
                mine[key] += need.quantity
        per_part.append((reference, mine))

    dated = [k[1] for k in wanted if k[1] is not None]
    stops = _stop_sold_days(pools, channel, min(dated), max(dated)) if dated else {}
    for key in sorted(wanted, key=lambda k: (k[0], k[1] or date.min, k[2])):
        if _is_stopped(stops, key[0], key[1]):
            raise ClosedForSale(extra={"pool": pools[key[0]].code, "day": str(key[1])})
    online = is_online(channel)
    # the usual sale: every bucket exists and has the units — one statement takes them all
    takes = []
    for key, quantity in wanted.items():
        pool = pools[key[0]]
        hold, close_at = (pool.hold_back_onsite, pool.online_close_at_sold) if online else (0, None)
        takes.append((*key, quantity, hold, close_at))
    bucket_ids = buckets_take(takes=takes, online=online)
    if len(bucket_ids) < len(wanted):
        # a bucket missing (first sale of the day) or short: undo, then the locking path
        # creates the missing buckets and names the day short
        buckets_give(gives=[(*key, wanted[key]) for key in bucket_ids], online=online)
        bucket_ids = _consume_locked(pools=pools, wanted=wanted, channel=channel)

    status = CapacityAllocation.Status.HELD if hold_until else CapacityAllocation.Status.CONFIRMED

    def insert() -> list[CapacityAllocation]:
        return CapacityAllocation.objects.bulk_create(
            [
                CapacityAllocation(
                    bucket_id=bucket_ids[key],
                    quantity=quantity,
                    channel=channel,
                    reference=reference() if callable(reference) else reference,
                    status=status,
                    expires_at=hold_until,
                )
                for reference, mine in per_part
                for key, quantity in mine.items()
            ]
        )

    if later is not None:
        later.append(insert)
        return []
    return insert()


def _consume_locked(*, pools, wanted: dict[BucketKey, int], channel: str) -> dict[BucketKey, int]:
    """`capacity_consume`'s path when a bucket is missing or short: lock the buckets in pk
    order, create the missing ones, check each (SoldOut names the first day short) and take
    the units. Returns {key: bucket id}."""
    buckets = buckets_for_update(_bucket_filter(wanted))
    by_key = {(b.pool_id, b.day, b.slot_time): b for b in buckets}
    if any(key not in by_key for key in wanted):
        # first sale of these days: create the missing buckets, then lock them all (the
        # usual sale finds its buckets and skips this round trip)
        _ensure_buckets(pools, [key for key in wanted if key not in by_key])
        buckets = buckets_for_update(_bucket_filter(wanted))
        by_key = {(b.pool_id, b.day, b.slot_time): b for b in buckets}

    for key in sorted(wanted, key=lambda k: (k[0], k[1] or date.min, k[2])):
        bucket = by_key[key]
        pool = pools[key[0]]
        free = free_units(capacity=bucket.capacity, sold=bucket.sold, pool=pool, channel=channel)
        if wanted[key] > free:
            when = f" {key[1]:%d/%m/%Y}" if key[1] else ""
            when += f" {key[2]:%H:%M}" if pool.kind == CapacityPool.Kind.SLOT else ""
            raise SoldOut(
                _("%(name)s is sold out%(when)s (%(left)s left).")
                % {"name": pool.name, "when": when, "left": free},
                extra={
                    "pool": pool.code,
                    "day": str(key[1]) if key[1] else None,
                    "available": free,
                    "requested": wanted[key],
                },
            )

    # One UPDATE per distinct quantity keeps the query count flat in the number of buckets.
    online = is_online(channel)
    by_quantity: dict[int, list[int]] = defaultdict(list)
    for key, quantity in wanted.items():
        by_quantity[quantity].append(by_key[key].pk)
    for quantity, ids in by_quantity.items():
        changes = {"sold": F("sold") + quantity, "updated_at": timezone.now()}
        if online:
            changes["sold_online"] = F("sold_online") + quantity
        CapacityBucket.objects.filter(pk__in=ids).update(**changes)

    return {key: by_key[key].pk for key in wanted}


def _stock_pools_consume(*, property: Property, parts, pools, later: list | None) -> list:
    """Counted stock kept in the ledger (a pool with a stock item): what is left is the
    item's level at the pool's location, so its units are taken there, in this
    transaction, refused below zero like any sale. Returns the parts left for buckets."""
    left = []
    for reference, needs in parts:
        moves = [
            Move(
                item_id=pools[n.pool_id].stock_item_id,
                location_id=pools[n.pool_id].stock_location_id,
                quantity=-Decimal(n.quantity),
                kind=StockMovement.Kind.SALE,
            )
            for n in needs
            if pools[n.pool_id].stock_item_id
        ]
        if moves:
            for n in needs:
                if n.quantity <= 0:
                    raise InvalidCapacityRequest(_("The quantity must be positive."))
            stock_apply(property=property, moves=moves, reference=reference, later=later)
        rest = [n for n in needs if not pools[n.pool_id].stock_item_id]
        if rest:
            left.append((reference, rest))
    return left


def capacity_release(
    *,
    property: Property,
    reference: str,
    quantity: int | None = None,
    pool_id: int | None = None,
    day: date | None = None,
) -> int:
    """Give back what `reference` consumed (cancellation, void, refund, expired hold).

    `quantity` releases only that many units from each bucket of the reference (a partial
    refund of 1 basket out of 3); None releases everything. `pool_id` (and `day`, for a
    dated pool) keep to the buckets of one sold line (a refund of one line of a sale that
    sold several products). Idempotent: a released allocation is never released twice.
    Returns the units released.
    Locks: the affected CapacityBuckets in pk order.
    """
    with transaction.atomic():
        # what the reference took from the stock ledger (ingredients, ledger-kept pools); a
        # release of one line (pool_id) leaves that to its caller: stock_return_lines
        if pool_id is None:
            stock_return(property=property, reference=reference, quantity=quantity)
        active = list(
            CapacityAllocation.objects.filter(
                bucket__pool__property=property,
                reference=reference,
                **({"bucket__pool_id": pool_id} if pool_id is not None else {}),
                **({"bucket__day": day} if day is not None else {}),
            )
            .exclude(status=CapacityAllocation.Status.RELEASED)
            .order_by("pk")
        )
        if not active:
            return 0
        buckets_for_update(Q(pk__in={a.bucket_id for a in active}))
        # re-read under the lock: a concurrent release may have won
        active = list(
            CapacityAllocation.objects.filter(pk__in=[a.pk for a in active])
            .exclude(status=CapacityAllocation.Status.RELEASED)
            .order_by("pk")
        )
        remaining: dict[int, int] = defaultdict(lambda: quantity if quantity else 10**9)
        released_total = 0
        now = timezone.now()
        for allocation in active:
            units = min(allocation.quantity, remaining[allocation.bucket_id])
            if units <= 0:
                continue
            remaining[allocation.bucket_id] -= units
            changes = {"sold": F("sold") - units, "updated_at": now}
            if is_online(allocation.channel):
                changes["sold_online"] = F("sold_online") - units
            CapacityBucket.objects.filter(pk=allocation.bucket_id).update(**changes)
            if units == allocation.quantity:
                allocation.status = CapacityAllocation.Status.RELEASED
                allocation.released_at = now
                allocation.save(update_fields=["status", "released_at"])
            else:
                allocation.quantity -= units
                allocation.save(update_fields=["quantity"])
            released_total += units
        return released_total


def capacity_confirm(*, property: Property, reference: str) -> int:
    """Turn the held allocations of `reference` into confirmed ones (payment received)."""
    return CapacityAllocation.objects.filter(
        bucket__pool__property=property,
        reference=reference,
        status=CapacityAllocation.Status.HELD,
    ).update(status=CapacityAllocation.Status.CONFIRMED, expires_at=None)


def holds_release_expired(*, now: datetime | None = None) -> int:
    """Return expired holds to sale (booking-engine carts the guest abandoned)."""
    now = now or timezone.now()
    expired = (
        CapacityAllocation.objects.filter(status=CapacityAllocation.Status.HELD, expires_at__lt=now)
        .values_list("bucket__pool__property_id", "reference")
        .distinct()
    )
    released = 0
    properties = {p.pk: p for p in Property.objects.filter(pk__in={e[0] for e in expired})}
    for property_id, reference in expired:
        released += capacity_release(property=properties[property_id], reference=reference)
    return released


def capacity_adjust(
    *, property: Property, pool_id: int, start: date, end: date, delta: int
) -> None:
    """Add (or remove, negative) units over [start, end): a room out of order, a new cabin.

    Raises SoldOut when removing units that are already sold on some day.
    Locks: the pool's buckets over the range.
    """
    pool = CapacityPool.objects.filter(property=property, pk=pool_id).first()
    if pool is None:
        raise InvalidCapacityRequest(_("Unknown capacity for this property."))
    if pool.stock_item_id:
        raise InvalidCapacityRequest(
            _("%(name)s is kept in the stock ledger: receive, transfer or count it instead.")
            % {"name": pool.name}
        )
    with transaction.atomic():
        keys = _range_keys(pool, start, end)
        _ensure_buckets({pool.pk: pool}, keys)
        buckets = buckets_for_update(_bucket_filter(keys))
        for bucket in buckets:
            if bucket.capacity + delta < bucket.sold:
                raise SoldOut(
                    _("%(name)s: %(sold)s units are already sold on %(day)s.")
                    % {"name": pool.name, "sold": bucket.sold, "day": f"{bucket.day:%d/%m/%Y}"}
                )
        CapacityBucket.objects.filter(pk__in=[b.pk for b in buckets]).update(
            capacity=F("capacity") + delta, updated_at=timezone.now()
        )
