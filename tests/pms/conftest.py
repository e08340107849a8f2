from datetime import timedelta

import pytest

from core.models import Role
from crm.services import guest_create
from pms.models import Room
from tests.factories.core import make_staff


@pytest.fixture
def rooms(hotel, catalog):
    """The demo layout on the test property: 10 Classique, 7 Supérieure, 4 Junior, 3 Familiale."""
    from pms.demo import room_types_seed

    return room_types_seed(hotel)


@pytest.fixture
def room_type(rooms):
    def get(code):
        return rooms[code]

    return get


@pytest.fixture
def room(hotel, rooms):
    def get(number):
        return Room.objects.select_related("room_type").get(property=hotel, number=number)

    return get


@pytest.fixture
def today(hotel):
    return hotel.business_date()


@pytest.fixture
def day(today):
    """day(n): the business date plus n days."""

    def get(n):
        return today + timedelta(days=n)

    return get


@pytest.fixture
def guest(hotel):
    return guest_create(
        organization=hotel.organization,
        first_name="Camille",
        last_name="Martin",
        email="camille.martin@exemple.fr",
    )


@pytest.fixture
def clerk(hotel):
    return make_staff(hotel, Role.FRONT_DESK, username="clerk")
