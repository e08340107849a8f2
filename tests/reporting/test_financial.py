"""The consolidated report equals the accounting export (FEC) to the cent."""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest

from billing.services.accounting import ChartOfAccounts
from billing.services.fec import fec_rows
from core.models import Role
from reporting.financial import financial_report
from reporting.periods import Period
from tests.factories.core import PropertyFactory, make_staff
from tests.reporting.month import build_month


def fec_amount(text: str) -> Decimal:
    return Decimal(text.replace(",", ".")) if text else Decimal(0)


def fec_ve_by_account(hotel, start, end_inclusive):
    """Credit − debit of each account in the FEC's sales journal (VE), per day and in all."""
    rows = fec_rows(property=hotel, start=start, end=end_inclusive + timedelta(days=1))
    header = next(rows)
    col = {name: i for i, name in enumerate(header)}
    per_day = defaultdict(lambda: defaultdict(Decimal))
    for row in rows:
        if row[col["JournalCode"]] != "VE":
            continue
        amount = fec_amount(row[col["Credit"]]) - fec_amount(row[col["Debit"]])
        per_day[row[col["EcritureDate"]]][row[col["CompteNum"]]] += amount
    return per_day


@pytest.fixture
def month(hotel):
    staff = [make_staff(hotel, Role.CASHIER, username=f"cashier{i}") for i in range(2)]
    return build_month(hotel, staff)


def _compare(report_rows, fec_accounts, chart):
    mine = defaultdict(Decimal)
    for row in report_rows:
        account = chart.revenue(row.category)[0]
        mine[account] += row.gross if row.category == "tourist_tax" else row.net
        if row.category != "tourist_tax":
            mine[chart.vat(row.rate)[0]] += row.vat
    theirs = {a: v for a, v in fec_accounts.items() if not a.startswith("411") and v}
    assert {a: v for a, v in mine.items() if v} == theirs


def test_the_month_equals_the_fec_per_day_and_in_total(hotel, month):
    # through today: the voided ticket is taken back on the void's day, as in the FEC
    period = Period(month.first, month.today)
    report = financial_report(properties=[hotel], period=period)
    fec = fec_ve_by_account(hotel, period.start, period.end)
    chart = ChartOfAccounts(hotel)
    by_day = defaultdict(list)
    for row in report.grouped(by_month=False, by_property=True):
        by_day[f"{row.day:%Y%m%d}"].append(row)
    assert set(by_day) == set(fec)
    for day, rows in by_day.items():
        _compare(rows, fec[day], chart)
    total = defaultdict(Decimal)
    for accounts in fec.values():
        for account, amount in accounts.items():
            total[account] += amount
    _compare(report.grouped(by_month=True, by_property=False), total, chart)
    # the void is there: today has a negative line
    assert any(r.net < 0 for r in by_day[f"{month.today:%Y%m%d}"])


def test_the_organisation_is_the_sum_of_its_properties(hotel, month):
    sister = PropertyFactory(organization=hotel.organization, slug="soeur")
    period = Period(month.first, month.last)
    both = financial_report(properties=[hotel, sister], period=period)
    alone = financial_report(properties=[hotel], period=period)
    assert both.totals_by_rate() == alone.totals_by_rate()
    assert financial_report(properties=[sister], period=period).rows == []


def test_the_accountant_reads_and_downloads_it_a_waiter_cannot(client, hotel, month, staff_of):
    accountant = staff_of(hotel, Role.ACCOUNTANT)
    client.force_login(accountant)
    response = client.get("/reporting/financial/", {"period": "month", "by": "month"})
    assert response.status_code == 200
    assert "Totals by VAT rate" in response.content.decode()
    csv_text = client.get("/reporting/financial/export.csv").content.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("Property;Day;Revenue type")
    bad = client.get("/reporting/financial/", {"period": "custom", "start": "x"})
    assert bad.status_code == 400
    # dates without a preset (a bookmark) are those dates, not the current month
    first = hotel.business_date().replace(day=1) - timedelta(days=40)
    dated = client.get("/reporting/financial/", {"start": first, "end": first + timedelta(5)})
    assert dated.status_code == 200
    assert dated.context["period"].start == first and dated.context["preset"] == "custom"
    client.force_login(staff_of(hotel, Role.WAITER))
    assert client.get("/reporting/financial/").status_code == 403


def test_the_screen_shows_each_amount_as_the_accountant_reads_it(client, hotel, month, staff_of):
    """1 234,56 € in French, a rate as 10 %: never the raw sum (on SQLite "648,1700000000000")
    nor an amount without its euro sign."""
    from core import formatting

    client.force_login(staff_of(hotel, Role.ACCOUNTANT))
    client.cookies["django_language"] = "fr"
    period = Period(month.first, month.last)
    query = {"period": "custom", "start": period.start.isoformat(), "end": period.end.isoformat()}
    page = client.get("/reporting/financial/", query).content.decode()
    totals = financial_report(properties=[hotel], period=period)
    assert totals.totals_by_rate()
    for rate, (net, vat) in totals.totals_by_rate().items():
        assert f"<td>{formatting.rate(rate, language='fr')}</td>" in page
        assert formatting.money(net, language="fr") in page
        assert formatting.money(vat, language="fr") in page
