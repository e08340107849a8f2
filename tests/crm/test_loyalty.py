"""Loyalty points: earned per revenue category once per sale whatever the retries, spent as
a tender, given back on a refund; the ledger is append-only."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from billing.services.payments import TenderInput
from crm.models import LoyaltyEarnRule, LoyaltyMovement, LoyaltyProgram
from crm.services import guest_create
from crm.services.loyalty import LoyaltyRefused, loyalty_balance, loyalty_earn
from inventory.models import RevenueCategory
from pos.services.checkout import SaleRequest, order_checkout, order_refund, sale_checkout
from tests.concurrency import race
from tests.pos.helpers import cash, due, line


@pytest.fixture
def program(hotel):
    program = LoyaltyProgram.objects.create(
        organization=hotel.organization, point_value=Decimal("0.05")
    )
    LoyaltyEarnRule.objects.create(
        program=program, revenue_category=RevenueCategory.ALCOHOL, points_per_euro=Decimal("2")
    )
    LoyaltyEarnRule.objects.create(
        program=program, revenue_category=RevenueCategory.FOOD, points_per_euro=Decimal("1")
    )
    return program


@pytest.fixture
def guest(hotel):
    return guest_create(organization=hotel.organization, last_name="Martin", first_name="Léa")


def _sale(hotel, terminal, cashier, guest, lines, tenders=None, client_key=None):
    """A paid sale with the guest attached (through a reservation-less order)."""
    return sale_checkout(
        SaleRequest(
            property=hotel,
            terminal=terminal,
            actor=cashier,
            lines=lines,
            tenders=tenders or cash(hotel, lines),
            client_key=client_key,
            guest=guest,
        )
    )


def test_a_sale_replayed_three_times_earns_points_once(
    hotel, catalog, product, terminal, cashier, guest, program
):
    drinks = [line(product("spritz"), "2")]
    expected = int(due(hotel, drinks) * 2)
    sales = [
        _sale(hotel, terminal, cashier, guest, drinks, client_key="tablet-7:42") for _ in range(3)
    ]
    assert [s.replayed for s in sales] == [False, True, True]
    assert loyalty_balance(guest=guest) == expected
    assert LoyaltyMovement.objects.filter(kind="earn").count() == 1


def test_only_categories_with_a_rule_earn(hotel, guest, program):
    spend = [(RevenueCategory.ALCOHOL, Decimal("10.00")), (RevenueCategory.GOODS, Decimal("99"))]
    assert loyalty_earn(guest=guest, spend=spend, key="k1") == 20
    assert loyalty_earn(guest=guest, spend=spend, key="k1") == 0  # same key: nothing more
    assert loyalty_balance(guest=guest) == 20


@pytest.mark.django_db(transaction=True)
def test_the_same_sale_synced_from_three_devices_at_once_earns_once(hotel, program):
    guest = guest_create(organization=hotel.organization, last_name="Durand")
    spend = [(RevenueCategory.FOOD, Decimal("30.00"))]
    results = race(
        [lambda: loyalty_earn(guest=guest, spend=spend, key="offline:9") for _ in range(3)]
    )
    assert sorted(results) == [0, 0, 30], results
    assert loyalty_balance(guest=guest) == 30


def test_points_pay_part_of_a_sale_and_come_back_on_refund(
    hotel, catalog, product, terminal, cashier, manager, guest, program
):
    loyalty_earn(guest=guest, spend=[(RevenueCategory.FOOD, Decimal("200"))], key="seed")
    drinks = [line(product("pastis"))]
    price = due(hotel, drinks)
    sale = _sale(
        hotel,
        terminal,
        cashier,
        guest,
        drinks,
        tenders=[TenderInput(method="loyalty", amount=price)],
    )
    spent = int(price / Decimal("0.05"))
    earned = int(price * 2)
    assert loyalty_balance(guest=guest) == 200 - spent + earned
    assert sale.payments[0].terminal_reference == f"{spent} pts"
    order_refund(order=sale.order, actor=manager, reason="mistake")
    assert loyalty_balance(guest=guest) == 200


def test_not_enough_points_is_refused_and_changes_nothing(
    hotel, catalog, product, terminal, cashier, guest, program
):
    drinks = [line(product("spritz"))]
    with pytest.raises(LoyaltyRefused, match="points are needed"):
        _sale(
            hotel,
            terminal,
            cashier,
            guest,
            drinks,
            tenders=[TenderInput(method="loyalty", amount=due(hotel, drinks))],
        )
    assert loyalty_balance(guest=guest) == 0
    with pytest.raises(LoyaltyRefused, match="Attach the guest"):
        order_checkout(
            property=hotel,
            terminal=terminal,
            actor=cashier,
            lines=drinks,
            tenders=[TenderInput(method="loyalty", amount=due(hotel, drinks))],
        )


def test_the_ledger_refuses_an_update(hotel, guest, program):
    loyalty_earn(guest=guest, spend=[(RevenueCategory.FOOD, Decimal("10"))], key="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        LoyaltyMovement.objects.update(points=1000)


def test_the_receipt_screen_shows_the_guests_points(
    hotel, catalog, product, terminal, cashier, guest, program, client
):
    drinks = [line(product("spritz"), "2")]
    sale = _sale(hotel, terminal, cashier, guest, drinks)
    client.force_login(cashier)
    page = client.get(f"/pos/counter/receipt/{sale.order.pk}/").content.decode()
    assert f"Loyalty: {loyalty_balance(guest=guest)} points" in page
