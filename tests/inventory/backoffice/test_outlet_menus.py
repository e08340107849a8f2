"""An outlet's menu and quick keys: set by the manager, audited, and the cached menus drop
at once (the m2m change bumps the catalogue token)."""

import pytest

from core.exceptions import InvalidInput
from core.models import AuditEntry
from inventory.catalog_cache import catalog_version
from inventory.models import Category, ModifierGroup
from pos.models import Outlet
from pos.services.menus import outlet_menu_set

pytestmark = pytest.mark.django_db


def test_the_restaurant_shows_its_menu_and_the_token_drops(outlets, hotel, manager, product):
    restaurant = Outlet.objects.get(property=hotel, code="restaurant")
    plats = Category.objects.get(property=hotel, name_fr="Plats")
    token = catalog_version(property_id=hotel.pk)
    outlet_menu_set(
        outlet=restaurant,
        actor=manager,
        category_ids=[plats.pk],
        quick_key_ids=[product("entrecote").pk],
    )
    assert catalog_version(property_id=hotel.pk) != token
    assert list(restaurant.categories.all()) == [plats]
    assert list(restaurant.quick_keys.all()) == [product("entrecote")]
    entry = AuditEntry.objects.get(action="pos.outlet.menu_set")
    assert entry.data["model"] == "pos.outlet"
    assert entry.data["after"] == {
        "categories": [plats.pk],
        "quick_keys": [product("entrecote").pk],
    }


def test_an_m2m_change_from_either_side_drops_the_token(outlets, hotel, product):
    restaurant = Outlet.objects.get(property=hotel, code="restaurant")
    token = catalog_version(property_id=hotel.pk)
    product("cafe").quick_key_outlets.add(restaurant)
    second = catalog_version(property_id=hotel.pk)
    assert second != token
    ModifierGroup.objects.get(property=hotel, name_fr="Cuisson").products.add(product("loup"))
    assert catalog_version(property_id=hotel.pk) != second


def test_another_propertys_category_is_refused(outlets, hotel, other_hotel, manager):
    restaurant = Outlet.objects.get(property=hotel, code="restaurant")
    before = set(restaurant.categories.values_list("pk", flat=True))
    theirs = Category.objects.create(property=other_hotel, name_fr="Ailleurs")
    with pytest.raises(InvalidInput):
        outlet_menu_set(
            outlet=restaurant, actor=manager, category_ids=[theirs.pk], quick_key_ids=[]
        )
    assert set(restaurant.categories.values_list("pk", flat=True)) == before
