"""Demo catalog of Hôtel Les Pins: rooms sold as nights, bar and restaurant menus with options,
spa slots, pool passes, gourmet baskets in stock, rate plans, seasons and promotions."""

from datetime import date
from decimal import Decimal

from inventory.models import (
    CapacityPool,
    Category,
    Modifier,
    ModifierGroup,
    Price,
    Product,
    Promotion,
    RatePlan,
    RevenueCategory,
    Season,
    SeasonPeriod,
    Variant,
)

D = Decimal
R = RevenueCategory

# code, name fr, name en, rooms, public price low/mid/high
ROOM_TYPES = [
    ("classique", "Chambre Classique", "Classic Room", 10, ("89", "119", "159")),
    ("superieure", "Chambre Supérieure", "Superior Room", 7, ("109", "139", "189")),
    ("junior", "Suite Junior", "Junior Suite", 4, ("149", "189", "249")),
    ("familiale", "Chambre Familiale", "Family Room", 3, ("129", "159", "219")),
]


def ean13(body12: str) -> str:
    digits = [int(c) for c in body12]
    check = (10 - sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10) % 10
    return body12 + str(check)


def _product(prop, code, **fields):
    product, _ = Product.objects.update_or_create(property=prop, code=code, defaults=fields)
    return product


def seed(context: dict) -> None:
    prop = context["property"]
    cats = {}
    for order, (code, fr, en) in enumerate(
        [
            ("hebergement", "Hébergement", "Accommodation"),
            ("petit-dejeuner", "Petit-déjeuner", "Breakfast"),
            ("boissons", "Boissons", "Drinks"),
            ("cocktails", "Cocktails et alcools", "Cocktails and spirits"),
            ("plats", "Plats", "Main courses"),
            ("desserts", "Desserts", "Desserts"),
            ("spa", "Spa", "Spa"),
            ("piscine", "Piscine", "Pool"),
            ("boutique", "Boutique", "Shop"),
        ]
    ):
        cats[code], _ = Category.objects.update_or_create(
            property=prop, name_fr=fr, defaults={"name_en": en, "sort_order": order}
        )

    def pool(code, name, kind, capacity, **extra):
        obj, _ = CapacityPool.objects.update_or_create(
            property=prop,
            code=code,
            defaults={"name": name, "kind": kind, "default_capacity": capacity, **extra},
        )
        return obj

    seasons = {}
    for code, name in [
        ("basse", "Basse saison"),
        ("moyenne", "Moyenne saison"),
        ("haute", "Haute saison"),
    ]:
        seasons[code], _ = Season.objects.update_or_create(
            property=prop, code=code, defaults={"name": name}
        )
    SeasonPeriod.objects.filter(season__property=prop).delete()
    for year in (2026, 2027):
        for code, start, end in [
            ("basse", date(year, 1, 1), date(year, 4, 1)),
            ("moyenne", date(year, 4, 1), date(year, 7, 1)),
            ("haute", date(year, 7, 1), date(year, 9, 1)),
            ("moyenne", date(year, 9, 1), date(year, 11, 1)),
            ("basse", date(year, 11, 1), date(year + 1, 1, 1)),
        ]:
            SeasonPeriod.objects.create(season=seasons[code], start=start, end=end)

    plans = {}
    for code, fr, en, priority, channels, public in [
        ("public", "Tarif public", "Public rate", 0, [], True),
        ("web", "Tarif web", "Web rate", 10, ["booking_engine"], True),
        ("groupe", "Tarif groupe", "Group rate", 20, [], False),
        ("entreprise", "Tarif entreprise négocié", "Corporate net rate", 30, [], False),
    ]:
        plans[code], _ = RatePlan.objects.update_or_create(
            property=prop,
            code=code,
            defaults={
                "name_fr": fr,
                "name_en": en,
                "priority": priority,
                "channels": channels,
                "is_public": public,
            },
        )

    for order, (code, fr, en, rooms, prices) in enumerate(ROOM_TYPES):
        nights = pool(
            f"nuits-{code}",
            f"Nuits {fr}",
            CapacityPool.Kind.NIGHT,
            rooms,
            hold_back_onsite=1 if rooms > 5 else 0,
        )
        product = _product(
            prop,
            f"nuit-{code}",
            name_fr=f"Nuit {fr}",
            name_en=f"{en} night",
            category=cats["hebergement"],
            price=D(prices[1]),
            vat_rate=D("10.00"),
            revenue_category=R.ACCOMMODATION,
            capacity_pool=nights,
            sort_order=order,
        )
        for season_code, amount in zip(("basse", "moyenne", "haute"), prices, strict=True):
            for plan_code, factor in [
                ("public", D("1")),
                ("web", D("0.95")),
                ("groupe", D("0.85")),
                ("entreprise", D("0.80")),
            ]:
                Price.objects.update_or_create(
                    rate_plan=plans[plan_code],
                    product=product,
                    season=seasons[season_code],
                    channel="",
                    defaults={"price": (D(amount) * factor).quantize(D("1"))},
                )

    breakfast = _product(
        prop,
        "petit-dejeuner",
        name_fr="Petit-déjeuner buffet",
        name_en="Breakfast buffet",
        category=cats["petit-dejeuner"],
        price=D("16.00"),
        vat_rate=D("10.00"),
        revenue_category=R.FOOD,
        sold_online=True,
        ean13=ean13("376000000001"),
    )
    bar = [
        ("cafe", "Café", "Espresso", "2.50", "10.00", R.DRINKS, "boissons"),
        ("coca", "Coca-Cola 33 cl", "Coca-Cola 33 cl", "4.50", "10.00", R.DRINKS, "boissons"),
        (
            "jus-orange",
            "Jus d'orange pressé",
            "Fresh orange juice",
            "5.50",
            "10.00",
            R.DRINKS,
            "boissons",
        ),
        ("pastis", "Pastis", "Pastis", "5.00", "20.00", R.ALCOHOL, "cocktails"),
        ("spritz", "Spritz", "Spritz", "11.00", "20.00", R.ALCOHOL, "cocktails"),
        ("biere", "Bière pression", "Draught beer", "5.00", "20.00", R.ALCOHOL, "cocktails"),
        (
            "rose",
            "Verre de rosé de Provence",
            "Glass of Provence rosé",
            "7.00",
            "20.00",
            R.ALCOHOL,
            "cocktails",
        ),
        ("salade-nicoise", "Salade niçoise", "Niçoise salad", "18.00", "10.00", R.FOOD, "plats"),
        (
            "entrecote",
            "Entrecôte grillée, frites",
            "Grilled rib-eye, fries",
            "29.00",
            "10.00",
            R.FOOD,
            "plats",
        ),
        (
            "loup",
            "Filet de loup, légumes du marché",
            "Sea bass, market vegetables",
            "27.00",
            "10.00",
            R.FOOD,
            "plats",
        ),
        ("creme-brulee", "Crème brûlée", "Crème brûlée", "9.00", "10.00", R.FOOD, "desserts"),
        (
            "tarte-tropezienne",
            "Tarte tropézienne",
            "Tarte tropézienne",
            "10.00",
            "10.00",
            R.FOOD,
            "desserts",
        ),
        # last: the codes and barcodes of the items above stay as they were
        ("croque", "Croque-monsieur", "Croque-monsieur", "12.00", "10.00", R.FOOD, "plats"),
    ]
    items = {}
    for i, (code, fr, en, price, vat, rev, cat) in enumerate(bar):
        items[code] = _product(
            prop,
            code,
            name_fr=fr,
            name_en=en,
            price=D(price),
            vat_rate=D(vat),
            revenue_category=rev,
            category=cats[cat],
            sort_order=i,
            ean13=ean13(f"3760000001{i:02d}"),
        )
    # what the kitchen must declare (EU 1169/2011) and where a dish goes by default
    for code, allergens, course in [
        ("salade-nicoise", ["eggs", "fish", "mustard"], 1),
        ("entrecote", ["mustard"], 2),
        ("loup", ["fish", "milk"], 2),
        ("creme-brulee", ["eggs", "milk"], 3),
        ("tarte-tropezienne", ["gluten", "eggs", "milk"], 3),
        ("biere", ["gluten"], 0),
        ("croque", ["gluten", "milk"], 0),
    ]:
        Product.objects.filter(pk=items[code].pk).update(allergens=allergens, default_course=course)
    Variant.objects.update_or_create(
        product=items["biere"],
        name_fr="25 cl",
        defaults={"name_en": "25 cl", "price_delta": D("0")},
    )
    Variant.objects.update_or_create(
        product=items["biere"],
        name_fr="50 cl",
        defaults={"name_en": "50 cl", "price_delta": D("4.50")},
    )
    cooking, _ = ModifierGroup.objects.update_or_create(
        property=prop,
        name_fr="Cuisson",
        defaults={"name_en": "Cooking", "min_choices": 1, "max_choices": 1},
    )
    cooking.products.set([items["entrecote"]])
    for fr, en in [
        ("Bleu", "Blue"),
        ("Saignant", "Rare"),
        ("À point", "Medium"),
        ("Bien cuit", "Well done"),
    ]:
        Modifier.objects.update_or_create(group=cooking, name_fr=fr, defaults={"name_en": en})
    options, _ = ModifierGroup.objects.update_or_create(
        property=prop, name_fr="Options", defaults={"name_en": "Options", "max_choices": 3}
    )
    options.products.set([items["entrecote"], items["salade-nicoise"], items["loup"]])
    for fr, en, price in [
        ("Sans gluten", "Gluten free", "0"),
        ("Supplément frites", "Extra fries", "3.00"),
    ]:
        Modifier.objects.update_or_create(
            group=options, name_fr=fr, defaults={"name_en": en, "price_delta": D(price)}
        )
    extra_shot, _ = ModifierGroup.objects.update_or_create(
        property=prop,
        name_fr="Extras café",
        defaults={"name_en": "Coffee extras", "max_choices": 2},
    )
    extra_shot.products.set([items["cafe"]])
    Modifier.objects.update_or_create(
        group=extra_shot,
        name_fr="Double dose",
        defaults={"name_en": "Extra shot", "price_delta": D("1.00")},
    )

    spa = pool(
        "spa-cabines",
        "Cabines du spa",
        CapacityPool.Kind.SLOT,
        2,
        slot_times=["10:00", "11:00", "14:00", "15:00", "16:00", "17:00"],
        slot_minutes=60,
    )
    _product(
        prop,
        "massage-60",
        name_fr="Massage relaxant 60 min",
        name_en="Relaxing massage 60 min",
        category=cats["spa"],
        price=D("95.00"),
        vat_rate=D("20.00"),
        revenue_category=R.SERVICES,
        capacity_pool=spa,
        sold_online=True,
    )
    _product(
        prop,
        "soin-visage",
        name_fr="Soin du visage 45 min",
        name_en="Facial 45 min",
        category=cats["spa"],
        price=D("75.00"),
        vat_rate=D("20.00"),
        revenue_category=R.SERVICES,
        capacity_pool=spa,
        sold_online=True,
    )
    pool_passes = pool(
        "piscine", "Piscine (accès journée)", CapacityPool.Kind.DAY, 40, hold_back_onsite=10
    )
    _product(
        prop,
        "pass-piscine",
        name_fr="Pass piscine journée",
        name_en="Pool day pass",
        category=cats["piscine"],
        price=D("15.00"),
        vat_rate=D("20.00"),
        revenue_category=R.SERVICES,
        capacity_pool=pool_passes,
        sold_online=True,
        ean13=ean13("376000000200"),
    )
    baskets = pool(
        "paniers-gourmands",
        "Paniers gourmands (boutique)",
        CapacityPool.Kind.STOCK,
        12,
        location="boutique",
        online_close_at_sold=10,
    )
    _product(
        prop,
        "panier-gourmand",
        name_fr="Panier gourmand provençal",
        name_en="Provençal gourmet basket",
        category=cats["boutique"],
        price=D("45.00"),
        vat_rate=D("5.50"),
        revenue_category=R.GOODS,
        capacity_pool=baskets,
        sold_online=True,
        ean13=ean13("376000000300"),
    )

    promo, _ = Promotion.objects.update_or_create(
        property=prop,
        code="petit-dej-web",
        defaults={
            "kind": Promotion.Kind.PROMOTION,
            "name_fr": "Petit-déjeuner −50 % en ligne dès 2 nuits",
            "name_en": "Breakfast −50% online from 2 nights",
            "percent_off": D("50"),
            "channels": ["booking_engine"],
            "min_nights": 2,
            "stock_cap": 500,
            "priority": 10,
        },
    )
    promo.products.set([breakfast])
    early, _ = Promotion.objects.update_or_create(
        property=prop,
        code="reservez-tot",
        defaults={
            "kind": Promotion.Kind.PROMOTION,
            "name_fr": "Réservez tôt −15 %",
            "name_en": "Early booking −15%",
            "percent_off": D("15"),
            "channels": ["booking_engine"],
            "min_days_before": 45,
            "revenue_categories": [R.ACCOMMODATION],
            "priority": 5,
        },
    )
    rule, _ = Promotion.objects.update_or_create(
        property=prop,
        code="extras-basse-saison",
        defaults={
            "kind": Promotion.Kind.RULE,
            "name_fr": "Extras −10 % en basse saison",
            "name_en": "Extras −10% in low season",
            "percent_off": D("10"),
            "revenue_categories": [R.SERVICES, R.GOODS],
            "priority": 0,
        },
    )
    rule.seasons.set([seasons["basse"]])
    context["rate_plans"] = plans


# The bar's stock (INV-5): (code, name, base unit, cost per base unit, bar, store room,
# bar reorder point, bar par level), the recipes that use them, one supplier.
STOCK_ITEMS = [
    ("aperol", "Apérol", "ml", "0.016000", "4200", "7000", "1400", "4200"),
    ("prosecco", "Prosecco", "ml", "0.008000", "9000", "22500", "2250", "9000"),
    ("eau-gazeuse", "Eau gazeuse", "ml", "0.001000", "6000", "12000", None, None),
    ("orange", "Orange", "piece", "0.300000", "20", "40", "5", "20"),
    ("biere-fut", "Bière pression (fût)", "ml", "0.004000", "30000", "60000", "10000", "30000"),
]
RECIPES = {
    "spritz": [
        ("aperol", "6", "cl"),
        ("prosecco", "9", "cl"),
        ("eau-gazeuse", "3", "cl"),
        ("orange", "0.25", "piece"),
    ],
    "biere": [("biere-fut", "25", "cl")],
}


def seed_stock(context: dict) -> dict:
    """Locations, items with their cost, opening stock (through the ledger), reorder points,
    the spritz's and the draught beer's recipes, a supplier with its packs. Idempotent."""
    from django.db import transaction

    from inventory.models import (
        StockItem,
        StockLevel,
        StockLocation,
        StockMovement,
        Supplier,
        SupplierItem,
    )
    from inventory.services.stock import Move, recipe_line_save, stock_apply

    prop = context["property"]
    bar, _ = StockLocation.objects.get_or_create(
        property=prop, code="bar-piscine", defaults={"name": "Bar de la Piscine", "kind": "bar"}
    )
    store, _ = StockLocation.objects.get_or_create(
        property=prop, code="reserve", defaults={"name": "Réserve", "kind": "store"}
    )
    StockLocation.objects.get_or_create(
        property=prop, code="cuisine", defaults={"name": "Cuisine", "kind": "kitchen"}
    )
    items = {}
    for code, name, unit, cost, *_rest in STOCK_ITEMS:
        items[code], _ = StockItem.objects.get_or_create(
            property=prop,
            code=code,
            defaults={"name": name, "base_unit": unit, "average_cost": D(cost)},
        )
    if not StockMovement.objects.filter(property=prop, reference="demo.opening").exists():
        moves = []
        for code, _n, _u, _c, at_bar, at_store, *_rest in STOCK_ITEMS:
            moves += [
                Move(items[code].pk, bar.pk, D(at_bar), StockMovement.Kind.RECEIPT),
                Move(items[code].pk, store.pk, D(at_store), StockMovement.Kind.RECEIPT),
            ]
        with transaction.atomic():
            stock_apply(property=prop, moves=moves, reference="demo.opening")
    for code, *_rest, reorder, par in STOCK_ITEMS:
        if reorder is not None:
            StockLevel.objects.filter(item=items[code], location=bar).update(
                reorder_point=D(reorder), par_level=D(par)
            )
    for product_code, lines in RECIPES.items():
        product = Product.objects.filter(property=prop, code=product_code).first()
        for item_code, quantity, unit in lines if product else ():
            recipe_line_save(
                product=product, item=items[item_code], quantity=D(quantity), unit=unit
            )
    supplier, _ = Supplier.objects.get_or_create(
        property=prop,
        name="Cave du Port",
        defaults={"email": "commandes@cave-du-port.example", "lead_time_days": 2},
    )
    for code, label, size, price in (
        ("aperol", "Bouteille 70 cl", "700", "11.20"),
        ("prosecco", "Bouteille 75 cl", "750", "6.00"),
        ("orange", "Filet de 10", "10", "3.00"),
        ("biere-fut", "Fût 30 l", "30000", "120.00"),
    ):
        SupplierItem.objects.get_or_create(
            supplier=supplier,
            item=items[code],
            defaults={"pack_label": label, "pack_size": D(size), "pack_price": D(price)},
        )
    return {"bar": bar, "store": store}
