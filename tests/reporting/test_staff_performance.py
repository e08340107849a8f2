"""Staff performance from the fiscal documents (sales, covers, basket, tips, discounts,
voids and refunds per person), equal to a hand computation over the raw rows, in a constant
number of queries; the employee-anomaly alert reads the same figures; the tips pooled by
hours worked sum to the cent."""

from collections import defaultdict
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import JournalEntry, Ticket, TicketLine
from core.formatting import money
from core.models import AuditEntry, Membership, Role
from core.money import split_largest_remainder
from pos.services.checkout import SaleRequest, order_refund, sale_checkout
from reporting.models import Alert
from reporting.periods import Period
from reporting.services import alerts_evaluate
from reporting.staff import staff_performance, staff_report
from tests.factories.core import PropertyFactory, make_staff
from tests.factories.pos import make_terminal
from tests.pos.helpers import cash, due, line
from timeclock.models import TimeclockSettings, WorkedShift

ZERO = Decimal("0.00")


@pytest.fixture
def bar(hotel):
    return make_terminal(hotel, outlet_code="bar", outlet_name="Bar")


@pytest.fixture
def people(hotel):
    return {
        name: make_staff(hotel, role, username=name)
        for name, role in (("alice", Role.WAITER), ("bob", Role.BARTENDER), ("chloe", Role.WAITER))
    }


def sell(hotel, terminal, actor, lines, *, tip=ZERO, covers=0):
    tenders = cash(hotel, lines)
    if tip:
        from billing.services.payments import TenderInput

        tenders = [TenderInput(method="cash", amount=due(hotel, lines) + tip)]
    return sale_checkout(
        SaleRequest(
            property=hotel,
            terminal=terminal,
            actor=actor,
            lines=lines,
            tenders=tenders,
            tip=tip,
            covers=covers,
        )
    ).order


@pytest.fixture
def day(hotel, catalog, product, bar, people, manager):
    """Alice: 2 spritz (tip 3.00, 2 covers), a pastis (1 cover), a spritz refunded. Bob: a
    pastis (tip 1.50, 1 cover) and a hand-made ticket with a 4.00 discount."""
    alice, bob = people["alice"], people["bob"]
    sell(hotel, bar, alice, [line(product("spritz"), "2")], tip=Decimal("3.00"), covers=2)
    sell(hotel, bar, alice, [line(product("pastis"))], covers=1)
    refunded = sell(hotel, bar, alice, [line(product("spritz"))], covers=1)
    order_refund(order=refunded, actor=manager, reason="wrong table")
    sell(hotel, bar, bob, [line(product("pastis"))], tip=Decimal("1.50"), covers=1)
    ticket = Ticket.objects.create(
        property=hotel,
        number=90001,
        business_date=hotel.business_date(),
        status="paid",
        outlet="Bar",
        terminal="Bar · Caisse 1",
        cashier=bob,
        total=Decimal("16.00"),
        total_vat=Decimal("2.67"),
    )
    TicketLine.objects.create(
        ticket=ticket,
        description="Champagne",
        quantity=1,
        unit_price=Decimal("20.00"),
        total=Decimal("16.00"),
        vat_rate=Decimal("20.00"),
        vat_amount=Decimal("2.67"),
        net=Decimal("13.33"),
        revenue_category="alcohol",
        discount=Decimal("4.00"),
    )
    return Period(hotel.business_date(), hotel.business_date())


def by_hand(hotel, period):
    """The figures computed over the raw rows, one Python loop per table."""
    voided = {
        int(pk)
        for pk in JournalEntry.objects.filter(
            property=hotel, kind=JournalEntry.Kind.VOID, document_type="billing.ticket"
        ).values_list("document_id", flat=True)
    }
    out = defaultdict(lambda: defaultdict(lambda: ZERO))
    for t in Ticket.objects.filter(property=hotel).select_related("order"):
        f = out[t.cashier.username]
        f["tickets"] += 1
        if t.pk in voided:
            f["voids"] += 1
            f["refunded"] += t.total
            continue
        f["sales"] += 1
        f["gross"] += t.total
        f["net"] += t.total - t.total_vat
        f["tips"] += t.tip
        f["covers"] += getattr(t, "order", None) and t.order.covers or 0
    for tl in TicketLine.objects.filter(ticket__property=hotel).select_related("ticket__cashier"):
        out[tl.ticket.cashier.username]["discounts"] += tl.discount
    return out


def test_the_figures_equal_the_hand_computation(hotel, day):
    expected = by_hand(hotel, day)
    with CaptureQueriesContext(connection) as queries:
        figures = {f.username: f for f in staff_performance(properties=[hotel.pk], period=day)}
    assert len(queries) == 4
    assert set(figures) == {"alice", "bob"}
    for name, f in figures.items():
        e = expected[name]
        assert (f.tickets, f.sales_tickets, f.voids, f.covers) == (
            e["tickets"],
            e["sales"],
            e["voids"],
            e["covers"],
        )
        assert (f.gross, f.net, f.tips, f.discounts, f.refunded) == (
            e["gross"],
            e["net"],
            e["tips"],
            e["discounts"],
            e["refunded"],
        )
        assert f.average_basket == (e["net"] / e["sales"]).quantize(Decimal("0.01"))
    alice, bob = figures["alice"], figures["bob"]
    assert (alice.tickets, alice.sales_tickets, alice.voids, alice.covers) == (3, 2, 1, 3)
    assert (alice.tips, bob.tips, bob.discounts) == (
        Decimal("3.00"),
        Decimal("1.50"),
        Decimal("4.00"),
    )


def test_the_query_count_does_not_grow(hotel, day, catalog, product, bar):
    with CaptureQueriesContext(connection) as few:
        staff_performance(properties=[hotel.pk], period=day)
    for n in range(5):
        extra = make_staff(hotel, Role.WAITER, username=f"extra{n}")
        sell(hotel, bar, extra, [line(product("pastis"))], covers=1)
    with CaptureQueriesContext(connection) as many:
        rows = staff_performance(properties=[hotel.pk], period=day)
    assert len(rows) == 7
    assert len(many) == len(few) == 4


def test_the_void_rate_alert_reads_the_same_figures(hotel, catalog, product, bar, manager):
    careless = make_staff(hotel, Role.CASHIER, username="careless")
    steady = make_staff(hotel, Role.CASHIER, username="steady")
    orders = [sell(hotel, bar, careless, [line(product("pastis"))]) for _n in range(10)]
    for _n in range(20):
        sell(hotel, bar, steady, [line(product("pastis"))])
    for order in orders[:3]:
        order_refund(order=order, actor=manager, reason="mistake")
    today = hotel.business_date()
    figures = {
        f.username: f for f in staff_performance(properties=[hotel.pk], period=Period(today, today))
    }
    alerts_evaluate(property=hotel, today=today + timedelta(days=1))
    alert = Alert.objects.get(kind=Alert.Kind.VOID_RATE)
    assert alert.data["employee"] == "careless"
    assert Decimal(alert.data["rate"]) == figures["careless"].void_rate.quantize(Decimal("0.1"))
    assert not Alert.objects.filter(kind=Alert.Kind.VOID_RATE, data__employee="steady").exists()


def test_largest_remainder_sums_to_the_cent():
    assert split_largest_remainder(Decimal("10.00"), {"a": 1, "b": 1, "c": 1}) == {
        "a": Decimal("3.34"),
        "b": Decimal("3.33"),
        "c": Decimal("3.33"),
    }
    shares = split_largest_remainder(Decimal("100.01"), {n: n * 7 + 1 for n in range(13)})
    assert sum(shares.values()) == Decimal("100.01")
    assert split_largest_remainder(Decimal("5.00"), {"a": 0}) == {"a": Decimal("0.00")}


def _worked(hotel, user, day, start, end):
    WorkedShift.objects.create(
        property=hotel,
        user=user,
        clock_in=datetime.combine(day, start, tzinfo=hotel.tz),
        clock_out=datetime.combine(day, end, tzinfo=hotel.tz),
    )


def test_the_pooled_tips_are_shared_by_hours_worked(hotel, day, people):
    TimeclockSettings.objects.create(property=hotel, tips_pooled=True)
    # Alice 7 h, Bob 3 h, Chloé 2 h 20 (she sold nothing): 4.50 of tips
    _worked(hotel, people["alice"], day.start, time(8), time(15))
    _worked(hotel, people["bob"], day.start, time(18), time(21))
    _worked(hotel, people["chloe"], day.start, time(12), time(14, 20))
    figures, pool = staff_report(property=hotel, period=day)
    shares = {f.username: f.tip_share for f in figures}
    # 450 cents × 25200 / 44400 = 255.41, × 10800 / 44400 = 109.46, × 8400 / 44400 = 85.14:
    # floors 255 + 109 + 85 = 449, the last cent to the largest remainder (Bob's .46)
    assert pool.total == Decimal("4.50")
    assert shares == {"alice": Decimal("2.55"), "bob": Decimal("1.10"), "chloe": Decimal("0.85")}
    assert sum(shares.values()) == pool.total


def test_the_staff_screen(client, hotel, day, manager, people):
    client.force_login(manager)
    page = client.get(
        f"/reporting/staff/?period=custom&start={day.start}&end={day.end}"
    ).content.decode()
    assert 'data-testid="staff-alice"' in page and "€3.00" in page
    response = client.post("/reporting/staff/", {"tips_pooled": "1"})
    assert response.status_code == 302
    assert TimeclockSettings.objects.get(property=hotel).tips_pooled
    assert AuditEntry.objects.filter(action="timeclock.settings.updated").exists()
    page = client.get(f"/reporting/staff/?period=custom&start={day.start}&end={day.end}")
    assert 'data-testid="pool-total"' in page.content.decode()
    assert client.get("/reporting/staff/?period=custom&start=x").status_code == 400
    client.force_login(people["alice"])
    assert client.get("/reporting/staff/").status_code == 403
    assert client.post("/reporting/staff/", {"tips_pooled": ""}).status_code == 403


def _ticket(prop, cashier, number, total):
    return Ticket.objects.create(
        property=prop,
        number=number,
        business_date=prop.business_date(),
        status="paid",
        outlet="Bar",
        terminal="Bar · Caisse 1",
        cashier=cashier,
        total=Decimal(total),
        total_vat=Decimal("0.00"),
    )


def test_an_organisation_manager_sees_every_property_they_manage(
    client, hotel, other_hotel, day, manager, people
):
    sister = PropertyFactory(organization=hotel.organization, slug="soeur", name="Soeur")
    served = PropertyFactory(organization=hotel.organization, slug="servie", name="Servie")
    Membership.objects.create(user=manager, property=sister, role=Role.MANAGER)
    Membership.objects.create(user=manager, property=served, role=Role.WAITER)
    Membership.objects.create(user=people["bob"], property=sister, role=Role.BARTENDER)
    _ticket(sister, people["bob"], 1, "50.00")
    _ticket(served, make_staff(served, Role.WAITER, username="servie-waiter"), 1, "70.00")
    _ticket(other_hotel, make_staff(other_hotel, Role.WAITER, username="elsewhere"), 1, "90.00")
    here = {f.username: f for f in staff_performance(properties=[hotel.pk], period=day)}
    client.force_login(manager)
    session = client.session
    session["active_property_id"] = hotel.pk
    session.save()
    url = f"/reporting/staff/?period=custom&start={day.start}&end={day.end}"
    page = client.get(url).content.decode()
    bob_row = page.split('data-testid="staff-bob"')[1].split("</tr>")[0]
    assert money(here["bob"].gross) in bob_row
    assert 'data-testid="tips-setting"' in page
    response = client.get(url + "&scope=organization")
    assert response.status_code == 200
    page = response.content.decode()
    bob_row = page.split('data-testid="staff-bob"')[1].split("</tr>")[0]
    assert money(here["bob"].gross + Decimal("50.00")) in bob_row  # his bar and the sister's
    assert "servie-waiter" not in page and "elsewhere" not in page  # not managed / not ours
    assert 'data-testid="tips-setting"' not in page  # the pool is a property's choice
    assert "Les Tests" in page.split('data-testid="staff-properties"')[1].split("</p>")[0]
