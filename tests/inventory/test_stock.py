"""Stock follows each sale down to the ingredient (INV-5): the recipe's items leave the bar
in the sale's own transaction, refunds put them back, the ledger explains every level, and
the property's rule decides a sale that would go below zero — even with 10 tills at once."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, InternalError, transaction
from django.db.models import Sum
from django.utils import translation

from billing.models import Ticket
from core.models import Role
from inventory.exceptions import OutOfStock
from inventory.models import StockLevel, StockMovement, StockSettings
from inventory.services.stock import Move, stock_apply, stock_transfer, stock_waste
from pos.services.checkout import order_checkout, order_refund
from tests.concurrency import race
from tests.factories.pos import make_terminal
from tests.factories.stock import make_bar_stock
from tests.pos.helpers import cash, count_queries, line

FULL = {
    "rhum": "700",
    "menthe": "100",
    "sirop": "700",
    "citron": "10",
    "soda": "1000",
    "glace": "3000",
}


def level(item, location) -> Decimal:
    return StockLevel.objects.get(item=item, location=location).quantity


def ledger(item, location) -> Decimal:
    return StockMovement.objects.filter(item=item, location=location).aggregate(s=Sum("quantity"))[
        "s"
    ] or Decimal(0)


def receive(hotel, stock, quantities):
    """Opening stock at the bar as a delivery (the ledger explains it)."""
    with transaction.atomic():
        stock_apply(
            property=hotel,
            moves=[
                Move(stock["items"][code].pk, stock["bar"].pk, Decimal(q), "receipt")
                for code, q in quantities.items()
            ],
            reference="test.opening",
        )


@pytest.fixture
def terminal(hotel):
    return make_terminal(hotel)


@pytest.fixture
def cashier(hotel, staff_of):
    return staff_of(hotel, Role.CASHIER, username="cashier")


@pytest.fixture
def stock(hotel, catalog, terminal):
    return make_bar_stock(hotel, terminal)


def sell(hotel, terminal, cashier, product, quantity="1"):
    lines = [line(product, quantity)]
    return order_checkout(
        property=hotel, terminal=terminal, actor=cashier, lines=lines, tenders=cash(hotel, lines)
    )


def test_a_mojito_takes_its_six_ingredients_in_base_units_and_a_refund_puts_them_back(
    hotel, stock, terminal, cashier, manager
):
    receive(hotel, stock, FULL)
    items, bar = stock["items"], stock["bar"]
    order = sell(hotel, terminal, cashier, stock["mojito"], "2")
    # 5 cl → 50 ml, 0.15 kg → 150 g, half a lime: per mojito, twice
    assert level(items["rhum"], bar) == Decimal("600")
    assert level(items["glace"], bar) == Decimal("2700")
    assert level(items["citron"], bar) == Decimal("9")
    sale = StockMovement.objects.filter(reference=f"pos.order:{order.pk}", kind="sale")
    assert sale.count() == 6
    assert sale.get(item=items["rhum"]).unit_cost == Decimal("0.020000")
    assert sale.get(item=items["rhum"]).actor == cashier
    order_refund(order=order, actor=manager, reason="Renversé")
    order_refund_twice = StockMovement.objects.filter(kind="refund").count()
    assert level(items["rhum"], bar) == Decimal("700")
    assert order_refund_twice == 6
    for item in items.values():
        assert ledger(item, bar) == level(item, bar)


def test_a_product_without_recipe_touches_no_stock(hotel, stock, terminal, cashier, product):
    sell(hotel, terminal, cashier, product("pastis"))
    assert not StockMovement.objects.exists()


def test_a_six_ingredient_recipe_adds_two_statements_to_the_checkout(
    hotel, stock, terminal, cashier, product
):
    receive(hotel, stock, {k: str(Decimal(v) * 100) for k, v in FULL.items()})
    pastis, mojito = product("pastis"), stock["mojito"]
    sell(hotel, terminal, cashier, pastis)  # the property's first ticket creates its sequence
    sell(hotel, terminal, cashier, mojito)  # the recipes are cached once
    plain = count_queries(lambda: sell(hotel, terminal, cashier, pastis))
    one = count_queries(lambda: sell(hotel, terminal, cashier, mojito))
    many = count_queries(lambda: sell(hotel, terminal, cashier, mojito, "7"))
    assert one == many == plain + 2  # one UPDATE of the six levels, one INSERT of the ledger


def test_stock_movements_are_append_only(hotel, stock):
    receive(hotel, stock, {"rhum": "700"})
    movement = StockMovement.objects.get()
    with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
        StockMovement.objects.filter(pk=movement.pk).update(quantity=Decimal("1"))
    with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
        movement.delete()


def test_transfer_and_waste_move_stock_with_who_and_why(hotel, stock, manager, waiter):
    items, bar, store = stock["items"], stock["bar"], stock["store"]
    with transaction.atomic():
        stock_apply(
            property=hotel,
            moves=[Move(items["rhum"].pk, store.pk, Decimal("2100"), "receipt")],
            reference="test",
        )
    stock_transfer(
        property=hotel,
        item_id=items["rhum"].pk,
        source_id=store.pk,
        destination_id=bar.pk,
        quantity="700",
        actor=waiter,
    )
    with pytest.raises(OutOfStock):
        stock_transfer(
            property=hotel,
            item_id=items["rhum"].pk,
            source_id=store.pk,
            destination_id=bar.pk,
            quantity="5000",
            actor=waiter,
        )
    stock_waste(
        property=hotel,
        item_id=items["rhum"].pk,
        location_id=bar.pk,
        quantity="700",
        reason="breakage",
        actor=waiter,
    )
    assert level(items["rhum"], store) == Decimal("1400")
    assert level(items["rhum"], bar) == Decimal("0")
    waste = StockMovement.objects.get(kind="waste")
    assert (waste.reason, waste.actor, waste.quantity) == ("breakage", waiter, Decimal("-700"))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("allow_negative", [False, True])
def test_ten_tills_and_the_last_bottle_follow_the_property_rule(
    hotel, catalog, cashier, allow_negative
):
    tills = [make_terminal(hotel, name=f"Caisse {i}") for i in range(10)]
    stock = make_bar_stock(hotel, tills[0])
    for till in tills:
        till.outlet.refresh_from_db()
    StockSettings.objects.create(property=hotel, allow_negative=allow_negative)
    # the last 5 cl of rum: one mojito's worth; everything else plenty
    receive(hotel, stock, {**{k: str(Decimal(v) * 100) for k, v in FULL.items()}, "rhum": "50"})
    rum, bar = stock["items"]["rhum"], stock["bar"]
    lines = [line(stock["mojito"])]
    tenders = cash(hotel, lines)

    def buy(till):
        with translation.override("en"):  # each till's thread speaks English too
            return order_checkout(
                property=hotel, terminal=till, actor=cashier, lines=lines, tenders=tenders
            )

    results = race([lambda till=till: buy(till) for till in tills])
    sold = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, OutOfStock)]
    if allow_negative:
        assert (len(sold), len(refused)) == (10, 0)
        assert level(rum, bar) == Decimal("-450")
        from reporting.services import _low_stock

        assert [f.data["name"] for f in _low_stock(hotel)] == ["Rhum blanc"]
    else:
        assert (len(sold), len(refused)) == (1, 9)
        assert refused[0].message == "Not enough Rhum blanc: 0 ml left, 50 ml needed."
        assert level(rum, bar) == Decimal("0")
    assert Ticket.objects.count() == len(sold)
    for item in stock["items"].values():
        assert ledger(item, bar) == level(item, bar)


def test_a_ledger_kept_pool_sells_its_level_and_has_no_counter_of_its_own(
    hotel, stock, terminal, cashier, manager
):
    from inventory.models import CapacityBucket, CapacityPool, Channel, Product, StockItem
    from inventory.selectors import pools_availability

    shop = stock["store"]
    jam = StockItem.objects.create(
        property=hotel, code="confiture", name="Confiture", base_unit="piece"
    )
    pool = CapacityPool.objects.create(
        property=hotel,
        code="confitures",
        name="Confitures",
        kind="stock",
        stock_item=jam,
        stock_location=shop,
    )
    product = Product.objects.create(
        property=hotel,
        code="confiture",
        name_fr="Confiture",
        price=Decimal("6.00"),
        vat_rate=Decimal("5.50"),
        revenue_category="goods",
        capacity_pool=pool,
    )
    with transaction.atomic():
        stock_apply(property=hotel, moves=[Move(jam.pk, shop.pk, Decimal("3"), "receipt")])
    day = hotel.business_date()

    def left():
        (slot,) = pools_availability(
            property=hotel, pool_ids=[pool.pk], start=day, end=day, channel=Channel.POS
        )[pool.pk]
        return slot.available

    assert left() == 3
    order = sell(hotel, terminal, cashier, product, "3")
    assert left() == 0 and level(jam, shop) == 0
    with pytest.raises(OutOfStock):
        sell(hotel, terminal, cashier, product)
    order_refund(order=order, actor=manager, reason="Retour")
    assert left() == 3
    assert not CapacityBucket.objects.filter(pool=pool).exists()
    assert ledger(jam, shop) == level(jam, shop) == 3
