"""Story S2 at the capacity service: 40 buyers on four channels want the last unit of each
kind of capacity at the same instant; exactly the capacity is sold, the others get SoldOut."""

from datetime import date, time

import pytest
from django.db import transaction

from inventory.exceptions import SoldOut
from inventory.models import CapacityAllocation, CapacityBucket, CapacityPool, Channel
from inventory.selectors import pools_availability
from inventory.services.capacity import CapacityNeed, capacity_consume, capacity_release
from tests.concurrency import race

pytestmark = pytest.mark.django_db(transaction=True)
CHANNELS = [Channel.POS, Channel.FRONT_DESK, Channel.BOOKING_ENGINE, Channel.OTA]
DAY = date(2026, 12, 12)

NEEDS = {
    "panier-gourmand": {},
    "pass-piscine": {"day": DAY},
    "massage-60": {"day": DAY, "slot_time": time(15, 0)},
    "nuit-familiale": {"day": DAY, "until": date(2026, 12, 14)},
}


@pytest.mark.parametrize("code", list(NEEDS))
def test_last_unit_is_sold_exactly_once_across_channels(hotel, catalog, product, code):
    pool = product(code).capacity_pool
    # leave exactly one unit, visible to every channel (no hold-back, no online threshold)
    CapacityPool.objects.filter(pk=pool.pk).update(
        default_capacity=1, hold_back_onsite=0, online_close_at_sold=None
    )
    pool.refresh_from_db()

    def buyer(i):
        def buy():
            with transaction.atomic():
                return capacity_consume(
                    property=hotel,
                    channel=CHANNELS[i % 4],
                    reference=f"buyer:{i}",
                    needs=[CapacityNeed(pool_id=pool.pk, quantity=1, **NEEDS[code])],
                )

        return buy

    results = race([buyer(i) for i in range(40)])

    winners = [r for r in results if isinstance(r, list)]
    losers = [r for r in results if isinstance(r, SoldOut)]
    assert len(winners) == 1
    assert len(losers) == 39
    assert all(str(e.message) for e in losers)
    assert all(b.sold == b.capacity == 1 for b in CapacityBucket.objects.filter(pool=pool))
    assert (
        CapacityAllocation.objects.filter(bucket__pool=pool).values("reference").distinct().count()
        == 1
    )
    start = NEEDS[code].get("day", DAY)
    for channel in CHANNELS:
        slots = pools_availability(
            property=hotel,
            pool_ids=[pool.pk],
            start=start,
            end=NEEDS[code].get("until", date(2026, 12, 13)),
            channel=channel,
        )[pool.pk]
        chosen = [s for s in slots if s.slot_time in (None, NEEDS[code].get("slot_time"))]
        assert {s.available for s in chosen} == {0}

    # the winner cancels: the unit is for sale again on every channel
    reference = CapacityAllocation.objects.filter(bucket__pool=pool).first().reference
    assert capacity_release(property=hotel, reference=reference) == len(
        CapacityBucket.objects.filter(pool=pool)
    )
    again = race([buyer(100 + i) for i in range(8)])
    assert sum(isinstance(r, list) for r in again) == 1


def test_many_units_sell_exactly_to_capacity_without_deadlock(hotel, catalog, product):
    """40 buyers of 3 baskets and 2 pool passes each in one sale (locks in a fixed order)."""
    baskets = product("panier-gourmand").capacity_pool
    passes = product("pass-piscine").capacity_pool
    CapacityPool.objects.filter(pk__in=[baskets.pk, passes.pk]).update(
        default_capacity=30, hold_back_onsite=0, online_close_at_sold=None
    )

    def buyer(i):
        def buy():
            needs = [
                CapacityNeed(pool_id=passes.pk, quantity=2, day=DAY),
                CapacityNeed(pool_id=baskets.pk, quantity=3),
            ]
            if i % 2:
                needs.reverse()  # callers list their lines in any order
            with transaction.atomic():
                return capacity_consume(
                    property=hotel, channel=CHANNELS[i % 4], reference=f"multi:{i}", needs=needs
                )

        return buy

    results = race([buyer(i) for i in range(40)])
    assert sum(isinstance(r, list) for r in results) == 10  # 30 baskets / 3
    assert all(isinstance(r, (list, SoldOut)) for r in results)
    assert CapacityBucket.objects.get(pool=baskets).sold == 30
    assert CapacityBucket.objects.get(pool=passes, day=DAY).sold == 20
