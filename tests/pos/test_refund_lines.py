"""Refunding some lines and quantities of a POS sale: a credit ticket, the money back in the
tender chosen, the capacity of the refunded units back on sale, never more than is left."""

from decimal import Decimal

import pytest

from billing.models import FolioLine, Payment, Ticket
from billing.services.folios import folio_totals
from billing.services.journal import journal_verify
from billing.services.payments import TenderInput
from billing.services.verification import property_verify
from core.exceptions import InvalidInput
from core.models import AuditEntry
from inventory.models import Channel
from inventory.selectors import pools_availability
from pos.exceptions import AlreadyRefunded
from pos.models import Order
from pos.services.checkout import order_checkout, order_refund
from pos.services.refunds import order_refund_any, order_refund_lines, refundable_lines
from tests.concurrency import race
from tests.factories.stays import make_stay
from tests.pos.helpers import due, line, snapshot

pytestmark = pytest.mark.django_db
D = Decimal


def _available(hotel, pool, day):
    return pools_availability(
        property=hotel, pool_ids=[pool.pk], start=day, end=day, channel=Channel.POS
    )[pool.pk][0].available


def _sale(hotel, terminal, cashier, lines, method="card"):
    total = due(hotel, lines)
    return order_checkout(
        property=hotel,
        terminal=terminal,
        actor=cashier,
        lines=lines,
        tenders=[TenderInput(method=method, amount=total, terminal_reference="A1")],
    )


def _lines(order):
    return {row.line.description: row for row in refundable_lines(ticket=order.ticket)}


def test_two_of_three_baskets_refunded_in_cash_give_back_two_units_and_their_price(
    hotel, catalog, product, terminal, cashier, manager
):
    baskets = product("panier-gourmand")
    day = hotel.business_date()
    order = _sale(hotel, terminal, cashier, [line(baskets, "3"), line(product("cafe"))])
    assert _available(hotel, baskets.capacity_pool, day) == 9
    basket_line = order.ticket.lines.get(product=baskets)
    # when two baskets are refunded in cash
    refund = order_refund_lines(
        order=order,
        actor=manager,
        reason="Abîmés",
        quantities={basket_line.pk: D("2")},
        method="cash",
    )
    # then a credit ticket names the sale and holds the two baskets, negated
    credit = refund.credit.ticket
    assert credit.credits_id == order.ticket_id and credit.number == order.ticket.number + 1
    assert [(x.quantity, x.total, x.credits_id) for x in credit.lines.all()] == [
        (D("-2"), -(basket_line.total * 2 / 3).quantize(D("0.01")), basket_line.pk)
    ]
    assert list(Payment.objects.filter(amount__lt=0).values_list("method", "amount")) == [
        ("cash", credit.total)
    ]
    assert _available(hotel, baskets.capacity_pool, day) == 11
    order.refresh_from_db()
    assert order.status == Order.Status.PAID  # a basket and the coffee are still sold
    rows = _lines(order)
    assert rows[basket_line.description].left == D("1")
    assert [r.left for r in rows.values()] == [D("1"), D("1")]
    entry = AuditEntry.objects.get(action="pos.order.lines_refunded")
    assert entry.actor == manager and entry.data["credit_ticket"] == credit.number
    assert journal_verify(property=hotel, chain="fiscal").ok
    assert not property_verify(property=hotel).problems


def test_refunding_the_rest_line_by_line_adds_up_to_the_sale_and_closes_it(
    hotel, catalog, product, terminal, cashier, manager
):
    baskets = product("panier-gourmand")
    order = _sale(hotel, terminal, cashier, [line(baskets, "3")])
    basket_line = order.ticket.lines.get()
    for _ in range(3):
        order_refund_lines(
            order=order, actor=manager, reason="Retour", quantities={basket_line.pk: D("1")}
        )
    credits = Ticket.objects.filter(credits=order.ticket)
    assert sum(c.total for c in credits) == -order.ticket.total  # to the cent
    assert sum(p.amount for p in Payment.objects.all()) == D("0.00")
    assert Payment.objects.filter(amount__lt=0, method="card").count() == 3
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED
    with pytest.raises(AlreadyRefunded):
        order_refund_any(order=order, actor=manager, reason="Encore")


def test_a_second_refund_cannot_exceed_what_is_left_and_changes_nothing(
    hotel, catalog, product, terminal, cashier, manager
):
    order = _sale(hotel, terminal, cashier, [line(product("panier-gourmand"), "2")])
    basket_line = order.ticket.lines.get()
    order_refund_lines(order=order, actor=manager, reason="1", quantities={basket_line.pk: D("1")})
    before = snapshot()
    with pytest.raises(InvalidInput) as refused:
        order_refund_lines(
            order=order, actor=manager, reason="2", quantities={basket_line.pk: D("2")}
        )
    assert "Only 1 of" in str(refused.value.message)
    assert snapshot() == before
    # nor may the whole ticket be voided once a part of it was refunded
    with pytest.raises(InvalidInput):
        order_refund(order=order, actor=manager, reason="tout")
    assert snapshot() == before
    # the whole refund now refunds what is left
    order_refund_any(order=order, actor=manager, reason="le reste")
    assert _lines(order)[basket_line.description].left == D("0")


@pytest.mark.parametrize(
    "quantities,method",
    [({}, "cash"), ({0: D("1")}, "cash"), ("line", "gift_card"), ("line", "bank_transfer")],
)
def test_bad_refunds_are_refused_with_nothing_changed(
    hotel, catalog, product, terminal, cashier, manager, quantities, method
):
    order = _sale(hotel, terminal, cashier, [line(product("cafe"))])
    if quantities == "line":
        quantities = {order.ticket.lines.get().pk: D("1")}
    before = snapshot()
    with pytest.raises(InvalidInput):
        order_refund_lines(
            order=order, actor=manager, reason="x", quantities=quantities, method=method
        )
    assert snapshot() == before


def test_a_room_charged_line_is_taken_off_the_folio(
    hotel, catalog, product, terminal, cashier, manager
):
    stay = make_stay(hotel, room_number="12")
    folio = stay.reservation.folio
    order = order_checkout(
        property=hotel,
        terminal=terminal,
        actor=cashier,
        lines=[line(product("spritz"), "2"), line(product("cafe"))],
        room_number="12",
    )
    assert folio_totals(folio=folio)["balance"] == D("24.50")
    spritz = order.ticket.lines.get(product=product("spritz"))
    order_refund_lines(
        order=order, actor=manager, reason="Renversé", quantities={spritz.pk: D("1")}
    )
    assert folio_totals(folio=folio)["balance"] == D("13.50")
    credit_line = FolioLine.objects.get(total__lt=0)
    assert credit_line.quantity == D("-1") and credit_line.total == D("-11.00")
    assert not Payment.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_managers_refunding_the_last_unit_at_once_refund_it_once(
    hotel, catalog, product, terminal, cashier, manager
):
    order = _sale(hotel, terminal, cashier, [line(product("panier-gourmand"), "1")])
    basket_line = order.ticket.lines.get()
    results = race(
        [
            lambda: order_refund_lines(
                order=order, actor=manager, reason="x", quantities={basket_line.pk: D("1")}
            )
            for _ in range(2)
        ]
    )
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 1 and isinstance(refused[0], AlreadyRefunded | InvalidInput)
    assert Ticket.objects.filter(credits=order.ticket).count() == 1
    assert Payment.objects.filter(amount__lt=0).count() == 1
