"""Stock master data on screen (/manage/stock/…): locations, items with their reorder points,
suppliers with their packs, recipes — scoped to the property, audited before → after on the
history page, bad input refused in French with nothing saved, list screens in a constant
number of queries."""

from decimal import Decimal

import pytest
from django.db import transaction

from core.models import AuditEntry
from inventory.models import (
    RecipeLine,
    StockItem,
    StockLevel,
    StockLocation,
    Supplier,
    SupplierItem,
)
from inventory.services.stock import Move, stock_apply
from tests.factories.pos import make_terminal
from tests.factories.stock import make_bar_stock


@pytest.fixture
def fr(client, manager):
    client.force_login(manager)
    client.cookies["django_language"] = "fr"
    return client


@pytest.fixture
def stock(hotel):
    return make_bar_stock(hotel, make_terminal(hotel))


def test_locations_created_changed_audited_and_duplicates_refused(fr, hotel, other_hotel):
    created = fr.post(
        "/manage/stock/locations/",
        {"name": "Minibar 101", "code": "minibar-101", "kind": "minibar", "is_active": "on"},
    )
    location = StockLocation.objects.get(code="minibar-101")
    assert created.url == f"/manage/stock/locations/{location.pk}/"
    duplicate = fr.post(
        "/manage/stock/locations/", {"name": "Autre", "code": "minibar-101", "kind": "bar"}
    )
    assert duplicate.status_code == 422
    assert "Le code « minibar-101 » est déjà utilisé" in duplicate.content.decode()
    assert StockLocation.objects.filter(property=hotel).count() == 1
    fr.post(
        f"/manage/stock/locations/{location.pk}/",
        {"name": "Minibar chambre 101", "code": "minibar-101", "kind": "minibar"},
    )
    location.refresh_from_db()
    assert (location.name, location.is_active) == ("Minibar chambre 101", False)
    entry = AuditEntry.objects.filter(action="inventory.stock_location.updated").get()
    assert entry.data["before"] == {"name": "Minibar 101", "is_active": True}
    assert entry.data["after"] == {"name": "Minibar chambre 101", "is_active": False}
    history = fr.get("/manage/history/?model=inventory.stocklocation").content.decode()
    assert "Minibar 101" in history and "Minibar chambre 101" in history
    page = fr.get("/manage/stock/locations/").content.decode()
    assert "Minibar chambre 101" in page and "Emplacements de stock" in page
    elsewhere = StockLocation.objects.create(property=other_hotel, code="x", name="X", kind="bar")
    assert fr.get(f"/manage/stock/locations/{elsewhere.pk}/").status_code == 404
    assert fr.post(f"/manage/stock/locations/{elsewhere.pk}/", {"name": "Y"}).status_code == 404


def test_items_barcode_cost_unit_and_reorder_points(fr, hotel, stock):
    rum, bar, store = stock["items"]["rhum"], stock["bar"], stock["store"]
    fr.post(
        "/manage/stock/items/",
        {
            "name": "Gin",
            "code": "gin",
            "base_unit": "ml",
            "barcode": "3000000000017",
            "average_cost": "0,03",
            "is_active": "on",
        },
    )
    gin = StockItem.objects.get(code="gin")
    assert (gin.barcode, gin.average_cost) == ("3000000000017", Decimal("0.03"))
    taken = fr.post(
        "/manage/stock/items/",
        {
            "name": "Vodka",
            "code": "vodka",
            "base_unit": "ml",
            "barcode": "3000000000017",
            "average_cost": "0",
        },
    )
    assert taken.status_code == 422
    assert "Le code-barres 3000000000017 est déjà utilisé" in taken.content.decode()
    negative = fr.post(
        "/manage/stock/items/",
        {"name": "Vodka", "code": "vodka", "base_unit": "ml", "average_cost": "-1"},
    )
    assert negative.status_code == 422 and "Le coût ne peut pas être négatif" in (
        negative.content.decode()
    )
    assert not StockItem.objects.filter(code="vodka").exists()
    # rum is in the mojito's recipe: its unit stays ml
    unit = fr.post(
        f"/manage/stock/items/{rum.pk}/",
        {
            "name": "Rhum blanc",
            "code": "rhum",
            "base_unit": "g",
            "average_cost": "0.02",
            "is_active": "on",
        },
    )
    assert unit.status_code == 422 and "son unité ne peut pas changer" in unit.content.decode()
    rum.refresh_from_db()
    assert rum.base_unit == "ml"

    page = fr.get(f"/manage/stock/items/{rum.pk}/").content.decode()
    assert f'name="reorder_{store.pk}"' in page
    bad = fr.post(
        f"/manage/stock/items/{rum.pk}/levels/",
        {f"reorder_{bar.pk}": "1400", f"par_{bar.pk}": "700"},
        follow=True,
    )
    assert "Le niveau de référence ne peut pas être inférieur au seuil" in bad.content.decode()
    assert not StockLevel.objects.filter(item=rum).exists()
    fr.post(
        f"/manage/stock/items/{rum.pk}/levels/",
        {
            f"reorder_{bar.pk}": "1400",
            f"par_{bar.pk}": "2800",
            f"reorder_{store.pk}": "",
            f"par_{store.pk}": "",
        },
    )
    level = StockLevel.objects.get(item=rum, location=bar)
    assert (level.quantity, level.reorder_point, level.par_level) == (0, 1400, 2800)
    entry = AuditEntry.objects.get(action="inventory.stock_level.updated")
    assert entry.data["after"] == {"reorder_point": "1400.00", "par_level": "2800.00"}
    negative = fr.post(
        f"/manage/stock/items/{rum.pk}/levels/", {f"reorder_{bar.pk}": "-5"}, follow=True
    )
    assert "ne peut pas être négatif" in negative.content.decode()


def test_suppliers_and_their_packs(fr, hotel, other_hotel, stock):
    gin = StockItem.objects.create(property=hotel, code="gin", name="Gin", base_unit="ml")
    fr.post(
        "/manage/stock/suppliers/",
        {
            "name": "Brasserie du Lac",
            "email": "lac@example.test",
            "lead_time_days": "3",
            "is_active": "on",
        },
    )
    supplier = Supplier.objects.get(name="Brasserie du Lac")
    same = fr.post("/manage/stock/suppliers/", {"name": "brasserie du lac", "lead_time_days": 1})
    assert same.status_code == 422 and "existe déjà" in same.content.decode()
    url = f"/manage/stock/suppliers/{supplier.pk}/packs/"
    fr.post(
        url,
        {
            "item": gin.pk,
            "pack_label": "Bouteille 70 cl",
            "pack_size": "700",
            "pack_price": "18,50",
        },
    )
    offer = SupplierItem.objects.get(supplier=supplier)
    assert (offer.pack_size, offer.pack_price) == (Decimal("700"), Decimal("18.50"))
    twice = fr.post(
        url,
        {"item": gin.pk, "pack_label": "Carton", "pack_size": "4200", "pack_price": "99"},
        follow=True,
    )
    assert "vend déjà Gin" in twice.content.decode()
    empty = fr.post(
        f"{url}{offer.pk}/",
        {"item": gin.pk, "pack_label": "Vide", "pack_size": "0", "pack_price": "1"},
        follow=True,
    )
    assert "Un conditionnement contient plus de zéro unité" in empty.content.decode()
    fr.post(
        f"{url}{offer.pk}/",
        {"item": gin.pk, "pack_label": "Bouteille 70 cl", "pack_size": "700", "pack_price": "19"},
    )
    offer.refresh_from_db()
    assert offer.pack_price == Decimal("19.00")
    assert AuditEntry.objects.get(action="inventory.supplier_item.updated").data["before"] == {
        "pack_price": "18.50"
    }
    page = fr.get(f"/manage/stock/suppliers/{supplier.pk}/").content.decode()
    assert "Bouteille 70 cl" in page and "3 jours" in page
    fr.post(f"{url}{offer.pk}/", {"action": "delete"})
    assert not SupplierItem.objects.filter(supplier=supplier).exists()
    theirs = Supplier.objects.create(property=other_hotel, name="Ailleurs")
    assert fr.get(f"/manage/stock/suppliers/{theirs.pk}/").status_code == 404
    assert fr.post(f"/manage/stock/suppliers/{theirs.pk}/packs/", {}).status_code == 404


def test_recipe_ingredients_units_checked_and_audited(fr, hotel, stock):
    mojito, rum, mint = stock["mojito"], stock["items"]["rhum"], stock["items"]["menthe"]
    url = f"/manage/stock/recipes/{mojito.pk}/"
    page = fr.get(url).content.decode()
    assert "Rhum blanc" in page and "1,56" in page  # the theoretical cost of the mojito
    grams = fr.post(
        url,
        {"action": "change", "item": rum.pk, "quantity": "5", "unit": "g", "yield_percent": "100"},
    )
    assert grams.status_code == 422
    assert "ne peut pas être converti" in grams.content.decode()
    again = fr.post(
        url,
        {"action": "add", "item": rum.pk, "quantity": "4", "unit": "cl", "yield_percent": "100"},
    )
    assert again.status_code == 422 and "déjà dans la recette" in again.content.decode()
    negative = fr.post(
        url,
        {
            "action": "change",
            "item": mint.pk,
            "quantity": "-2",
            "unit": "g",
            "yield_percent": "100",
        },
    )
    assert negative.status_code == 422
    assert RecipeLine.objects.get(product=mojito, item=rum).quantity == Decimal("5")
    fr.post(
        url,
        {"action": "change", "item": rum.pk, "quantity": "6", "unit": "cl", "yield_percent": "100"},
    )
    assert RecipeLine.objects.get(product=mojito, item=rum).quantity == Decimal("6")
    entry = AuditEntry.objects.get(action="inventory.recipe_line.updated")
    assert (entry.data["before"], entry.data["after"]) == (
        {"quantity": "5.00"},
        {"quantity": "6.00"},
    )
    fr.post(url, {"action": "delete", "item": mint.pk})
    assert not RecipeLine.objects.filter(product=mojito, item=mint).exists()
    assert AuditEntry.objects.filter(action="inventory.recipe_line.deleted").count() == 1
    listing = fr.get("/manage/stock/recipes/").content.decode()
    assert "Mojito" in listing


def test_stock_screens_reachable_and_lists_in_constant_queries(
    fr, hotel, stock, django_assert_max_num_queries
):
    nav = fr.get("/manage/stock/").content.decode()
    for url in (
        "/manage/stock/items/",
        "/manage/stock/locations/",
        "/manage/stock/suppliers/",
        "/manage/stock/recipes/",
    ):
        assert f'href="{url}"' in nav
    with transaction.atomic():
        stock_apply(
            property=hotel,
            moves=[
                Move(i.pk, stock["bar"].pk, Decimal("100"), "receipt")
                for i in stock["items"].values()
            ],
        )
    for url in (
        "/manage/stock/items/",
        "/manage/stock/locations/",
        "/manage/stock/suppliers/",
        "/manage/stock/recipes/",
    ):
        fr.get(url)  # warm the session and menus
        with django_assert_max_num_queries(14):
            assert fr.get(url).status_code == 200
    for n in range(20):
        StockItem.objects.create(
            property=hotel, code=f"extra-{n}", name=f"Extra {n}", base_unit="piece"
        )
        Supplier.objects.create(property=hotel, name=f"Fournisseur {n}")
    for url in ("/manage/stock/items/", "/manage/stock/suppliers/"):
        with django_assert_max_num_queries(14):
            assert fr.get(url).status_code == 200
