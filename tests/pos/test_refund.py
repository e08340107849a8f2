"""Refunding a POS sale: capacity back on sale, negative payments or reversing folio lines."""

from decimal import Decimal

import pytest

from billing.models import FolioLine, Payment
from billing.services.folios import folio_totals
from billing.services.payments import TenderInput
from core.exceptions import InvalidInput
from core.models import AuditEntry
from inventory.models import Channel
from inventory.selectors import pools_availability
from pos.exceptions import AlreadyRefunded
from pos.models import Order
from pos.services.checkout import order_checkout, order_refund
from tests.factories.stays import make_stay
from tests.pos.helpers import due, line, snapshot

pytestmark = pytest.mark.django_db
D = Decimal


def _available(hotel, pool, day, channel=Channel.POS):
    return pools_availability(
        property=hotel, pool_ids=[pool.pk], start=day, end=day, channel=channel
    )[pool.pk][0].available


def test_refund_releases_capacity_and_pays_back_each_tender(
    hotel, catalog, product, terminal, cashier, manager
):
    # given two baskets paid by card and cash
    baskets = product("panier-gourmand").capacity_pool
    day = hotel.business_date()
    lines = [line(product("panier-gourmand"), "2")]
    total = due(hotel, lines)
    order = order_checkout(
        property=hotel,
        terminal=terminal,
        actor=cashier,
        lines=lines,
        tenders=[
            TenderInput(method="card", amount=total - D("10.00"), terminal_reference="A1"),
            TenderInput(method="cash", amount=D("10.00"), tendered=D("20.00")),
        ],
    )
    assert _available(hotel, baskets, day) == 10
    # when
    refunded = order_refund(order=order, actor=manager, reason="Damaged basket")
    # then
    assert refunded.status == Order.Status.REFUNDED and refunded.refunded_by == manager
    assert _available(hotel, baskets, day) == 12
    refunds = list(Payment.objects.filter(amount__lt=0).order_by("pk"))
    assert [(p.method, p.amount, p.terminal_reference) for p in refunds] == [
        ("card", -(total - D("10.00")), "A1"),
        ("cash", D("-10.00"), ""),
    ]
    assert sum(p.amount for p in order.ticket.payments.all()) == D("0.00")
    entry = AuditEntry.objects.get(action="pos.order.refunded")
    assert entry.actor == manager and entry.data["reason"] == "Damaged basket"
    assert entry.data["capacity_released"] == 2


def test_refund_cannot_run_twice(hotel, catalog, product, terminal, cashier, manager):
    lines = [line(product("panier-gourmand"))]
    order = order_checkout(
        property=hotel,
        terminal=terminal,
        actor=cashier,
        lines=lines,
        tenders=[TenderInput(method="cash", amount=due(hotel, lines))],
    )
    order_refund(order=order, actor=manager, reason="Mistake")
    before = snapshot()
    with pytest.raises(AlreadyRefunded):
        order_refund(order=order, actor=manager, reason="Mistake")
    assert snapshot() == before


def test_refund_needs_a_reason(hotel, catalog, product, terminal, cashier, manager):
    order = order_checkout(
        property=hotel,
        terminal=terminal,
        actor=cashier,
        lines=[line(product("cafe"))],
        tenders=[TenderInput(method="cash", amount=D("2.50"))],
    )
    before = snapshot()
    with pytest.raises(InvalidInput):
        order_refund(order=order, actor=manager, reason="  ")
    assert snapshot() == before
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_refund_of_a_room_charge_reverses_the_folio_lines(
    hotel, catalog, product, terminal, cashier, manager
):
    stay = make_stay(hotel, room_number="12")
    folio = stay.reservation.folio
    order = order_checkout(
        property=hotel,
        terminal=terminal,
        actor=cashier,
        lines=[line(product("spritz")), line(product("cafe"))],
        room_number="12",
    )
    assert folio_totals(folio=folio)["balance"] == D("13.50")
    order_refund(order=order, actor=manager, reason="Wrong room")
    originals = list(FolioLine.objects.filter(folio=folio, reverses__isnull=True).order_by("pk"))
    reversals = list(FolioLine.objects.filter(folio=folio, reverses__isnull=False).order_by("pk"))
    assert [r.reverses_id for r in reversals] == [o.pk for o in originals]
    assert [(r.total, r.vat_amount, r.net) for r in reversals] == [
        (D("-11.00"), D("-1.83"), D("-9.17")),
        (D("-2.50"), D("-0.23"), D("-2.27")),
    ]
    assert folio_totals(folio=folio)["balance"] == D("0.00")
    assert not Payment.objects.exists()
