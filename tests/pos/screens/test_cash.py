from decimal import Decimal

import pytest

from core.models import Role
from pos.models import CashSession
from tests.factories.core import make_staff

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def sell_cash(till, hotel, product, code="cafe"):
    till.post("/pos/counter/add/", {"product_id": product(code).pk}, **HX)
    key = till.session[f"pos_cart:{hotel.pk}"]["client_key"]
    till.post("/pos/counter/pay/", {"client_key": key, "action": "cash", "tendered": "20"}, **HX)


def test_open_sell_x_report_and_blind_close(till, hotel, product):
    # given
    till.post("/pos/cash/open/", {"float": "100"})
    sell_cash(till, hotel, product)  # 2.50 cash
    till.post("/pos/counter/add/", {"product_id": product("cafe").pk}, **HX)
    key = till.session[f"pos_cart:{hotel.pk}"]["client_key"]
    till.post(
        "/pos/counter/pay/", {"client_key": key, "action": "card", "card_reference": "A"}, **HX
    )
    # when
    drawer = till.get("/pos/cash/").content.decode()
    x = till.get("/pos/cash/x/").content.decode()
    closed = till.post("/pos/cash/close/", {"counted": "101.50"}, follow=True)
    # then
    assert "102.50" not in drawer  # the count is blind
    assert "€102.50" in x
    session = CashSession.objects.get()
    assert session.status == CashSession.Status.CLOSED
    assert session.expected_cash == Decimal("102.50")
    assert session.difference == Decimal("-1.00")
    assert session.totals["by_method"]["card"]["total"] == "2.50"
    assert "-€1.00" in closed.content.decode()


def test_a_drawer_opens_once_and_amounts_are_checked(till):
    till.post("/pos/cash/open/", {"float": "50"})
    again = till.post("/pos/cash/open/", {"float": "50"}, follow=True)
    assert "already open" in again.content.decode()
    assert CashSession.objects.count() == 1
    bad = till.post("/pos/cash/close/", {"counted": "abc"}, follow=True)
    assert "Enter a valid amount." in bad.content.decode()
    negative = till.post("/pos/cash/close/", {"counted": "-5"}, follow=True)
    assert "Enter a valid amount." in negative.content.decode()
    assert CashSession.objects.get().status == CashSession.Status.OPEN


def test_waiters_do_not_handle_the_drawer(client, hotel):
    client.force_login(make_staff(hotel, Role.WAITER, username="w"))
    assert client.get("/pos/cash/").status_code == 403
    assert client.post("/pos/cash/open/", {"float": "1"}).status_code == 403


def test_z_report_of_another_property_is_not_found(client, other_hotel, till):
    till.post("/pos/cash/open/", {"float": "10"})
    till.post("/pos/cash/close/", {"counted": "10"})
    session = CashSession.objects.get()
    client.force_login(make_staff(other_hotel, Role.CASHIER, username="c2"))
    assert client.get(f"/pos/cash/sessions/{session.pk}/").status_code == 404
