"""A restaurant with tables 1 to 8, a room-service outlet with a club sandwich and the last
brownie, their QR codes, the guest of room 12 (Dupont), and a guest's phone in Chromium."""

import pytest

from inventory.models import CapacityPool, Category
from pos.models import GuestOrderPoint, Outlet, Table
from pos.services.guest_orders import guest_points_create
from tests.browser import PHONE, guest_page
from tests.factories.catalogue import make_product
from tests.factories.screens import (  # noqa: F401
    cashier,
    tablet,
    terminal,
)
from tests.factories.stays import make_room, make_stay


@pytest.fixture
def phone(browser, live_server):
    """A guest's phone (390×844): no sign-in, no staff cookie; fails on a CSP violation. The
    browser tests of this folder bring `browser` (tests/e2e/test_browser_taps.py)."""
    with guest_page(browser, PHONE) as page:
        yield page


@pytest.fixture
def restaurant(hotel, catalog, terminal):  # noqa: F811 (the fixture imported above)
    """The tablet's outlet with tables 1 to 8 and their QR codes (a waiter accepts)."""
    for n in range(1, 9):
        Table.objects.create(
            property=hotel, outlet=terminal.outlet, label=str(n), seats=4, pos_x=n, pos_y=1
        )
    guest_points_create(outlet=terminal.outlet, actor=None)
    return terminal.outlet


@pytest.fixture
def table_point(restaurant):
    return GuestOrderPoint.objects.get(outlet=restaurant, table__label="7")


@pytest.fixture
def room_service(hotel, catalog):
    """Room service: the catalogue's dishes and desserts, a club sandwich, one brownie left."""
    outlet = Outlet.objects.create(
        property=hotel, code="room-service", name="Room service", kind=Outlet.Kind.RESTAURANT
    )
    plats = Category.objects.get(property=hotel, name_fr="Plats")
    desserts = Category.objects.get(property=hotel, name_fr="Desserts")
    outlet.categories.set([plats, desserts])
    make_product(
        hotel,
        "club-sandwich",
        "Club sandwich",
        "16.00",
        category=plats,
        allergens=["gluten", "eggs"],
    )
    pool = CapacityPool.objects.create(
        property=hotel,
        code="brownies",
        name="Brownies",
        kind=CapacityPool.Kind.STOCK,
        default_capacity=1,
    )
    make_product(hotel, "brownie", "Brownie", "6.00", category=desserts, capacity_pool=pool)
    return outlet


@pytest.fixture
def room_point(hotel, room_service):
    room = make_room(hotel, "12")
    guest_points_create(outlet=room_service, actor=None, rooms=[room])
    return GuestOrderPoint.objects.get(outlet=room_service, room=room)


@pytest.fixture
def stay_12(hotel, room_point):
    return make_stay(hotel, room_number="12", last_name="Dupont", reference="BK-1212")


@pytest.fixture
def kiosk_point(hotel, catalog, terminal):  # noqa: F811 (the fixture imported above)
    """A lobby kiosk on the tablet's outlet, with croissants among the breakfast."""
    breakfast = Category.objects.get(property=hotel, name_fr="Petit-déjeuner")
    make_product(
        hotel, "croissant", "Croissant", "1.80", category=breakfast, allergens=["gluten", "milk"]
    )
    guest_points_create(outlet=terminal.outlet, actor=None, kiosk=True)
    return GuestOrderPoint.objects.get(outlet=terminal.outlet, kind=GuestOrderPoint.Kind.KIOSK)


@pytest.fixture
def collect_point(room_service):
    """The room-service kitchen also takes orders to collect: open all day, two orders per
    15-minute slot, the first pickup at once (the tests run at any hour)."""
    room_service.collect_slot_capacity = 2
    room_service.collect_lead_minutes = 0
    room_service.save()
    guest_points_create(outlet=room_service, actor=None, collect=True)
    return GuestOrderPoint.objects.get(outlet=room_service, kind=GuestOrderPoint.Kind.COLLECT)
