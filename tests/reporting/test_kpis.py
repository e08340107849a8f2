"""The dashboard's KPIs equal an independent computation from the raw rows of a month."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import Role
from reporting.facts import facts_refresh
from reporting.periods import Period
from reporting.selectors import dashboard
from tests.factories.core import make_staff
from tests.reporting.month import build_month, expected


@pytest.fixture
def month(hotel):
    staff = [make_staff(hotel, Role.CASHIER, username=f"cashier{i}") for i in range(3)]
    month = build_month(hotel, staff)
    facts_refresh(property=hotel)
    return month


def _check(month, start, end):
    got = dashboard(properties=[month.property], period=Period(start, end), today=month.today)
    want = expected(month, start, end)
    assert got.room_nights_available == want["available"]
    assert got.room_nights_sold == want["sold"]
    assert got.occupancy == want["occupancy"]
    assert got.adr == want["adr"]
    assert got.revpar == want["revpar"]
    assert got.trevpar == want["trevpar"]
    assert got.alos == want["alos"]
    assert got.cancellations == want["cancellations"]
    assert got.no_shows == want["no_shows"]
    assert got.upsell_rate == want["upsell_rate"]
    assert got.spa_conversion == want["spa_conversion"]
    assert got.checkout_average == want["checkout_average"]
    assert got.checkout_median == want["checkout_median"]
    assert got.late_checkout_share == want["late_share"]
    assert {o["outlet"]: o["basket"] for o in got.outlets} == want["baskets"]
    baskets = {c["channel"]: c["basket"] for c in got.basket_channels}
    assert baskets["Paid at the till"] == want["basket_paid"]
    assert baskets["Charged to the room"] == want["basket_room"]
    assert baskets["Booking-engine extras"] == want["basket_engine"]
    assert got.covers == want["covers"]
    assert got.average_per_cover == want["per_cover"]
    assert sum(c["revenue"] for c in got.categories) == want["sales_revenue"]
    assert {c["channel"]: c["nights"] for c in got.channels} == want["channel_nights"]
    return got


def test_the_month_kpis_equal_the_raw_rows(month):
    got = _check(month, month.first, month.last)
    # the month is busy enough for every figure to mean something
    assert got.room_nights_sold > 150
    assert got.cancellations and got.no_shows and got.covers
    assert got.late_checkout_share and got.upsell_rate and got.spa_conversion
    assert got.out_of_order_nights == 5
    assert sum(d["sold"] for d in got.by_day) == got.room_nights_sold


def test_yesterday_and_a_week_equal_the_raw_rows(month):
    _check(month, month.last, month.last)
    _check(month, month.last - timedelta(days=6), month.last)


def test_a_voided_ticket_and_the_tourist_tax_count_nowhere(month):
    got = dashboard(
        properties=[month.property], period=Period(month.last, month.last), today=month.today
    )
    # the tourist tax is on the folios, never in the revenue
    assert "Tourist tax" not in {d["category"] for d in got.departments}
    assert "Tourist tax" not in {c["category"] for c in got.categories}
    want = expected(month, month.last, month.last)
    assert sum(c["revenue"] for c in got.categories) == want["sales_revenue"]


def test_the_query_count_does_not_grow_with_the_period(month):
    counts = []
    for days in (1, 7, 30):
        period = Period(month.last - timedelta(days=days - 1), month.last)
        with CaptureQueriesContext(connection) as ctx:
            dashboard(properties=[month.property], period=period, today=month.today)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] == counts[2]


def test_another_property_sees_nothing_of_this_one(month, other_hotel):
    got = dashboard(
        properties=[other_hotel], period=Period(month.first, month.last), today=month.today
    )
    assert got.room_nights_sold == 0 and got.total_revenue == 0 and not got.outlets
