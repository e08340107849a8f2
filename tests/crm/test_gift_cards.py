"""Gift cards and vouchers: sold as products, spent as a tender with a balance that stays
right under concurrency, expiry and refunds; the accounts carry the liability (§9.1)."""

from datetime import timedelta
from decimal import Decimal

import pytest

from billing.models import JournalEntry, Payment
from billing.services.accounting import daily_entries
from billing.services.payments import TenderInput
from crm.models import GiftCard, GiftCardMovement
from crm.services.gift_cards import GiftCardRefused, gift_card_issue, gift_card_redeem
from inventory.models import GiftCardKind, RevenueCategory
from pos.services.checkout import order_checkout, order_refund
from tests.concurrency import race
from tests.factories.catalogue import make_gift_card_product
from tests.factories.pos import make_terminal
from tests.pos.helpers import due, line, snapshot


@pytest.fixture
def gift_card_product(hotel, catalog):
    return make_gift_card_product(hotel, code="carte-cadeau-50", name="Carte cadeau 50 €")


def card(hotel, amount="50.00", **kw) -> GiftCard:
    kw.setdefault("kind", GiftCardKind.MULTI_PURPOSE)
    kw.setdefault("source", f"test:{GiftCard.objects.count()}")
    return gift_card_issue(property=hotel, amount=Decimal(amount), **kw)


def pay_with(code, amount):
    return [TenderInput(method="gift_card", amount=amount, terminal_reference=code)]


def sell(terminal, cashier, lines, tenders):
    """A sale at the till of the test property (the terminal's)."""
    return order_checkout(
        property=terminal.property, terminal=terminal, actor=cashier, lines=lines, tenders=tenders
    )


def _account(entries, number):
    debit = sum((li.debit for e in entries for li in e.lines if li.account == number), Decimal(0))
    credit = sum((li.credit for e in entries for li in e.lines if li.account == number), Decimal(0))
    return debit, credit


def test_a_multi_purpose_card_is_sold_as_a_liability_and_spent_in_parts(
    hotel, catalog, product, terminal, cashier, gift_card_product
):
    sold = [line(gift_card_product)]
    sell(terminal, cashier, sold, [TenderInput(method="cash", amount=Decimal("50.00"))])
    issued = GiftCard.objects.get()
    assert issued.balance == Decimal("50.00") and len(issued.code) == 16
    assert issued.expires_on == hotel.business_date() + timedelta(days=365)

    drinks = [line(product("spritz"), "2")]
    price = due(hotel, drinks)
    order = sell(
        terminal, cashier, drinks, pay_with(issued.code.lower(), price)
    )  # typed in lower case: still found
    issued.refresh_from_db()
    assert issued.balance == Decimal("50.00") - price
    assert issued.status == GiftCard.Status.ACTIVE
    payment = order.ticket.payments.get()
    assert payment.method == "gift_card" and payment.terminal_reference == issued.masked_code
    # the full code (a bearer secret) is in no fiscal row
    assert not any(issued.code in str(e.payload) for e in JournalEntry.objects.all())

    entries = daily_entries(property=hotel, day=hotel.business_date())
    for entry in entries:
        assert entry.debit == entry.credit, entry
    # the card's sale credited the liability (no revenue, no VAT); its use debited it
    assert _account(entries, "419800") == (price, Decimal("50.00"))


def test_a_card_cannot_pay_more_than_its_balance_and_nothing_is_written(
    hotel, catalog, product, terminal, cashier
):
    small = card(hotel, "5.00")
    drinks = [line(product("spritz"))]
    before = snapshot()
    with pytest.raises(GiftCardRefused, match="does not cover"):
        sell(terminal, cashier, drinks, pay_with(small.code, due(hotel, drinks)))
    assert snapshot() == before
    small.refresh_from_db()
    assert small.balance == Decimal("5.00")
    # part by card, the rest in cash
    rest = due(hotel, drinks) - Decimal("5.00")
    sell(
        terminal,
        cashier,
        drinks,
        [*pay_with(small.code, Decimal("5.00")), TenderInput(method="cash", amount=rest)],
    )
    small.refresh_from_db()
    assert small.balance == 0 and small.status == GiftCard.Status.USED


def test_an_expired_or_unknown_card_is_refused(hotel, catalog, product, terminal, cashier):
    old = card(hotel, today=hotel.business_date() - timedelta(days=400))
    drinks = [line(product("spritz"))]
    with pytest.raises(GiftCardRefused, match="expired"):
        sell(terminal, cashier, drinks, pay_with(old.code, due(hotel, drinks)))
    with pytest.raises(GiftCardRefused, match="No gift card"):
        sell(terminal, cashier, drinks, pay_with("NOPE", due(hotel, drinks)))
    assert not Payment.objects.exists()


def test_a_single_use_voucher_used_twice_is_refused_the_second_time(
    hotel, catalog, product, terminal, cashier
):
    voucher = card(hotel, "30.00", single_use=True)
    drinks = [line(product("spritz"))]
    sell(terminal, cashier, drinks, pay_with(voucher.code, due(hotel, drinks)))
    with pytest.raises(GiftCardRefused, match="already been used"):
        sell(terminal, cashier, drinks, pay_with(voucher.code, due(hotel, drinks)))
    assert Payment.objects.filter(method="gift_card").count() == 1


def test_a_single_purpose_voucher_buys_only_what_it_was_sold_for(
    hotel, catalog, product, terminal, cashier
):
    spa = card(
        hotel,
        "80.00",
        kind=GiftCardKind.SINGLE_PURPOSE,
        revenue_category=RevenueCategory.SERVICES,
    )
    drinks = [line(product("spritz"))]
    with pytest.raises(GiftCardRefused, match="valid only"):
        sell(terminal, cashier, drinks, pay_with(spa.code, due(hotel, drinks)))


def test_a_multi_purpose_product_must_be_a_liability(hotel, catalog, product):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="liability"):
        spritz = product("spritz")
        spritz.gift_card_kind = GiftCardKind.MULTI_PURPOSE
        spritz.full_clean()


def test_a_refunded_sale_gives_the_card_its_balance_back(
    hotel, catalog, product, terminal, cashier, manager
):
    gift = card(hotel, "50.00")
    drinks = [line(product("spritz"))]
    order = sell(terminal, cashier, drinks, pay_with(gift.code, due(hotel, drinks)))
    order_refund(order=order, actor=manager, reason="wrong drink")
    gift.refresh_from_db()
    assert gift.balance == Decimal("50.00")
    kinds = list(GiftCardMovement.objects.filter(card=gift).values_list("kind", flat=True))
    assert kinds == ["issue", "redeem", "refund"]


@pytest.mark.django_db(transaction=True)
def test_twenty_tills_spending_one_card_at_once_succeed_exactly_five_times(hotel):
    gift = card(hotel, "5.00")
    results = race(
        [
            lambda i=i: gift_card_redeem(
                property=hotel, code=gift.code, amount=Decimal("1.00"), key=f"till-{i}"
            )
            for i in range(20)
        ]
    )
    assert sum(isinstance(r, GiftCard) for r in results) == 5
    assert all(isinstance(r, (GiftCard, GiftCardRefused)) for r in results), results
    gift.refresh_from_db()
    assert gift.balance == 0
    assert GiftCardMovement.objects.filter(card=gift, kind="redeem").count() == 5


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_sales_on_one_card_sell_five(hotel, catalog, product, cashier):
    drinks = [line(product("pastis"))]
    price = due(hotel, drinks)
    gift = card(hotel, str(price * 5))
    tills = [make_terminal(hotel, name=f"Caisse {i}") for i in range(20)]
    results = race(
        [
            lambda till=till: sell(till, cashier, drinks, pay_with(gift.code, price))
            for till in tills
        ]
    )
    assert sum(not isinstance(r, Exception) for r in results) == 5
    assert all(isinstance(r, GiftCardRefused) for r in results if isinstance(r, Exception)), results
    gift.refresh_from_db()
    assert gift.balance == 0
    assert Payment.objects.filter(method="gift_card").count() == 5


def test_refunding_the_sale_of_a_card_cancels_it_unless_it_was_spent(
    hotel, catalog, product, terminal, cashier, manager, gift_card_product
):
    from pos.models import Order

    def sell_card():
        return sell(
            terminal,
            cashier,
            [line(gift_card_product)],
            [TenderInput(method="cash", amount=Decimal("50.00"))],
        )

    unused = sell_card()
    order_refund(order=unused, actor=manager, reason="changed their mind")
    cancelled = GiftCard.objects.get()
    assert cancelled.status == GiftCard.Status.CANCELLED and cancelled.balance == 0
    spent_sale = sell_card()
    spent = GiftCard.objects.exclude(pk=cancelled.pk).get()
    drinks = [line(product("pastis"))]
    sell(terminal, cashier, drinks, pay_with(spent.code, due(hotel, drinks)))
    with pytest.raises(GiftCardRefused, match="has been used"):
        order_refund(order=spent_sale, actor=manager, reason="too late")
    assert Order.objects.get(pk=spent_sale.pk).status == Order.Status.PAID
    with pytest.raises(GiftCardRefused, match="is cancelled"):
        sell(terminal, cashier, drinks, pay_with(cancelled.code, due(hotel, drinks)))
