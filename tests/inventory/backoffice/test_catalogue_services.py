"""The catalogue's writes: a product with allergens, a barcode and prices per rate plan; a
required cooking group; the 86 until the end of the service; bad input refused with nothing
saved; every change audited with its model, object and before → after."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from core.exceptions import InvalidInput
from core.models import AuditEntry
from inventory.catalog_cache import catalog_version
from inventory.exceptions import ChoiceRequired, ProductSoldOut
from inventory.models import Category, ModifierGroup, Price, Product, RatePlan
from inventory.services.catalogue import (
    category_save,
    end_of_service,
    modifier_group_save,
    modifier_save,
    product_line_check,
    product_prices_set,
    product_save,
    product_sold_out_clear,
    product_sold_out_set,
    variant_save,
)

pytestmark = pytest.mark.django_db

STEAK = {
    "code": "onglet",
    "name_fr": "Onglet de bœuf",
    "name_en": "Hanger steak",
    "price": Decimal("24.00"),
    "vat_rate": Decimal("10.00"),
    "revenue_category": "food",
    "allergens": ["mustard", "sulphites"],
    "ean13": "",
}


@pytest.fixture
def plats(hotel, manager):
    return category_save(property=hotel, actor=manager, fields={"name_fr": "Plats"})


def _steak(hotel, manager, plats, **extra):
    return product_save(
        property=hotel, actor=manager, fields={**STEAK, "category_id": plats.pk, **extra}
    )


def test_a_product_is_created_with_its_allergens_and_audited(hotel, manager, plats):
    steak = _steak(hotel, manager, plats)
    steak.refresh_from_db()
    assert steak.allergens == ["mustard", "sulphites"]
    assert steak.category == plats
    entry = AuditEntry.objects.get(action="inventory.product.created")
    assert entry.actor == manager and entry.property == hotel
    assert entry.data["model"] == "inventory.product"
    assert entry.data["object_id"] == steak.pk
    assert entry.data["after"]["price"] == "24.00"
    assert entry.data["before"] == {}


def test_a_change_is_audited_before_and_after(hotel, manager, plats):
    steak = _steak(hotel, manager, plats)
    product_save(property=hotel, actor=manager, product=steak, fields={"price": Decimal("26.50")})
    entry = AuditEntry.objects.get(action="inventory.product.updated")
    assert entry.data["before"] == {"price": "24.00"}
    assert entry.data["after"] == {"price": "26.50"}


def test_a_save_drops_the_catalogue_token(hotel, manager, plats):
    before = catalog_version(property_id=hotel.pk)
    _steak(hotel, manager, plats)
    assert catalog_version(property_id=hotel.pk) != before


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"price": Decimal("-1.00")}, "A price cannot be negative."),
        ({"allergens": ["gluten", "tomato"]}, "Choose allergens from the 14 regulated ones."),
        ({"ean13": "1234567890123"}, "This EAN-13 barcode has a wrong check digit."),
        ({"ean13": "12345"}, "An EAN-13 barcode has 13 digits."),
    ],
)
def test_bad_input_is_refused_and_nothing_is_saved(hotel, manager, plats, extra, message):
    with pytest.raises(InvalidInput) as exc:
        _steak(hotel, manager, plats, **extra)
    assert str(exc.value.message) == message
    assert not Product.objects.filter(code="onglet").exists()
    assert not AuditEntry.objects.filter(action="inventory.product.created").exists()


def test_a_duplicate_barcode_is_refused(hotel, manager, plats):
    _steak(hotel, manager, plats, ean13="3760000000017")
    with pytest.raises(InvalidInput) as exc:
        _steak(hotel, manager, plats, code="bavette", ean13="3760000000017")
    assert "already used" in str(exc.value.message)
    assert list(Product.objects.values_list("code", flat=True)) == ["onglet"]
    steak = Product.objects.get(code="onglet")
    with pytest.raises(InvalidInput):
        variant_save(
            product=steak, actor=manager, fields={"name_fr": "XL", "ean13": "3760000000017"}
        )
    assert not steak.variants.exists()


def test_a_duplicate_code_is_refused(hotel, manager, plats):
    _steak(hotel, manager, plats)
    with pytest.raises(InvalidInput):
        _steak(hotel, manager, plats)
    assert Product.objects.filter(code="onglet").count() == 1


def test_prices_per_rate_plan_are_set_and_removed(hotel, manager, plats):
    steak = _steak(hotel, manager, plats)
    web = RatePlan.objects.create(property=hotel, code="web", name_fr="Web", priority=5)
    product_prices_set(product=steak, actor=manager, prices={web.pk: Decimal("22.00")})
    assert Price.objects.get(product=steak, rate_plan=web).price == Decimal("22.00")
    with pytest.raises(InvalidInput):
        product_prices_set(product=steak, actor=manager, prices={web.pk: Decimal("-3")})
    assert Price.objects.get(product=steak, rate_plan=web).price == Decimal("22.00")
    product_prices_set(product=steak, actor=manager, prices={web.pk: None})
    assert not Price.objects.filter(product=steak).exists()
    entries = AuditEntry.objects.filter(action="inventory.product.prices_set").order_by("pk")
    assert [e.data["after"] for e in entries] == [{"web": "22.00"}, {}]


def test_a_required_group_needs_its_choice(hotel, manager, plats):
    steak = _steak(hotel, manager, plats)
    cooking = modifier_group_save(
        property=hotel,
        actor=manager,
        fields={"name_fr": "Cuisson", "name_en": "Cooking", "min_choices": 1, "max_choices": 1},
        product_ids=[steak.pk],
    )
    rare = modifier_save(group=cooking, actor=manager, fields={"name_fr": "Saignant"})
    with pytest.raises(ChoiceRequired) as exc:
        product_line_check(product=steak, modifier_ids=[])
    assert str(exc.value.message) == "Choose Cooking for Hanger steak."
    product_line_check(product=steak, modifier_ids=[rare.pk])  # no error


def test_min_above_max_is_refused(hotel, manager):
    with pytest.raises(InvalidInput) as exc:
        modifier_group_save(
            property=hotel,
            actor=manager,
            fields={"name_fr": "Sauces", "min_choices": 3, "max_choices": 2},
        )
    assert "more than the maximum" in str(exc.value.message)
    assert not ModifierGroup.objects.exists()


def test_a_group_cannot_take_another_propertys_product(hotel, other_hotel, manager):
    cat = Category.objects.create(property=other_hotel, name_fr="Ailleurs")
    theirs = Product.objects.create(
        property=other_hotel,
        category=cat,
        code="x",
        name_fr="X",
        price=1,
        vat_rate=10,
        revenue_category="food",
    )
    with pytest.raises(InvalidInput):
        modifier_group_save(
            property=hotel, actor=manager, fields={"name_fr": "G"}, product_ids=[theirs.pk]
        )
    assert not ModifierGroup.objects.exists()


def test_86_lasts_until_the_business_day_cut_off(hotel, manager, plats):
    hotel.business_day_roll_hour = 4
    hotel.timezone = "Europe/Paris"
    hotel.save()
    paris = ZoneInfo("Europe/Paris")
    evening = datetime(2026, 7, 10, 21, 30, tzinfo=paris)
    assert end_of_service(hotel, at=evening) == datetime(2026, 7, 11, 4, 0, tzinfo=paris)
    after_midnight = datetime(2026, 7, 11, 1, 15, tzinfo=paris)
    assert end_of_service(hotel, at=after_midnight) == datetime(2026, 7, 11, 4, 0, tzinfo=paris)


def test_an_86d_dish_is_not_sellable_until_cleared(hotel, manager, plats):
    steak = _steak(hotel, manager, plats)
    token = catalog_version(property_id=hotel.pk)
    product_sold_out_set(product=steak, by=manager)
    assert catalog_version(property_id=hotel.pk) != token
    steak.refresh_from_db()
    assert steak.sold_out_until > timezone.now()
    with pytest.raises(ProductSoldOut):
        product_line_check(product=steak)
    product_sold_out_clear(product=steak, by=manager)
    steak.refresh_from_db()
    assert steak.sold_out_until is None
    product_line_check(product=steak)
    actions = list(
        AuditEntry.objects.filter(target_id=str(steak.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "inventory.product.created",
        "inventory.product.sold_out",
        "inventory.product.back_on_sale",
    ]


def test_an_86_in_the_past_is_refused(hotel, manager, plats):
    steak = _steak(hotel, manager, plats)
    with pytest.raises(InvalidInput):
        product_sold_out_set(product=steak, by=manager, until=timezone.now() - timedelta(hours=1))
    steak.refresh_from_db()
    assert steak.sold_out_until is None
