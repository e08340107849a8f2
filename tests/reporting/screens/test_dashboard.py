"""The manager's dashboard: role-scoped, per property or organisation, any period, downloads,
and the same number of queries whatever the period."""

import io
import zipfile
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import Membership, Role
from reporting.formatting import money, percent
from tests.factories.core import PropertyFactory, make_staff
from tests.reporting.month import build_month, expected

URL = "/reporting/"


@pytest.fixture
def month(hotel):
    staff = [make_staff(hotel, Role.CASHIER, username=f"cashier{i}") for i in range(2)]
    return build_month(hotel, staff)


@pytest.fixture
def signed_in(client, manager):
    client.force_login(manager)
    return client


def test_the_manager_sees_yesterday_by_default(signed_in, month):
    response = signed_in.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    want = expected(month, month.last, month.last)
    kpis = {k.key: k.value for k in response.context["kpis"]}
    assert kpis["occupancy"] == percent(want["occupancy"])
    assert kpis["adr"] == money(want["adr"])
    assert kpis["revpar"] == money(want["revpar"])
    assert response.context["period"].start == month.last
    # each convention is written on the screen
    assert "Rooms sold ÷ rooms available." in page
    assert "out-of-order rooms are not available" in page
    assert "without the tourist tax" in page
    # a chart is drawn from the table beneath it
    assert 'data-chart-for="table-outlets"' in page and 'id="table-outlets"' in page


def test_a_waiter_cannot_open_the_dashboard(client, waiter, month):
    client.force_login(waiter)
    assert client.get(URL).status_code == 403
    assert client.get(URL + "export.csv").status_code == 403


def test_a_bad_custom_period_is_refused_with_a_message(signed_in, month):
    response = signed_in.get(URL, {"period": "custom", "start": "2026-05-10", "end": "2026-05-01"})
    assert response.status_code == 400
    assert "The last day comes before the first." in response.content.decode()
    response = signed_in.get(URL, {"period": "custom", "start": "nope", "end": ""})
    assert response.status_code == 400


def test_the_organisation_rolls_up_the_properties_the_manager_manages(signed_in, manager, month):
    sister = PropertyFactory(organization=month.property.organization, slug="soeur")
    Membership.objects.create(user=manager, property=sister, role=Role.MANAGER)
    foreign = PropertyFactory(organization=month.property.organization, slug="pas-a-moi")
    make_staff(foreign, Role.MANAGER, username="someone-else")
    response = signed_in.get(URL, {"scope": "organization", "period": "month"})
    assert response.status_code == 200
    names = [p.name for p in response.context["properties"]]
    assert sister.name in names and foreign.name not in names
    assert any(t.key == "properties" for t in response.context["tables"])


def test_a_period_whose_last_year_has_a_29_february(signed_in, month):
    # 2025-02-01..2025-03-31 is compared with 2024-02-01..2024-03-31 (a leap year)
    params = {"period": "custom", "start": "2025-02-01", "end": "2025-03-31"}
    response = signed_in.get(URL, params)
    assert response.status_code == 200
    days = next(t for t in response.context["tables"] if t.key == "days")
    assert len(days.rows) == 59
    assert signed_in.get(URL + "export.xlsx", params).status_code == 200


def test_csv_and_xlsx_downloads(signed_in, month):
    response = signed_in.get(URL + "export.csv", {"period": "week"})
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert "Sales by outlet" in text and "Restaurant" in text
    response = signed_in.get(URL + "export.xlsx", {"period": "week"})
    assert response.status_code == 200
    book = zipfile.ZipFile(io.BytesIO(response.content))
    workbook = book.read("xl/workbook.xml").decode()
    assert "Summary" in workbook and "Sales by outlet" in workbook
    assert signed_in.get(URL + "export.pdf").status_code == 404


def test_french_screen(signed_in, month):
    signed_in.cookies["django_language"] = "fr"
    page = signed_in.get(URL).content.decode()
    assert "Taux d’occupation" in page
    # the workbook's sheets take the French titles (cut to Excel's 31 characters)
    response = signed_in.get(URL + "export.xlsx", {"period": "month"})
    workbook = zipfile.ZipFile(io.BytesIO(response.content)).read("xl/workbook.xml").decode()
    assert "Ventes par point de vente" in workbook


def test_the_query_count_is_the_same_whatever_the_period(signed_in, month):
    signed_in.get(URL)  # the session's user and memberships are cached by the first request
    counts = []
    for params in (
        {},
        {"period": "week"},
        {
            "period": "custom",
            "start": (month.last - timedelta(days=29)).isoformat(),
            "end": month.last.isoformat(),
        },
        {"period": "ytd"},
    ):
        with CaptureQueriesContext(connection) as ctx:
            assert signed_in.get(URL, params).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert len(set(counts)) == 1, counts


def test_the_budget_is_shown_in_proportion_to_the_period(signed_in, month):
    from calendar import monthrange
    from decimal import Decimal

    from reporting.models import Budget

    assert "budget-occupancy" not in signed_in.get(URL).content.decode()  # none entered
    first = month.last.replace(day=1)
    Budget.objects.create(
        property=month.property, month=first, room_revenue=Decimal("31000.00"),
        total_revenue=Decimal("62000.00"), occupancy=Decimal("80.00"),
    )  # fmt: skip
    response = signed_in.get(URL)  # yesterday: one day of the month's budget
    days = monthrange(first.year, first.month)[1]
    kpis = {k.key: k.budget for k in response.context["kpis"]}
    assert kpis["room_revenue"] == money((Decimal("31000.00") / days).quantize(Decimal("0.01")))
    assert kpis["total_revenue"] == money((Decimal("62000.00") / days).quantize(Decimal("0.01")))
    assert kpis["occupancy"] == percent(Decimal("80.00"))
    assert kpis["adr"] == ""  # no budget for it
    assert 'data-testid="budget-room_revenue"' in response.content.decode()
