import pytest
from django.core import signing

from core.models import Role
from core.terminals import COOKIE, SALT
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
