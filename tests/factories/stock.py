"""A bar with a store room, six ingredients and a mojito that uses all six."""

from decimal import Decimal

from inventory.models import (
    Product,
    StockItem,
    StockLevel,
    StockLocation,
    Supplier,
    SupplierItem,
)
from inventory.services.stock import recipe_line_save

# (code, name, base unit, cost per base unit, recipe quantity, recipe unit)
MOJITO = [
    ("rhum", "Rhum blanc", "ml", "0.020000", "5", "cl"),
    ("menthe", "Menthe fraîche", "g", "0.030000", "6", "g"),
    ("sirop", "Sirop de sucre", "ml", "0.004000", "2", "cl"),
    ("citron", "Citron vert", "piece", "0.250000", "0.5", "piece"),
    ("soda", "Eau gazeuse", "ml", "0.001000", "10", "cl"),
    ("glace", "Glace pilée", "g", "0.000500", "0.15", "kg"),
]


def make_bar_stock(property, terminal, *, levels: dict[str, str] | None = None) -> dict:
    """Locations (bar, store room), the mojito's six items with their cost, the mojito
    product with its recipe, the terminal's outlet selling from the bar. `levels`: the
    bar's opening quantity per item code (base units), written as levels without movements
    only where a test wants them (most tests receive stock through the services)."""
    bar = StockLocation.objects.create(property=property, code="bar", name="Bar", kind="bar")
    store = StockLocation.objects.create(
        property=property, code="reserve", name="Réserve", kind="store"
    )
    mojito = Product.objects.create(
        property=property,
        code="mojito",
        name_fr="Mojito",
        name_en="Mojito",
        price=Decimal("12.00"),
        vat_rate=Decimal("20.00"),
        revenue_category="alcohol",
    )
    items = {}
    for code, name, unit, cost, quantity, recipe_unit in MOJITO:
        item = StockItem.objects.create(
            property=property, code=code, name=name, base_unit=unit, average_cost=Decimal(cost)
        )
        items[code] = item
        recipe_line_save(product=mojito, item=item, quantity=Decimal(quantity), unit=recipe_unit)
    for code, quantity in (levels or {}).items():
        StockLevel.objects.create(
            property=property, item=items[code], location=bar, quantity=Decimal(quantity)
        )
    outlet = terminal.outlet
    outlet.stock_location = bar
    outlet.save(update_fields=["stock_location"])
    terminal.outlet.refresh_from_db()
    supplier = Supplier.objects.create(
        property=property, name="Cave du Port", email="commandes@cave.test", lead_time_days=2
    )
    offers = {
        "rhum": SupplierItem.objects.create(
            supplier=supplier,
            item=items["rhum"],
            pack_label="Bouteille 70 cl",
            pack_size=Decimal("700"),
            pack_price=Decimal("14.00"),
        ),
        "menthe": SupplierItem.objects.create(
            supplier=supplier,
            item=items["menthe"],
            pack_label="Botte 100 g",
            pack_size=Decimal("100"),
            pack_price=Decimal("3.00"),
        ),
    }
    return {
        "bar": bar,
        "store": store,
        "mojito": mojito,
        "items": items,
        "supplier": supplier,
        "offers": offers,
    }


def make_stock_to_count(property) -> dict:
    """make_bar_stock with something on the shelves to count: the bar holds 1,400 ml of rum
    and 300 g of mint, the store room 7,000 ml of rum (received through the ledger)."""
    from django.db import transaction

    from inventory.services.stock import Move, stock_apply
    from tests.factories.pos import make_terminal

    stock = make_bar_stock(property, make_terminal(property))
    rum, mint = stock["items"]["rhum"], stock["items"]["menthe"]
    with transaction.atomic():
        stock_apply(
            property=property,
            moves=[
                Move(rum.pk, stock["bar"].pk, Decimal("1400"), "receipt"),
                Move(mint.pk, stock["bar"].pk, Decimal("300"), "receipt"),
                Move(rum.pk, stock["store"].pk, Decimal("7000"), "receipt"),
            ],
        )
    return stock
