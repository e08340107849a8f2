"""The guest's phone and the staff's screens of QR ordering, through the test client: the
menu as the guest reads it, an order sent, the waiter's answer on the floor plan, the
kitchen display, the manager's codes and their sheet; bad input never a 500."""

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import Client

from billing.models import FolioLine
from inventory.models import Modifier, Product
from pos.models import GuestOrder, GuestOrderPoint, KitchenTicket
from pos.services.guest_orders import point_token

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def phone():
    client = Client()
    client.cookies["django_language"] = "en"
    return client


def _url(point) -> str:
    return f"/g/{point_token(point)}/"


def _key(page: str) -> str:
    return page.split('name="client_key" value="')[1].split('"')[0]


def test_the_table_menu_shows_prices_allergens_and_the_required_cooking(phone, table_point):
    page = phone.get(_url(table_point) + "?lang=en").content.decode()
    assert "Table 7" in page
    assert "Grilled rib-eye, fries" in page and "29.00" in page
    assert "Cooking" in page and "(required)" in page
    assert "Allergens: Mustard" in page
    french = phone.get(_url(table_point) + "?lang=fr").content.decode()
    assert "29,00" in french and "Cuisson" in french and "(obligatoire)" in french


def test_a_table_order_reaches_the_waiter_then_the_kitchen(
    phone, table_point, hotel, tablet, waiter
):
    url = _url(table_point)
    key = _key(phone.get(url + "?lang=en").content.decode())
    coca = Product.objects.get(property=hotel, code="coca")
    steak = Product.objects.get(property=hotel, code="entrecote")
    rare = Modifier.objects.get(group__name_fr="Cuisson", name_fr="Saignant")
    posted = {
        "client_key": key,
        f"qty-{coca.pk}": "2",
        f"qty-{steak.pk}": "1",
        f"mod-{steak.pk}-{rare.group_id}": str(rare.pk),
    }
    response = phone.post(url + "?lang=en", posted)
    order = GuestOrder.objects.get()
    assert response.status_code == 302 and str(order.public_id) in response["Location"]
    status = phone.get(response["Location"]).content.decode()
    assert 'data-progress="received"' in status and "38.00" in status
    # a flaky phone posts again: still one order
    assert phone.post(url + "?lang=en", posted).status_code == 302
    assert GuestOrder.objects.count() == 1

    floor = tablet.get("/pos/tables/").content.decode()
    assert f'data-testid="guest-order-{order.pk}"' in floor and "Table 7" in floor
    tablet.post(f"/pos/guest-orders/{order.pk}/accept/")
    kitchen = tablet.get("/pos/kitchen/kitchen/").content.decode()
    assert "Grilled rib-eye, fries" in kitchen and "Rare" in kitchen
    assert KitchenTicket.objects.filter(station="bar").exists()
    status = phone.get(response["Location"]).content.decode()
    assert 'data-progress="in_preparation"' in status


def test_bad_input_is_answered_not_crashed(phone, table_point, hotel):
    url = _url(table_point)
    steak = Product.objects.get(property=hotel, code="entrecote")
    no_cooking = phone.post(url, {"client_key": "x1", f"qty-{steak.pk}": "1"})
    assert no_cooking.status_code == 422
    assert "Choose Cooking for Grilled rib-eye, fries." in no_cooking.content.decode()
    nothing = phone.post(url, {"client_key": "x2", f"qty-{steak.pk}": "abc"})
    assert nothing.status_code == 422 and "Choose at least one item." in nothing.content.decode()
    assert phone.get("/g/forged:token/").status_code == 404
    assert not GuestOrder.objects.exists()


def test_a_room_order_after_the_surname_is_on_the_folio(phone, room_point, stay_12, hotel):
    url = _url(room_point)
    club = Product.objects.get(property=hotel, code="club-sandwich")
    page = phone.get(url + "?lang=en").content.decode()
    assert "Your surname or booking reference" in page
    wrong = phone.post(url, {"client_key": _key(page), f"qty-{club.pk}": "1", "confirm": "X"})
    assert wrong.status_code == 403
    assert "does not match the guest of room 12" in wrong.content.decode()
    right = phone.post(url, {"client_key": _key(page), f"qty-{club.pk}": "1", "confirm": "Dupont"})
    assert right.status_code == 302
    assert "Charged to room 12." in phone.get(right["Location"]).content.decode()
    assert FolioLine.objects.get().total == Decimal("16.00")


def test_the_manager_makes_prints_and_rotates_the_codes(client, manager, restaurant, hotel):
    client.force_login(manager)
    page = client.get("/manage/guest-ordering/").content.decode()
    assert "Table 7" in page
    point = GuestOrderPoint.objects.get(table__label="7")
    sheet = client.get(f"/manage/guest-ordering/outlets/{restaurant.pk}/sheet/").content.decode()
    assert sheet.count('data-testid="qr-card"') == 8 and "<svg" in sheet
    old = point_token(point)
    client.post(f"/manage/guest-ordering/codes/{point.pk}/rotate/")
    assert Client().get(f"/g/{old}/").status_code == 404
    client.post(
        f"/manage/guest-ordering/outlets/{restaurant.pk}/rules/",
        {"paused": "on", "max_open": "10", "opens_at": "", "kitchen_closes_at": "22:30"},
    )
    restaurant.refresh_from_db()
    assert restaurant.guest_orders_paused and restaurant.kitchen_closes_at.hour == 22
    bad = client.post(
        f"/manage/guest-ordering/outlets/{restaurant.pk}/rules/",
        {"max_open": "0", "kitchen_closes_at": "late"},
        follow=True,
    )
    assert "Enter the most open orders" in bad.content.decode()


def test_a_waiter_cannot_reach_the_managers_codes(tablet):
    assert tablet.get("/manage/guest-ordering/").status_code in (302, 403)


def test_a_warm_menu_costs_the_point_and_nothing_more(
    phone, table_point, room_point, django_assert_num_queries
):
    for point in (table_point, room_point):
        phone.get(_url(point))
    with django_assert_num_queries(1):  # the point: the menu comes from the cache
        assert "Grilled rib-eye, fries" in phone.get(_url(table_point)).content.decode()
    # + the stock left today (pools, their counts, stop-sells): the last brownie read live
    with django_assert_num_queries(4):
        assert "Brownie" in phone.get(_url(room_point)).content.decode()


def _dish(page, code: str) -> str:
    return page.split(f'data-testid="dish-{code}"')[1].split('data-testid="dish-')[0]


def test_a_cached_menu_shows_a_new_price_and_the_last_brownie_sold_at_once(
    phone, room_point, stay_12, hotel
):
    """The page is kept whole, yet the next view after a price change or the sale of the
    last one shows it: a change of the catalogue is a new token, the stock is read live."""
    from inventory.services.catalogue import product_save

    url = _url(room_point) + "?lang=en"
    club = Product.objects.get(property=hotel, code="club-sandwich")
    brownie = Product.objects.get(property=hotel, code="brownie")
    page = phone.get(url).content.decode()
    assert "16.00" in _dish(page, "club-sandwich")
    assert 'data-sold-out="1"' not in _dish(page, "brownie")
    assert phone.get(url).templates == []  # the cached page
    product_save(property=hotel, actor=None, product=club, fields={"price": Decimal("17.50")})
    repriced = phone.get(url).content.decode()
    assert "17.50" in _dish(repriced, "club-sandwich")
    assert "16.00" not in _dish(repriced, "club-sandwich")
    ordered = phone.post(
        url,
        {"client_key": _key(repriced), f"qty-{brownie.pk}": "1", "confirm": "Dupont"},
    )
    assert ordered.status_code == 302
    assert 'data-sold-out="1"' in _dish(phone.get(url).content.decode(), "brownie")


def test_a_cached_menu_still_refuses_a_rotated_or_forged_code(phone, table_point):
    from pos.services.guest_orders import guest_point_rotate

    old = _url(table_point)
    assert phone.get(old).status_code == 200
    assert phone.get(old).templates == []  # served from the cache
    assert phone.get(old.replace("/g/", "/g/x")).status_code == 404  # a wrong signature
    guest_point_rotate(point=table_point, actor=None)
    assert phone.get(old).status_code == 404
    assert phone.get(_url(table_point)).status_code == 200
    table_point.is_active = False
    table_point.save()
    assert phone.get(_url(table_point)).status_code == 404


def test_a_warm_menu_is_the_cached_page_with_each_phones_own_key_and_csrf_token(
    table_point, hotel, django_assert_num_queries
):
    """The whole page is kept per point, menu token, language and sold-out set: a warm view
    renders no template and reads only the point, yet each phone gets its own order key and
    a CSRF token its post is accepted with."""
    url = _url(table_point) + "?lang=en"
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    cold = first.get(url)
    assert "pos/guest/menu.html" in [t.name for t in cold.templates]
    with django_assert_num_queries(1):  # the point
        warm = second.get(url)
    assert warm.templates == []  # nothing rendered: the cached page
    page = warm.content.decode()
    assert "Grilled rib-eye, fries" in page and "__guest" not in page
    assert _key(page) != _key(cold.content.decode())
    csrf = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    coca = Product.objects.get(property=hotel, code="coca")
    posted = {"csrfmiddlewaretoken": csrf, "client_key": _key(page), f"qty-{coca.pk}": "1"}
    assert second.post(url, posted).status_code == 302
    assert GuestOrder.objects.get().client_key == _key(page)
    # the French page and a sold-out dish are other pages
    assert "29,00" in second.get(_url(table_point) + "?lang=fr").content.decode()
    from inventory.services.catalogue import product_sold_out_set

    product_sold_out_set(product=coca, by=None)
    again = second.get(url)
    assert again.templates  # built afresh
    dish = again.content.decode().split(f'data-testid="dish-{coca.code}"')[1][:40]
    assert 'data-sold-out="1"' in dish
