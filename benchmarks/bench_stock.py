"""Stock at scale (issue 26).

- A sale with a 6-ingredient recipe: the SQL statements it adds to a checkout (against the
  same sale of a product without a recipe; the target is at most 2, whatever the number of
  ingredients), and the same with 7 units and a second product sharing the ingredients.
- A year of the bar's ledger: 2,000,000 movements of 200 items at one location (bulk SQL),
  then a count of the 200 items submitted and valued at cost — its expected quantities in
  one statement: each level less the movements since the count, a range of the
  (location, created_at, item, quantity) index (target < 2 s, cold and warm). The auditor's
  check, the whole ledger summed per item, is timed beside it and must equal the levels.
"""

import statistics
import time
from decimal import Decimal

from benchmarks import harness

ITEMS = 200
MOVEMENTS = 2_000_000


def prepare() -> dict:
    harness.reset_database()
    harness.setup_django()
    from django.db import connection, transaction

    from inventory.models import Product, StockItem, StockLocation
    from inventory.services.stock import Move, recipe_line_save, stock_apply
    from tests.factories.core import PropertyFactory, make_staff
    from tests.factories.pos import make_terminal
    from tests.factories.stock import make_bar_stock

    prop = PropertyFactory(name="Hôtel Bench", slug="bench-stock")
    user = make_staff(prop, "cashier", username="bench")
    terminal = make_terminal(prop)
    stock = make_bar_stock(prop, terminal)
    plain = Product.objects.create(
        property=prop,
        code="eau",
        name_fr="Eau",
        price=Decimal("3.00"),
        vat_rate=Decimal("10.00"),
        revenue_category="drinks",
    )
    daiquiri = Product.objects.create(
        property=prop,
        code="daiquiri",
        name_fr="Daïquiri",
        price=Decimal("11.00"),
        vat_rate=Decimal("20.00"),
        revenue_category="alcohol",
    )
    for code in ("rhum", "sirop", "citron"):
        recipe_line_save(
            product=daiquiri,
            item=stock["items"][code],
            quantity=Decimal("2"),
            unit="cl" if code != "citron" else "piece",
        )
    with transaction.atomic():
        stock_apply(
            property=prop,
            moves=[
                Move(i.pk, stock["bar"].pk, Decimal("10000000"), "receipt")
                for i in stock["items"].values()
            ],
            reference="bench.opening",
        )
    # the year's ledger at a second location: 200 items, 2 M movements
    cellar = StockLocation.objects.create(property=prop, code="cave", name="Cave", kind="store")
    StockItem.objects.bulk_create(
        [
            StockItem(
                property=prop,
                code=f"item-{i}",
                name=f"Article {i}",
                base_unit="ml",
                average_cost=Decimal("0.012"),
            )
            for i in range(ITEMS)
        ]
    )
    ids = list(StockItem.objects.filter(code__startswith="item-").values_list("pk", flat=True))
    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO inventory_stockmovement (property_id, item_id, location_id, kind,
              quantity, unit_cost, reason, note, reference, actor_id, created_at)
            SELECT %(p)s, (%(ids)s::bigint[])[1 + g %% %(n)s], %(loc)s,
                   CASE WHEN g %% 50 = 0 THEN 'receipt' ELSE 'sale' END,
                   CASE WHEN g %% 50 = 0 THEN 2500 ELSE -50 END, 0.012, '', '',
                   'pos.order:' || g, %(u)s,
                   now() - interval '365 days' + (g * interval '365 days' / %(m)s)
            FROM generate_series(1, %(m)s) g
            """,
            {"p": prop.pk, "ids": ids, "n": ITEMS, "loc": cellar.pk, "u": user.pk, "m": MOVEMENTS},
        )
        cur.execute(
            """
            INSERT INTO inventory_stocklevel (property_id, item_id, location_id, quantity,
              updated_at)
            SELECT %s, item_id, location_id, SUM(quantity), now()
            FROM inventory_stockmovement WHERE location_id = %s GROUP BY item_id, location_id
            """,
            [prop.pk, cellar.pk],
        )
        cur.execute("ANALYZE inventory_stockmovement")
    load_seconds = round(time.perf_counter() - started, 1)
    return {
        "property_id": prop.pk,
        "user_id": user.pk,
        "terminal_id": terminal.pk,
        "mojito": stock["mojito"].pk,
        "daiquiri": daiquiri.pk,
        "plain": plain.pk,
        "cellar": cellar.pk,
        "items": ids,
        "load_seconds": load_seconds,
    }


def measure_checkout(data: dict) -> dict:
    from django.contrib.auth import get_user_model

    from core.models import Property
    from inventory.services.pricing import QuoteLineInput
    from pos.models import Terminal
    from pos.services.checkout import order_checkout
    from tests.pos.helpers import cash, count_queries

    prop = Property.objects.get(pk=data["property_id"])
    user = get_user_model().objects.get(pk=data["user_id"])
    terminal = Terminal.objects.select_related("outlet").get(pk=data["terminal_id"])

    def sale(lines):
        lines = [QuoteLineInput(product_id=pk, quantity=Decimal(q)) for pk, q in lines]
        tenders = cash(prop, lines)
        return lambda: order_checkout(
            property=prop, terminal=terminal, actor=user, lines=lines, tenders=tenders
        )

    for lines in ([(data["plain"], 1)], [(data["mojito"], 1)]):  # sequence, caches
        sale(lines)()
    plain = count_queries(sale([(data["plain"], 1)]))
    mojito = count_queries(sale([(data["mojito"], 1)]))
    both = count_queries(sale([(data["mojito"], 7), (data["daiquiri"], 3)]))
    return {"plain": plain, "mojito": mojito, "mojito_and_daiquiri": both}


def measure_count(data: dict) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from core.models import Property
    from inventory.models import StockLevel
    from inventory.services.stock import count_start, count_submit, ledger_balances

    prop = Property.objects.get(pk=data["property_id"])
    user = get_user_model().objects.get(pk=data["user_id"])
    with connection.cursor() as cur:
        cur.execute("DISCARD PLANS")
    runs = []
    values = []
    for _ in range(5):
        count = count_start(property=prop, location_id=data["cellar"], actor=user)
        counted = {pk: Decimal("1000") for pk in data["items"]}
        started = time.perf_counter()
        count_submit(count=count, counted=counted, actor=user)
        value = sum((line.variance * line.unit_cost for line in count.lines.all()), Decimal(0))
        runs.append(time.perf_counter() - started)
        values.append(value)
    started = time.perf_counter()
    balances = ledger_balances(location_id=data["cellar"])
    audit_ms = round((time.perf_counter() - started) * 1000)
    levels = dict(
        StockLevel.objects.filter(location_id=data["cellar"]).values_list("item_id", "quantity")
    )
    assert balances == levels, "the ledger's sums are the levels"
    expected = {line.item_id: line.expected for line in count.lines.all()}
    assert expected == levels, "the count expected what the ledger holds"
    with connection.cursor() as cur:
        cur.execute(
            "EXPLAIN SELECT SUM(quantity) FROM inventory_stockmovement "
            "WHERE location_id = %s AND item_id = %s AND created_at > now()",
            [data["cellar"], data["items"][0]],
        )
        plan = "\n".join(r[0] for r in cur.fetchall())
    return {
        "cold_ms": round(runs[0] * 1000),
        "warm_p50_ms": round(statistics.median(runs[1:]) * 1000),
        "variance_value": str(values[0].quantize(Decimal("0.01"))),
        "audit_ms": audit_ms,
        "plan": plan,
    }


def main() -> None:
    data = prepare()
    checkout = measure_checkout(data)
    count = measure_count(data)
    added = checkout["mojito"] - checkout["plain"]
    added_both = checkout["mojito_and_daiquiri"] - checkout["plain"]
    harness.write_results(
        "stock",
        {"checkout": checkout, "count": count, "load_seconds": data["load_seconds"]},
        [
            (
                "statements a 6-ingredient recipe adds to a checkout (1 mojito)",
                f"**{added}** ({checkout['plain']} → {checkout['mojito']})",
                "≤ 2",
            ),
            (
                "7 mojitos + 3 daiquiris (ingredients shared)",
                f"**{added_both}** ({checkout['mojito_and_daiquiri']})",
                "≤ 2, constant",
            ),
            (
                f"count of {ITEMS} items submitted and valued over a year's ledger "
                f"({MOVEMENTS:,} movements): cold / warm p50",
                f"**{count['cold_ms']} ms** / {count['warm_p50_ms']} ms",
                "< 2 s",
            ),
            (
                f"the auditor's check: the whole ledger ({MOVEMENTS:,}) summed per item = levels",
                f"{count['audit_ms']} ms",
                "reported",
            ),
            ("ledger loaded (bulk SQL)", f"{data['load_seconds']} s", "reported"),
            (
                "plan of an item's movements since the count",
                " ".join(count["plan"].split())[:110],
                "index scan",
            ),
        ],
    )
