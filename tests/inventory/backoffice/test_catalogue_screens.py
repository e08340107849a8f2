"""The manager's catalogue screens: a product created with a required cooking group and its
allergens, put on the restaurant's menu; the one-tap 86; bad input shown with nothing
saved; other roles refused, another property's rows not found; list screens in a fixed
number of queries."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import AuditEntry, Role
from inventory.models import Category, ModifierGroup, Price, Product, RatePlan
from pos.models import Outlet

pytestmark = pytest.mark.django_db

PRODUCT = {
    "name_fr": "Onglet de bœuf",
    "name_en": "Hanger steak",
    "code": "onglet",
    "price": "24,00",
    "vat_rate": "10.00",
    "revenue_category": "food",
    "allergens": ["mustard", "sulphites"],
    "is_active": "on",
    "default_course": "2",
}


def test_a_manager_creates_a_product_and_puts_it_on_the_menu(client, outlets, hotel, manager):
    client.force_login(manager)
    plats = Category.objects.get(property=hotel, name_fr="Plats")
    web = RatePlan.objects.get(property=hotel, code="web")
    response = client.post(
        "/manage/catalogue/products/new/",
        {**PRODUCT, "category": plats.pk, f"price_{web.pk}": "22,50"},
        follow=True,
    )
    assert response.status_code == 200
    assert "“Hanger steak” saved." in response.content.decode()
    steak = Product.objects.get(property=hotel, code="onglet")
    assert steak.price == Decimal("24.00") and steak.allergens == ["mustard", "sulphites"]
    assert steak.default_course == 2
    assert Price.objects.get(product=steak, rate_plan=web).price == Decimal("22.50")

    response = client.post(
        "/manage/catalogue/groups/",
        {
            "name_fr": "Cuisson onglet",
            "name_en": "Steak cooking",
            "min_choices": 1,
            "max_choices": 1,
            "products": [steak.pk],
        },
        follow=True,
    )
    group = ModifierGroup.objects.get(name_fr="Cuisson onglet")
    assert list(group.products.all()) == [steak]
    client.post(f"/manage/catalogue/groups/{group.pk}/options/", {"name_fr": "Saignant"})
    assert [m.name_fr for m in group.modifiers.all()] == ["Saignant"]

    restaurant = Outlet.objects.get(property=hotel, code="restaurant")
    client.post(
        f"/manage/catalogue/outlets/{restaurant.pk}/",
        {"categories": [plats.pk], "quick_keys": [steak.pk]},
    )
    assert list(restaurant.categories.all()) == [plats]
    page = client.get("/manage/catalogue/").content.decode()
    assert "Hanger steak" in page and "Mustard, Sulphur dioxide and sulphites" in page
    assert "€24.00" in page
    assert "Steak cooking" in page  # the required group shown beside the dish


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"price": "-2"}, "A price cannot be negative."),
        ({"ean13": "1234567890123"}, "wrong check digit"),
        ({"allergens": ["tomato"]}, "Select a valid choice"),
    ],
)
def test_bad_input_is_shown_and_nothing_saved(client, catalog, hotel, manager, change, message):
    client.force_login(manager)
    response = client.post("/manage/catalogue/products/new/", {**PRODUCT, **change})
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Product.objects.filter(code="onglet").exists()
    assert not AuditEntry.objects.filter(action__startswith="inventory.product").exists()


def test_a_duplicate_barcode_is_refused_on_screen(client, catalog, hotel, manager, product):
    client.force_login(manager)
    taken = product("panier-gourmand").ean13
    response = client.post("/manage/catalogue/products/new/", {**PRODUCT, "ean13": taken})
    assert response.status_code == 422
    assert f"The barcode {taken} is already used by another product." in response.content.decode()
    assert not Product.objects.filter(code="onglet").exists()


def test_a_negative_rate_plan_price_saves_nothing(client, catalog, hotel, manager):
    client.force_login(manager)
    web = RatePlan.objects.get(property=hotel, code="web")
    response = client.post("/manage/catalogue/products/new/", {**PRODUCT, f"price_{web.pk}": "-5"})
    assert response.status_code == 422
    assert not Product.objects.filter(code="onglet").exists()


def test_min_above_max_is_refused_on_screen(client, catalog, hotel, manager):
    client.force_login(manager)
    before = ModifierGroup.objects.count()
    response = client.post(
        "/manage/catalogue/groups/", {"name_fr": "Sauces", "min_choices": 3, "max_choices": 1}
    )
    assert response.status_code == 422
    assert "The minimum number of choices (3) is more than the maximum (1)." in (
        response.content.decode()
    )
    assert ModifierGroup.objects.count() == before


def test_the_one_tap_86_and_back(client, catalog, hotel, manager, product):
    client.force_login(manager)
    steak = product("entrecote")
    response = client.post(f"/manage/catalogue/products/{steak.pk}/sold-out/", follow=True)
    assert "is sold out until the end of the service." in response.content.decode()
    assert 'data-testid="sold-out-clear"' in response.content.decode()
    steak.refresh_from_db()
    assert steak.sold_out_until is not None
    client.post(f"/manage/catalogue/products/{steak.pk}/sold-out/", {"action": "clear"})
    steak.refresh_from_db()
    assert steak.sold_out_until is None


def test_other_roles_are_refused_and_other_propertys_rows_not_found(
    client, catalog, hotel, other_hotel, staff_of, product
):
    waiter = staff_of(hotel, Role.WAITER, username="w1")
    client.force_login(waiter)
    assert client.get("/manage/catalogue/").status_code == 403
    assert (
        client.post(f"/manage/catalogue/products/{product('entrecote').pk}/sold-out/").status_code
        == 403
    )
    other_manager = staff_of(other_hotel, Role.MANAGER, username="m2")
    client.force_login(other_manager)
    steak = product("entrecote")
    assert client.get(f"/manage/catalogue/products/{steak.pk}/").status_code == 404
    assert client.post(f"/manage/catalogue/products/{steak.pk}/sold-out/").status_code == 404
    assert client.post(f"/manage/catalogue/products/{steak.pk}/", PRODUCT).status_code == 404
    group = ModifierGroup.objects.get(property=hotel, name_fr="Cuisson")
    assert (
        client.post(f"/manage/catalogue/groups/{group.pk}/options/", {"name_fr": "X"}).status_code
        == 404
    )
    steak.refresh_from_db()
    assert steak.sold_out_until is None and group.modifiers.count() == 4
    assert "Entrecôte" not in client.get("/manage/catalogue/").content.decode()


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_list_screens_do_not_grow_with_the_catalogue(client, outlets, hotel, manager, product):
    client.force_login(manager)
    urls = [
        "/manage/catalogue/",
        "/manage/catalogue/groups/",
        "/manage/catalogue/outlets/",
        "/manage/promotions/",
    ]
    _queries(client, urls[0])  # warm the session and the caches
    before = {url: _queries(client, url) for url in urls}
    plats = Category.objects.get(property=hotel, name_fr="Plats")
    for i in range(5):
        p = Product.objects.create(
            property=hotel,
            category=plats,
            code=f"plat-{i}",
            name_fr=f"Plat {i}",
            price=Decimal("10"),
            vat_rate=Decimal("10"),
            revenue_category="food",
        )
        ModifierGroup.objects.get(property=hotel, name_fr="Cuisson").products.add(p)
    after = {url: _queries(client, url) for url in urls}
    assert after == before
