"""One capacity service for every channel: rules, oversell refusal, release."""

from datetime import date, time

import pytest
from django.db import IntegrityError, transaction

from inventory.exceptions import ClosedForSale, InvalidCapacityRequest, SoldOut
from inventory.models import CapacityAllocation, CapacityBucket, Channel, StopSell
from inventory.selectors import pools_availability
from inventory.services.capacity import (
    CapacityNeed,
    capacity_adjust,
    capacity_consume,
    capacity_release,
    holds_release_expired,
)

pytestmark = pytest.mark.django_db
DAY = date(2026, 12, 5)


def consume(hotel, pool, quantity=1, channel=Channel.POS, reference="t:1", hold_until=None, **kw):
    with transaction.atomic():
        return capacity_consume(
            property=hotel,
            channel=channel,
            reference=reference,
            hold_until=hold_until,
            needs=[CapacityNeed(pool_id=pool.pk, quantity=quantity, **kw)],
        )


def available(hotel, pool, channel, start=DAY, end=date(2026, 12, 6)):
    return [
        s.available
        for s in pools_availability(
            property=hotel, pool_ids=[pool.pk], start=start, end=end, channel=channel
        )[pool.pk]
    ]


def test_stock_sells_down_to_zero_then_refuses(hotel, catalog, product):
    baskets = product("panier-gourmand").capacity_pool
    consume(hotel, baskets, quantity=12)
    with pytest.raises(SoldOut) as err:
        consume(hotel, baskets, reference="t:2")
    assert err.value.extra["available"] == 0
    assert CapacityBucket.objects.get(pool=baskets).sold == 12


def test_online_sees_capacity_minus_hold_back(hotel, catalog, product):
    pool_passes = product("pass-piscine").capacity_pool  # 40, 10 held back for on-site
    assert available(hotel, pool_passes, Channel.BOOKING_ENGINE) == [30]
    assert available(hotel, pool_passes, Channel.POS) == [40]
    consume(hotel, pool_passes, quantity=30, channel=Channel.BOOKING_ENGINE, day=DAY)
    with pytest.raises(SoldOut):
        consume(hotel, pool_passes, channel=Channel.OTA, day=DAY, reference="t:2")
    consume(hotel, pool_passes, quantity=10, channel=Channel.POS, day=DAY, reference="t:3")
    assert available(hotel, pool_passes, Channel.POS) == [0]


def test_online_closes_when_on_site_sales_consumed_the_stock(hotel, catalog, product):
    pool_passes = product("pass-piscine").capacity_pool
    consume(hotel, pool_passes, quantity=31, channel=Channel.POS, day=DAY)
    assert available(hotel, pool_passes, Channel.BOOKING_ENGINE) == [0]
    assert available(hotel, pool_passes, Channel.POS) == [9]


def test_auto_close_online_at_threshold(hotel, catalog, product):
    baskets = product("panier-gourmand").capacity_pool  # closes online at 10 sold
    consume(hotel, baskets, quantity=10, channel=Channel.POS)
    assert available(hotel, baskets, Channel.BOOKING_ENGINE) == [0]
    assert available(hotel, baskets, Channel.POS) == [2]


def test_stop_sell_closes_one_channel_only(hotel, catalog, product):
    rooms = product("nuit-classique").capacity_pool
    StopSell.objects.create(pool=rooms, channel=Channel.OTA, start=DAY, end=date(2026, 12, 7))
    with pytest.raises(ClosedForSale):
        consume(hotel, rooms, channel=Channel.OTA, day=date(2026, 12, 6), until=date(2026, 12, 8))
    consume(hotel, rooms, channel=Channel.FRONT_DESK, day=DAY, until=date(2026, 12, 8))
    assert CapacityAllocation.objects.filter(reference="t:1").count() == 3


def test_nights_consume_every_night_of_the_stay(hotel, catalog, product):
    rooms = product("nuit-junior").capacity_pool  # 4 rooms
    consume(hotel, rooms, quantity=4, channel=Channel.FRONT_DESK, day=DAY, until=date(2026, 12, 8))
    # the night of the 7th is full, the 8th is free again
    with pytest.raises(SoldOut) as err:
        consume(
            hotel,
            rooms,
            channel=Channel.FRONT_DESK,
            day=date(2026, 12, 7),
            until=date(2026, 12, 9),
            reference="t:2",
        )
    assert err.value.extra["day"] == "2026-12-07"
    consume(
        hotel,
        rooms,
        channel=Channel.FRONT_DESK,
        day=date(2026, 12, 8),
        until=date(2026, 12, 9),
        reference="t:3",
    )


def test_slots_are_per_time(hotel, catalog, product):
    spa = product("massage-60").capacity_pool  # 2 cabins
    consume(hotel, spa, quantity=2, day=DAY, slot_time=time(15, 0))
    with pytest.raises(SoldOut):
        consume(hotel, spa, day=DAY, slot_time=time(15, 0), reference="t:2")
    consume(hotel, spa, day=DAY, slot_time=time(16, 0), reference="t:3")
    with pytest.raises(InvalidCapacityRequest):
        consume(hotel, spa, day=DAY, slot_time=time(15, 30), reference="t:4")


def test_a_failed_consumption_changes_nothing(hotel, catalog, product):
    spa = product("massage-60").capacity_pool
    baskets = product("panier-gourmand").capacity_pool
    consume(hotel, baskets, quantity=12)
    with pytest.raises(SoldOut), transaction.atomic():
        capacity_consume(
            property=hotel,
            channel=Channel.POS,
            reference="t:2",
            needs=[
                CapacityNeed(pool_id=spa.pk, quantity=1, day=DAY, slot_time=time(10, 0)),
                CapacityNeed(pool_id=baskets.pk, quantity=1),
            ],
        )
    assert not CapacityAllocation.objects.filter(reference="t:2").exists()
    assert available(hotel, spa, Channel.POS)[0] == 2


def test_release_gives_units_back_once(hotel, catalog, product):
    baskets = product("panier-gourmand").capacity_pool
    consume(hotel, baskets, quantity=3)
    assert capacity_release(property=hotel, reference="t:1", quantity=1) == 1
    assert CapacityBucket.objects.get(pool=baskets).sold == 2
    assert capacity_release(property=hotel, reference="t:1") == 2
    assert capacity_release(property=hotel, reference="t:1") == 0
    assert CapacityBucket.objects.get(pool=baskets).sold == 0


def test_expired_holds_return_to_sale(hotel, catalog, product):
    from datetime import timedelta

    from django.utils import timezone

    rooms = product("nuit-familiale").capacity_pool
    consume(
        hotel,
        rooms,
        quantity=3,
        channel=Channel.BOOKING_ENGINE,
        day=DAY,
        until=date(2026, 12, 6),
        hold_until=timezone.now() - timedelta(seconds=1),
    )
    assert available(hotel, rooms, Channel.FRONT_DESK) == [0]
    assert holds_release_expired() == 3
    assert available(hotel, rooms, Channel.FRONT_DESK) == [3]


def test_database_refuses_an_oversell_that_skips_the_service(hotel, catalog, product):
    baskets = product("panier-gourmand").capacity_pool
    consume(hotel, baskets, quantity=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        CapacityBucket.objects.filter(pool=baskets).update(sold=13)


def test_capacity_cannot_drop_below_what_is_sold(hotel, catalog, product):
    rooms = product("nuit-familiale").capacity_pool
    consume(hotel, rooms, quantity=3, channel=Channel.FRONT_DESK, day=DAY, until=date(2026, 12, 6))
    with pytest.raises(SoldOut):
        capacity_adjust(
            property=hotel, pool_id=rooms.pk, start=DAY, end=date(2026, 12, 6), delta=-1
        )
    capacity_adjust(
        property=hotel, pool_id=rooms.pk, start=date(2026, 12, 6), end=date(2026, 12, 7), delta=-1
    )
    assert available(
        hotel, rooms, Channel.FRONT_DESK, start=date(2026, 12, 6), end=date(2026, 12, 7)
    ) == [2]


def test_pool_of_another_property_is_refused(hotel, other_hotel, catalog, product):
    baskets = product("panier-gourmand").capacity_pool
    with pytest.raises(InvalidCapacityRequest), transaction.atomic():
        capacity_consume(
            property=other_hotel,
            channel=Channel.POS,
            reference="x",
            needs=[CapacityNeed(pool_id=baskets.pk, quantity=1)],
        )
