import pytest

from core.models import Role
from tests.factories.pos import make_terminal


@pytest.fixture
def terminal(hotel):
    return make_terminal(hotel, outlet_code="bar-piscine", outlet_name="Bar de la Piscine")


@pytest.fixture
def cashier(hotel, staff_of):
    return staff_of(hotel, Role.CASHIER, username="cashier")
