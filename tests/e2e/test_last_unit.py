"""Story S2, the last unit: 40 buyers at the same instant, through the real services of the
POS, the front desk, the booking engine, the OTA import and the API, want the last unit of
each kind of capacity. Exactly one wins; every other gets a clear "sold out"; nothing is left
behind by the losers; a cancellation puts the unit back on sale."""

from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum

from billing.services.payments import TenderInput
from core.models import Role
from crm.services import guest_create
from inventory.exceptions import SoldOut
from inventory.models import CapacityAllocation, CapacityBucket, CapacityPool, Channel
from inventory.services.pricing import QuoteLineInput, quote
from pms.models import Reservation, RoomType
from pms.services.reservations import (
    ExtraRequest,
    RoomRequest,
    reservation_cancel,
    reservation_create,
)
from pos.models import Order
from pos.services.checkout import order_checkout
from tests.concurrency import race
from tests.factories.core import make_staff
from tests.factories.pos import make_terminal

pytestmark = pytest.mark.django_db(transaction=True)
RESERVATION_CHANNELS = [Channel.FRONT_DESK, Channel.BOOKING_ENGINE, Channel.OTA, Channel.API]


@pytest.fixture
def shop(hotel, catalog):
    from pms.demo import room_types_seed

    room_types_seed(hotel)
    # plenty of classic rooms, so a reservation buying an extra only competes for the extra
    CapacityPool.objects.filter(property=hotel, code="nuits-classique").update(
        default_capacity=100, hold_back_onsite=0
    )
    return {
        "cashier": make_staff(hotel, Role.CASHIER, username="nora"),
        "clerk": make_staff(hotel, Role.FRONT_DESK, username="claire"),
        "terminal": make_terminal(hotel),
        "guests": [
            guest_create(
                organization=hotel.organization,
                last_name=f"Client {i}",
                email=f"client{i}@example.fr",
            )
            for i in range(40)
        ],
    }


def last_unit(hotel, code):
    CapacityPool.objects.filter(property=hotel, code=code).update(
        default_capacity=1, hold_back_onsite=0, online_close_at_sold=None
    )


def buyers(hotel, shop, product, day, slot=None, as_room=False):
    arrival = hotel.business_date() + timedelta(days=3)
    classique = RoomType.objects.get(property=hotel, code="classique")

    def pos_buyer(i):
        line = QuoteLineInput(product_id=product.pk, start=day, slot_time=slot)
        total = quote(property=hotel, channel=Channel.POS, lines=[line]).total
        return lambda: order_checkout(
            property=hotel,
            terminal=shop["terminal"],
            actor=shop["cashier"],
            lines=[line],
            tenders=[TenderInput(method="cash", amount=total)],
            client_key=f"pos-{i}",
        )

    def reservation_buyer(i):
        channel = RESERVATION_CHANNELS[i % 4]
        if as_room:
            rooms = [RoomRequest(room_type_id=product.room_type.pk, adults=2)]
            extras = ()
        else:
            rooms = [RoomRequest(room_type_id=classique.pk, adults=1)]
            extras = [ExtraRequest(product_id=product.pk, quantity=1, day=day, slot_time=slot)]
        return lambda: reservation_create(
            property=hotel,
            guest=shop["guests"][i],
            arrival=arrival,
            departure=arrival + timedelta(days=1),
            rooms=rooms,
            extras=extras,
            channel=channel,
            actor=shop["clerk"],
            external_reference=f"race-{i}",
        )

    if as_room:  # rooms are not sold at the bar: four reservation channels share the 40
        return [reservation_buyer(i) for i in range(40)]
    return [pos_buyer(i) if i % 5 == 0 else reservation_buyer(i) for i in range(40)]


CASES = {
    "panier-gourmand": ("paniers-gourmands", 3, None),
    "pass-piscine": ("piscine", 4, None),
    "massage-60": ("spa-cabines", 4, time(15, 0)),
}


@pytest.mark.parametrize("code", list(CASES))
def test_last_extra_is_sold_once_across_pos_desk_web_ota_and_api(hotel, shop, product, code):
    pool_code, offset, slot = CASES[code]
    last_unit(hotel, pool_code)
    day = hotel.business_date() + timedelta(days=offset) if offset else None
    results = race(buyers(hotel, shop, product(code), day or hotel.business_date(), slot))

    winners = [r for r in results if isinstance(r, (Order, Reservation))]
    losers = [r for r in results if isinstance(r, SoldOut)]
    assert len(winners) == 1, results
    assert len(losers) == 39, [r for r in results if not isinstance(r, SoldOut)][:3]
    assert all(e.code == "sold_out" and str(e.message) for e in losers)
    pool = CapacityPool.objects.get(property=hotel, code=pool_code)
    assert CapacityBucket.objects.filter(pool=pool).aggregate(s=Sum("sold"))["s"] == 1
    # losers left nothing behind: one sale, one allocation of the pool
    assert Order.objects.count() + Reservation.objects.count() == 1
    assert CapacityAllocation.objects.filter(bucket__pool=pool).count() == 1


def test_last_room_is_sold_once_across_four_channels_then_released(hotel, shop, product):
    last_unit(hotel, "nuits-familiale")
    family = product("nuit-familiale")
    results = race(buyers(hotel, shop, family, None, as_room=True))
    winners = [r for r in results if isinstance(r, Reservation)]
    assert len(winners) == 1
    assert sum(isinstance(r, SoldOut) for r in results) == 39
    assert Reservation.objects.count() == 1

    reservation_cancel(reservation=winners[0], actor=shop["clerk"], reason="Annulation client")
    again = race(buyers(hotel, shop, family, None, as_room=True)[:8])
    assert sum(isinstance(r, Reservation) for r in again) == 1
    assert Decimal(Reservation.objects.exclude(status="cancelled").count()) == 1
