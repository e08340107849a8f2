"""The waiter's menu, and its dishes one by one: a tap that adds a dish or pays a tab reads
its own few dishes from the cache, and any change to the catalogue is seen at the next tap."""

import pytest
from django.core.cache import cache

from inventory.catalog_cache import catalog_version
from pos.selectors import _menu_product_key, table_menu, table_menu_products

pytestmark = pytest.mark.django_db


def test_a_dish_of_the_menu_is_read_alone_and_without_a_query(
    hotel, catalog, product, django_assert_num_queries
):
    rib_eye, beer = product("entrecote"), product("biere")
    table_menu(property=hotel)  # built once, by the first tab page of the day
    with django_assert_num_queries(0):
        dishes = table_menu_products(property=hotel, ids=[rib_eye.pk, beer.pk])
    assert set(dishes) == {rib_eye.pk, beer.pk}
    assert dishes[rib_eye.pk].name_en == rib_eye.name_en
    assert dishes[rib_eye.pk].price == rib_eye.price


def test_a_dish_not_on_the_menu_is_left_out(hotel, catalog, product):
    basket = product("panier-gourmand")  # sold with capacity, at the counter only
    rib_eye = product("entrecote")
    dishes = table_menu_products(property=hotel, ids=[basket.pk, rib_eye.pk, 999_999])
    assert set(dishes) == {rib_eye.pk}


def test_an_evicted_dish_is_read_from_the_menu_and_kept_again(hotel, catalog, product):
    rib_eye = product("entrecote")
    table_menu(property=hotel)
    key = _menu_product_key(hotel.pk, catalog_version(property_id=hotel.pk), rib_eye.pk)
    cache.delete(key)
    assert table_menu_products(property=hotel, ids=[rib_eye.pk])[rib_eye.pk].pk == rib_eye.pk
    assert cache.get(key).pk == rib_eye.pk


def test_a_dish_taken_off_or_repriced_is_seen_at_the_next_tap(hotel, catalog, product):
    rib_eye, beer = product("entrecote"), product("biere")
    assert set(table_menu_products(property=hotel, ids=[rib_eye.pk, beer.pk])) == {
        rib_eye.pk,
        beer.pk,
    }
    beer.is_active = False
    beer.save()
    rib_eye.name_en = "Rib-eye, 300 g"
    rib_eye.save()
    dishes = table_menu_products(property=hotel, ids=[rib_eye.pk, beer.pk])
    assert set(dishes) == {rib_eye.pk}
    assert dishes[rib_eye.pk].name_en == "Rib-eye, 300 g"


def test_the_menu_of_another_property_has_none_of_these_dishes(
    hotel, other_hotel, catalog, product
):
    rib_eye = product("entrecote")
    assert table_menu_products(property=other_hotel, ids=[rib_eye.pk]) == {}
