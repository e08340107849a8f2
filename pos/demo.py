"""Demo outlets and terminals of Hôtel Les Pins. Idempotent: outlets by code, terminals by
(outlet, name)."""

from datetime import time
from decimal import Decimal

from devices.models import Printer
from inventory.models import Category, Product, RevenueCategory
from pos.models import GuestOrderPoint, Outlet, StationPrinter, Table, Terminal
from pos.terminal_cache import terminals_changed

# code, name, kind, terminals
OUTLETS = [
    ("bar-piscine", "Bar de la Piscine", Outlet.Kind.BAR, ["Comptoir", "Tablette terrasse"]),
    ("restaurant", "Restaurant La Pinède", Outlet.Kind.RESTAURANT, ["Caisse", "Tablette salle"]),
    ("spa", "Spa Les Pins", Outlet.Kind.SPA, ["Accueil spa"]),
    ("boutique", "Boutique", Outlet.Kind.SHOP, ["Caisse boutique"]),
    ("reception", "Réception", Outlet.Kind.RECEPTION, ["Comptoir réception"]),
    ("piscine", "Piscine", Outlet.Kind.POOL, ["Entrée piscine"]),
]


# the shop's bakery corner, ordered ahead on its click-and-collect page:
# code, French name, English name, price (bread to take away: 5.5 % VAT)
BAKERY = [
    ("pain-campagne", "Pain de campagne", "Country loaf", "4.20"),
    ("fougasse-olives", "Fougasse aux olives", "Olive fougasse", "5.50"),
]


# floor plans: outlet code -> (label, seats, column, row)
FLOOR_PLANS = {
    "restaurant": [
        (str(n), seats, (n - 1) % 4 + 1, (n - 1) // 4 + 1)
        for n, seats in enumerate([2, 2, 4, 4, 2, 6, 4, 2, 4, 4, 8, 2], start=1)
    ],
    "bar-piscine": [(f"T{n}", 4 if n % 2 else 2, n, 1) for n in range(1, 7)],
}


def seed(context: dict) -> None:
    prop = context["property"]
    terminals = {}
    for code, name, kind, terminal_names in OUTLETS:
        outlet, _ = Outlet.objects.update_or_create(
            property=prop, code=code, defaults={"name": name, "kind": kind, "is_active": True}
        )
        for terminal_name in terminal_names:
            terminal = Terminal.objects.filter(outlet=outlet, name=terminal_name).first()
            if terminal is None:
                terminal = Terminal.objects.create(property=prop, outlet=outlet, name=terminal_name)
            terminals[(code, terminal_name)] = terminal
        for label, seats, column, row in FLOOR_PLANS.get(code, []):
            Table.objects.update_or_create(
                outlet=outlet,
                label=label,
                defaults={"property": prop, "seats": seats, "pos_x": column, "pos_y": row},
            )
    context["pos_terminals"] = terminals
    # the pool bar sells from its own shelves: its spritzes and beers take their ingredients
    from inventory.demo import seed_stock

    stock = seed_stock(context)
    Outlet.objects.filter(property=prop, code="bar-piscine").update(stock_location=stock["bar"])
    terminals_changed()  # the terminals' cached outlets carry their stock location
    # each outlet's menu: a restaurant tablet shows the restaurant's categories, not the spa's
    menus = {
        "bar-piscine": ["Boissons", "Cocktails et alcools", "Plats", "Desserts"],
        "restaurant": ["Boissons", "Cocktails et alcools", "Plats", "Desserts"],
        "spa": ["Spa"],
        "boutique": ["Boutique"],
        "piscine": ["Piscine"],
        "reception": ["Petit-déjeuner", "Spa", "Piscine", "Boutique"],
    }
    for code, names in menus.items():
        outlet = Outlet.objects.get(property=prop, code=code)
        outlet.categories.set(Category.objects.filter(property=prop, name_fr__in=names))
    # the devices demo made a bar printer (with its drawer) and a kitchen printer
    printers = {
        p.code: p for p in Printer.objects.filter(property=prop, code__in=["bar", "cuisine"])
    }
    for station, code in (("bar", "bar"), ("kitchen", "cuisine")):
        if code in printers:
            StationPrinter.objects.update_or_create(
                property=prop, station=station, defaults={"printer": printers[code]}
            )
    if "bar" in printers:
        Terminal.objects.filter(outlet__property=prop, outlet__code="bar-piscine").update(
            printer=printers["bar"]
        )
        terminals_changed()  # a bulk update sends no signal
    _click_and_collect(context)


def _click_and_collect(context: dict) -> None:
    """The shop's click-and-collect page (docs/guest-ordering.md): shop hours 09:00-19:00,
    pickups up to three days ahead, paid at pickup (the demo has no card provider); its
    link is printed by seed_demo."""
    from pos.services.guest_orders import guest_points_create, point_token

    prop = context["property"]
    shop = Outlet.objects.get(property=prop, code="boutique")
    # the outlets may be seeded without the catalogue's demo (its own tests): no bakery then
    corner = Category.objects.filter(property=prop, name_fr="Boutique").first()
    for code, fr, en, price in BAKERY if corner is not None else ():
        Product.objects.update_or_create(
            property=prop,
            code=code,
            defaults={
                "name_fr": fr,
                "name_en": en,
                "category": corner,
                "price": Decimal(price),
                "vat_rate": Decimal("5.50"),
                "revenue_category": RevenueCategory.FOOD,
                "allergens": ["gluten"],
            },
        )
    shop.opens_at, shop.kitchen_closes_at = time(9), time(19)
    shop.collect_days_ahead = 3
    shop.collect_pay_at_pickup = True
    shop.collect_lead_minutes = 30
    shop.save()
    guest_points_create(outlet=shop, actor=None, collect=True)
    point = GuestOrderPoint.objects.get(outlet=shop, kind=GuestOrderPoint.Kind.COLLECT)
    context.setdefault("links", []).append(
        (f"Click and collect · {shop.name}", f"/collect/{point_token(point)}/")
    )
