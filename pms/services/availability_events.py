"""The `availability.changed` webhook event, coalesced: capacity changes on every sale,
booking, cancellation and release, so the event is not sent per change but by a beat (every
minute): one message per property per run, listing each capacity pool whose buckets changed
since the last run (its products and room types, and the days as ranges). Receivers read the
numbers with the availability API.

The run covers (the last run's end, now − WEBHOOKS_AVAILABILITY_SETTLE_SECONDS]: a bucket is
stamped (`updated_at`) in its transaction before it commits, and a change still uncommitted
when the beat reads would otherwise fall before the next window. Pms, not inventory, sends it:
a pool's room types are pms's."""

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.models import Property
from inventory.models import CapacityBucket, Product
from webhooks.services import coalesced_window, webhook_emit, webhook_subscribed

EVENT = "availability.changed"


def _ranges(days: list[date | None]) -> list[tuple[date | None, date | None]]:
    """Sorted days as runs of consecutive days (counted stock, no day: one (None, None))."""
    if None in days:
        return [(None, None)]
    runs: list[tuple[date, date]] = []
    for day in sorted(days):
        if runs and day - runs[-1][1] <= timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _changes(pools: dict[int, tuple[str, str, set]]) -> list[dict]:
    """One change per pool and run of days, with the products (and room types) it sells."""
    products: dict[int, list[str]] = defaultdict(list)
    room_types: dict[int, list[str]] = defaultdict(list)
    rows = (
        Product.objects.filter(capacity_pool_id__in=pools)
        .order_by("code")
        .values_list("capacity_pool_id", "code", "room_type__code")
    )
    for pool_id, code, room_type in rows:
        products[pool_id].append(code)
        if room_type:
            room_types[pool_id].append(room_type)
    changes = []
    for pool_id, (code, kind, days) in sorted(pools.items(), key=lambda p: p[1][0]):
        for first, last in _ranges(list(days)):
            changes.append(
                {
                    "pool": code,
                    "kind": kind,
                    "products": products[pool_id],
                    "room_types": room_types[pool_id],
                    "first_day": first,
                    "last_day": last,
                }
            )
    return changes


def availability_changed_emit(*, now: datetime | None = None) -> int:
    """Beat: record one availability.changed per subscribed property whose capacity changed
    since the last run (the first run only sets the mark). Returns how many deliveries.
    One transaction: the mark moves only with the deliveries it covers."""
    now = now or timezone.now()
    until = now - timedelta(seconds=settings.WEBHOOKS_AVAILABILITY_SETTLE_SECONDS)
    with transaction.atomic():
        since = coalesced_window(event=EVENT, until=until)
        if since is None or until <= since:
            return 0
        changed = (
            CapacityBucket.objects.filter(updated_at__gt=since, updated_at__lte=until)
            .values_list("pool__property_id", "pool_id", "pool__code", "pool__kind", "day")
            .distinct()
        )
        by_property: dict[int, dict[int, tuple[str, str, set]]] = defaultdict(dict)
        for property_id, pool_id, code, kind, day in changed:
            by_property[property_id].setdefault(pool_id, (code, kind, set()))[2].add(day)
        if not by_property:
            return 0
        sent = 0
        for prop in Property.objects.filter(pk__in=by_property).order_by("pk"):
            if not webhook_subscribed(property=prop, event=EVENT):
                continue
            pools = by_property[prop.pk]
            sent += webhook_emit(
                property=prop,
                event=EVENT,
                data={"since": since, "until": until, "changes": _changes(pools)},
            )
        return sent
