"""Fixtures of the staff-screen tests (a bound till, a waiter's tablet, tables, rooms and a
reservation maker), imported by the conftest of each folder whose tests drive the screens."""

import pytest
from django.core import signing
from django.test import Client

from core.models import Role
from core.terminals import COOKIE, SALT
from pos.models import Table
from tests.factories.core import make_staff
from tests.factories.pos import make_terminal


@pytest.fixture
def terminal(hotel):
    return make_terminal(hotel, outlet_code="boutique", outlet_name="Boutique", name="Caisse 1")


def terminal_cookie(terminal) -> str:
    return signing.dumps(
        {
            "property_id": terminal.property_id,
            "terminal_id": terminal.pk,
            "label": f"{terminal.outlet.name} · {terminal.name}",
        },
        salt=SALT,
    )


@pytest.fixture
def cashier(hotel):
    return make_staff(hotel, Role.CASHIER, username="cashier")


@pytest.fixture
def clerk(hotel):
    return make_staff(hotel, Role.FRONT_DESK, username="clerk")


@pytest.fixture
def till(client, cashier, terminal, catalog):
    """A browser bound to the shop's till, with a cashier signed in."""
    client.force_login(cashier)
    client.cookies[COOKIE] = terminal_cookie(terminal)
    return client


@pytest.fixture
def rooms(hotel, catalog):
    from pms.demo import room_types_seed

    return room_types_seed(hotel)


@pytest.fixture
def book(hotel, rooms):
    """book(type_code, nights=2, arrival_offset=0): a confirmed front-desk reservation."""
    from datetime import timedelta

    from crm.services import guest_create
    from inventory.models import Channel
    from pms.services.reservations import RoomRequest, reservation_create

    def make(code="classique", nights=2, offset=0, last_name="Martin"):
        guest = guest_create(
            organization=hotel.organization, first_name="Camille", last_name=last_name
        )
        arrival = hotel.business_date() + timedelta(days=offset)
        return reservation_create(
            property=hotel,
            guest=guest,
            arrival=arrival,
            departure=arrival + timedelta(days=nights),
            rooms=[RoomRequest(rooms[code].pk, 2, 0)],
            channel=Channel.FRONT_DESK,
        )

    return make


@pytest.fixture
def tables(hotel, terminal):
    return {
        label: Table.objects.create(
            property=hotel, outlet=terminal.outlet, label=label, seats=4, pos_x=i, pos_y=1
        )
        for i, label in enumerate(["5", "6", "7"], start=1)
    }


@pytest.fixture
def tablet(waiter, terminal, catalog):
    """A waiter's tablet bound to the terminal, in English."""
    client = Client()
    client.force_login(waiter)
    client.cookies[COOKIE] = terminal_cookie(terminal)
    client.cookies["django_language"] = "en"
    return client
