"""The one-transaction POS sale: ticket, capacity, payment or room charge, audit."""

from datetime import time
from decimal import Decimal

import pytest

from billing.exceptions import PaymentInvalid
from billing.models import FolioLine, Payment, Ticket, TicketVat
from billing.services.payments import TenderInput
from core.exceptions import PermissionDenied
from core.models import AuditEntry
from inventory.exceptions import SoldOut
from inventory.models import CapacityAllocation, Channel
from inventory.selectors import pools_availability
from pos.exceptions import NotInHouse
from pos.models import Order
from pos.services.checkout import order_checkout
from tests.factories.stays import make_stay
from tests.pos.helpers import cash, due, line, snapshot

pytestmark = pytest.mark.django_db

D = Decimal


def test_cash_sale_gives_change_and_writes_everything(hotel, catalog, product, terminal, cashier):
    # given a spritz (11.00, 20 %) and two coffees (2 × 2.50, 10 %)
    lines = [line(product("spritz")), line(product("cafe"), "2")]
    # when
    order = order_checkout(
        property=hotel,
        terminal=terminal,
        actor=cashier,
        lines=lines,
        tenders=[TenderInput(method="cash", amount=D("16.00"), tendered=D("20.00"))],
    )
    # then
    assert order.status == Order.Status.PAID
    ticket = Ticket.objects.get()
    assert order.ticket == ticket and ticket.number == 1
    assert ticket.total == D("16.00") and ticket.total_vat == D("2.28")
    payment = Payment.objects.get()
    assert (payment.method, payment.amount, payment.tendered, payment.change) == (
        "cash",
        D("16.00"),
        D("20.00"),
        D("4.00"),
    )
    assert list(TicketVat.objects.values_list("rate", "net", "vat", "gross")) == [
        (D("20.00"), D("9.17"), D("1.83"), D("11.00")),
        (D("10.00"), D("4.55"), D("0.45"), D("5.00")),
    ]
    spritz = ticket.lines.get(product=product("spritz"))
    assert (spritz.vat_rate, spritz.vat_amount, spritz.net, spritz.revenue_category) == (
        D("20.00"),
        D("1.83"),
        D("9.17"),
        "alcohol",
    )
    assert spritz.applied_rule == "public"
    entry = AuditEntry.objects.get(action="pos.order.checked_out")
    assert entry.actor == cashier and entry.channel == "pos"
    assert entry.terminal == "Bar de la Piscine · Caisse 1"
    assert entry.business_date == hotel.business_date()


def test_split_tender_card_and_cash(hotel, catalog, product, terminal, cashier):
    order = order_checkout(
        property=hotel,
        terminal=terminal,
        actor=cashier,
        lines=[line(product("entrecote")), line(product("rose"))],  # 29 + 7
        tenders=[
            TenderInput(method="card", amount=D("30.00"), terminal_reference="AUTH-123456"),
            TenderInput(method="cash", amount=D("6.00"), tendered=D("10.00")),
        ],
    )
    payments = list(order.ticket.payments.order_by("pk"))
    assert [(p.method, p.amount, p.change) for p in payments] == [
        ("card", D("30.00"), D("0.00")),
        ("cash", D("6.00"), D("4.00")),
    ]
    assert payments[0].terminal_reference == "AUTH-123456"


@pytest.mark.parametrize(
    "tenders, message",
    [
        ([TenderInput(method="cash", amount=D("10.00"))], "must add up"),
        ([TenderInput(method="cash", amount=D("11.00"), tendered=D("10.00"))], "less than"),
        ([TenderInput(method="card", amount=D("11.00"))], "reference"),
        (
            [
                TenderInput(
                    method="card", amount=D("11.00"), terminal_reference="4970 1012 3456 7890"
                )
            ],
            "card number",
        ),
        ([TenderInput(method="bitcoin", amount=D("11.00"))], "Unknown payment method"),
        ([TenderInput(method="cash", amount=D("-11.00"))], "positive"),
    ],
)
def test_bad_tenders_are_refused_and_nothing_is_written(
    hotel, catalog, product, terminal, cashier, tenders, message
):
    before = snapshot()
    with pytest.raises(PaymentInvalid) as err:
        order_checkout(
            property=hotel,
            terminal=terminal,
            actor=cashier,
            lines=[line(product("spritz"))],
            tenders=tenders,
        )
    assert message in str(err.value.message)
    assert snapshot() == before


def test_room_charge_lands_on_the_folio_with_vat_per_rate(
    hotel, catalog, product, terminal, cashier
):
    stay = make_stay(hotel, room_number="12")
    order = order_checkout(
        property=hotel,
        terminal=terminal,
        actor=cashier,
        lines=[line(product("spritz"), "2"), line(product("salade-nicoise"))],
        room_number="12",
    )
    folio = stay.reservation.folio
    assert order.status == Order.Status.CHARGED_TO_ROOM
    assert order.reservation == stay.reservation and order.guest == stay.reservation.guest
    ticket = order.ticket
    assert ticket.status == Ticket.Status.CHARGED_TO_ROOM and ticket.folio == folio
    assert not Payment.objects.exists()
    lines = list(FolioLine.objects.filter(folio=folio).order_by("pk"))
    assert [(fl.total, fl.vat_rate, fl.vat_amount, fl.net) for fl in lines] == [
        (D("22.00"), D("20.00"), D("3.67"), D("18.33")),
        (D("18.00"), D("10.00"), D("1.64"), D("16.36")),
    ]
    assert [fl.source for fl in lines] == [f"pos.ticketline:{tl.pk}" for tl in ticket.lines.all()]
    assert lines[0].terminal == "Bar de la Piscine · Caisse 1"


def test_room_charge_to_an_empty_room_writes_nothing(hotel, catalog, product, terminal, cashier):
    make_stay(hotel, room_number="14")
    make_stay(hotel, room_number="12", status="checked_out", reference="GONE")
    before = snapshot()
    with pytest.raises(NotInHouse) as err:
        order_checkout(
            property=hotel,
            terminal=terminal,
            actor=cashier,
            lines=[line(product("spritz"))],
            room_number="12",
        )
    assert err.value.message == "Room 12 has no guest in house."
    assert snapshot() == before


def test_sale_linked_to_a_stay_is_paid_not_charged(hotel, catalog, product, terminal, cashier):
    stay = make_stay(hotel, room_number="21")
    day = hotel.business_date()
    lines = [line(product("massage-60"), start=day, slot_time=time(14, 0))]
    order = order_checkout(
        property=hotel,
        terminal=terminal,
        actor=cashier,
        lines=lines,
        tenders=[TenderInput(method="card", amount=due(hotel, lines), terminal_reference="TX-9")],
        reservation=stay.reservation,
    )
    assert order.status == Order.Status.PAID
    assert order.reservation == stay.reservation
    assert order.ticket.guest == stay.reservation.guest and order.ticket.folio is None
    assert not FolioLine.objects.exists()
    allocation = CapacityAllocation.objects.get()
    assert allocation.reference == f"pos.order:{order.pk}" and allocation.channel == Channel.POS


def test_replay_with_the_same_client_key_creates_nothing(
    hotel, catalog, product, terminal, cashier
):
    kwargs = dict(
        property=hotel,
        terminal=terminal,
        actor=cashier,
        lines=[line(product("panier-gourmand"))],
        tenders=cash(hotel, [line(product("panier-gourmand"))]),
        client_key="tablet-1:sale-77",
    )
    first = order_checkout(**kwargs)
    before = snapshot()
    again = order_checkout(**kwargs)
    assert again.pk == first.pk and again.ticket.number == first.ticket.number
    assert snapshot() == before


def test_replay_of_the_sale_that_took_the_last_unit_returns_it_not_sold_out(
    hotel, catalog, product, terminal, cashier
):
    baskets = [line(product("panier-gourmand"), "12")]  # all of them
    kwargs = dict(
        property=hotel,
        terminal=terminal,
        actor=cashier,
        lines=baskets,
        tenders=cash(hotel, baskets),
        client_key="tablet-1:sale-78",
    )
    first = order_checkout(**kwargs)
    before = snapshot()
    # the retry would be sold out (its first attempt took the stock): it gets the first sale
    again = order_checkout(**kwargs)
    assert again.pk == first.pk and again.ticket.number == first.ticket.number
    terminal.is_active = False  # and still after the till is switched off
    terminal.save()
    assert order_checkout(**kwargs).pk == first.pk
    assert snapshot() == before
    terminal.is_active = True
    terminal.save()
    with pytest.raises(SoldOut):  # a new key is a new sale
        order_checkout(**{**kwargs, "client_key": "tablet-1:sale-79"})


def test_sold_out_on_line_three_of_four_leaves_no_row(hotel, catalog, product, terminal, cashier):
    # given 11 of the 12 baskets already sold
    order_checkout(
        property=hotel,
        terminal=terminal,
        actor=cashier,
        lines=[line(product("panier-gourmand"), "11")],
        tenders=cash(hotel, [line(product("panier-gourmand"), "11")]),
    )
    before = snapshot()
    day = hotel.business_date()
    # when the third line asks for two baskets
    lines = [
        line(product("spritz")),
        line(product("pass-piscine"), start=day),
        line(product("panier-gourmand"), "2"),
        line(product("cafe")),
    ]
    with pytest.raises(SoldOut):
        order_checkout(
            property=hotel,
            terminal=terminal,
            actor=cashier,
            lines=lines,
            tenders=cash(hotel, lines),
        )
    # then nothing at all was written, and the ticket numbering has no gap
    assert snapshot() == before
    order = order_checkout(
        property=hotel,
        terminal=terminal,
        actor=cashier,
        lines=[line(product("cafe"))],
        tenders=[TenderInput(method="cash", amount=D("2.50"))],
    )
    assert order.ticket.number == 2


def test_last_basket_sold_at_the_shop_is_gone_online_at_once(
    hotel, catalog, product, terminal, cashier
):
    baskets = product("panier-gourmand").capacity_pool
    day = hotel.business_date()

    def available(channel):
        return pools_availability(
            property=hotel, pool_ids=[baskets.pk], start=day, end=day, channel=channel
        )[baskets.pk][0].available

    order_checkout(
        property=hotel,
        terminal=terminal,
        actor=cashier,
        lines=[line(product("panier-gourmand"), "11")],
        tenders=cash(hotel, [line(product("panier-gourmand"), "11")]),
    )
    assert available(Channel.POS) == 1
    order_checkout(
        property=hotel,
        terminal=terminal,
        actor=cashier,
        lines=[line(product("panier-gourmand"))],
        tenders=cash(hotel, [line(product("panier-gourmand"))]),
    )
    assert available(Channel.POS) == 0
    assert available(Channel.BOOKING_ENGINE) == 0
    with pytest.raises(SoldOut):
        order_checkout(
            property=hotel,
            terminal=terminal,
            actor=cashier,
            lines=[line(product("panier-gourmand"))],
            tenders=[TenderInput(method="cash", amount=D("45.00"))],
        )


def test_price_override_needs_the_right(hotel, catalog, product, terminal, cashier):
    before = snapshot()
    with pytest.raises(PermissionDenied):
        order_checkout(
            property=hotel,
            terminal=terminal,
            actor=cashier,
            lines=[line(product("spritz"), unit_price_override=D("5.00"))],
            tenders=[TenderInput(method="cash", amount=D("5.00"))],
        )
    assert snapshot() == before
    order = order_checkout(
        property=hotel,
        terminal=terminal,
        actor=cashier,
        lines=[line(product("spritz"), unit_price_override=D("5.00"))],
        tenders=[TenderInput(method="cash", amount=D("5.00"))],
        allow_price_override=True,
    )
    assert order.ticket.lines.get().applied_rule == "override"


def _bar_lines(product, count):
    codes = ["cafe", "coca", "biere", "rose", "spritz", "salade-nicoise", "loup"]
    return [line(product(codes[i % len(codes)])) for i in range(count)]


@pytest.mark.parametrize("client_key", [None, "tablet-1:new"])
@pytest.mark.parametrize("count", [5, 50])
def test_checkout_runs_at_most_12_queries_whatever_the_lines(
    hotel, catalog, product, terminal, cashier, django_assert_max_num_queries, count, client_key
):
    lines = _bar_lines(product, count)
    tenders = cash(hotel, lines)
    # the property's first sale creates its ticket sequence and journal head: measure the next
    order_checkout(property=hotel, terminal=terminal, actor=cashier, lines=lines, tenders=tenders)
    # a new sale with a key pays no replay lookup; 10 statements and the savepoint pair:
    # products, number, ticket, lines, VAT, journal head, entry, payment, order, audit
    with django_assert_max_num_queries(12):
        order = order_checkout(
            property=hotel,
            terminal=terminal,
            actor=cashier,
            lines=lines,
            tenders=tenders,
            client_key=client_key,
        )
    assert order.ticket.lines.count() == count


def _count_queries(run) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        run()
    return len(ctx.captured_queries)


def test_checkout_with_capacity_and_room_charge_is_constant_in_queries(
    hotel, catalog, product, terminal, cashier
):
    # capacity lines add inventory's own constant work (pools, buckets lock, stop-sells,
    # allocations, the order's id taken first): the count must not grow with the number of
    # lines, and stays within 16 (one UPDATE takes both pools)
    make_stay(hotel, room_number="12")
    day = hotel.business_date()

    def mixed(count):
        return _bar_lines(product, count - 2) + [
            line(product("panier-gourmand")),
            line(product("pass-piscine"), start=day),
        ]

    def paid(count):
        lines = mixed(count)
        tenders = cash(hotel, lines)
        return lambda: order_checkout(
            property=hotel, terminal=terminal, actor=cashier, lines=lines, tenders=tenders
        )

    def charged(count):
        lines = _bar_lines(product, count)
        return lambda: order_checkout(
            property=hotel, terminal=terminal, actor=cashier, lines=lines, room_number="12"
        )

    _count_queries(paid(5))  # first ticket of the property creates its number sequence
    assert _count_queries(paid(5)) == _count_queries(paid(50)) <= 16
    # a room charge has a guest: + the guest's loyalty programme (crm)
    assert _count_queries(charged(5)) == _count_queries(charged(50)) <= 19
