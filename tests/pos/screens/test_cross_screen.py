"""Checks that hold on every staff screen: the PIN switch from each POS screen brings the next
person back to the same screen, and refusals are shown on the screen in the user's language
(sold out, not in house, wrong PIN, session already closed) — never a 500, nothing changed."""

from html import unescape
from urllib.parse import quote

import pytest

from billing.models import FolioLine
from core.models import Role
from pos.models import CashSession
from tests.factories.core import make_staff

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
POS_SCREENS = ["/pos/counter/", "/pos/tables/", "/pos/kitchen/kitchen/", "/pos/cash/"]


@pytest.fixture
def boss(hotel):
    return make_staff(hotel, Role.MANAGER, username="boss", pin="666666")


@pytest.mark.parametrize("path", POS_SCREENS)
def test_pin_switch_from_every_pos_screen_comes_back_to_it(till, hotel, cashier, boss, path):
    # given: the cashier works on a POS screen of the bound terminal
    page = till.get(path)
    assert page.status_code == 200
    assert f'href="/pin/?next={path}"' in page.content.decode()
    pin_page = till.get(f"/pin/?next={quote(path, safe='')}").content.decode()
    assert f'name="next" value="{path}"' in pin_page
    # when: the manager taps their name and types their PIN
    switched = till.post("/pin/", {"user_id": boss.pk, "pin": "666666", "next": path})
    # then: back on the same screen, as the manager
    assert switched.status_code == 302 and switched["Location"] == path
    assert int(till.session["_auth_user_id"]) == boss.pk
    again = till.get(path)
    assert again.status_code == 200
    assert "Manager" in again.content.decode()


def test_pin_switch_never_redirects_off_site(till, boss):
    response = till.post(
        "/pin/", {"user_id": boss.pk, "pin": "666666", "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response["Location"] == "/"


def test_wrong_pin_is_shown_in_french_and_keeps_the_user(till, cashier, boss):
    till.cookies["django_language"] = "fr"
    response = till.post("/pin/", {"user_id": boss.pk, "pin": "000000", "next": "/pos/counter/"})
    assert response.status_code == 403
    assert "Code PIN erroné." in response.content.decode()
    assert int(till.session["_auth_user_id"]) == cashier.pk


def test_sold_out_is_shown_in_french(till, hotel, product):
    # given: the 10:00 spa slot has 2 cabins, both in the basket
    till.cookies["django_language"] = "fr"
    massage = product("massage-60")
    for _ in range(2):
        till.post("/pos/counter/add/", {"product_id": massage.pk, "slot_time": "10:00"}, **HX)
    # when
    third = till.post("/pos/counter/add/", {"product_id": massage.pk, "slot_time": "10:00"}, **HX)
    # then
    assert third.status_code == 200
    assert "est complet" in third.content.decode()
    assert till.session[f"pos_cart:{hotel.pk}"]["lines"][0]["quantity"] == "2"


def test_not_in_house_is_shown_in_french(till, hotel, product):
    till.cookies["django_language"] = "fr"
    till.post("/pos/counter/add/", {"product_id": product("cafe").pk}, **HX)
    key = till.session[f"pos_cart:{hotel.pk}"]["client_key"]
    response = till.post(
        "/pos/counter/pay/", {"client_key": key, "action": "room", "room_number": "999"}, **HX
    )
    assert response.status_code == 200
    assert "La chambre 999 n’a pas de client en séjour." in response.content.decode()
    assert FolioLine.objects.count() == 0


def test_a_drawer_closed_twice_is_refused_on_screen_in_french(till):
    # given: two screens showed the closing form of the same drawer; the first closes it
    till.cookies["django_language"] = "fr"
    till.post("/pos/cash/open/", {"float": "100"})
    till.post("/pos/cash/close/", {"counted": "100"})
    closed = CashSession.objects.get()
    # when: the second screen submits its count
    second = till.post("/pos/cash/close/", {"counted": "90"}, follow=True)
    # then
    assert second.status_code == 200
    assert "Aucun tiroir n'est ouvert sur cette caisse." in unescape(second.content.decode())
    again = CashSession.objects.get()
    assert (again.status, again.counted_cash, again.difference) == (
        CashSession.Status.CLOSED,
        closed.counted_cash,
        closed.difference,
    )
