"""Story S7, the manager's morning, in real headless Chromium: yesterday's occupancy, ADR,
RevPAR, average basket per outlet and channel, upsell rate and check-out time equal what an
independent helper computes from the raw rows of a generated month; the charts are drawn;
a low-stock and an unusual-basket alert wait in the inbox; the manager acknowledges one."""

from decimal import Decimal

import pytest

from billing.models import Ticket, TicketLine
from core.models import Role
from inventory.models import CapacityBucket, CapacityPool
from reporting.formatting import money, percent
from reporting.services import alerts_evaluate
from tests.e2e import test_browser as shared
from tests.factories.core import make_staff
from tests.reporting.month import build_month, expected

_async_unsafe = shared._async_unsafe
browser = shared.browser
open_as = shared.open_as
screenshot = shared.screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def viewport():
    return (1280, 800)


def test_the_managers_morning(open_as, live_server, viewport, hotel, manager):
    # given: a month of the hotel, a basket of gourmet hampers at its reorder point and a
    # bar ticket this morning far above the bar's usual baskets
    staff = [make_staff(hotel, Role.CASHIER, username=f"cashier{i}") for i in range(2)]
    month = build_month(hotel, staff)
    pool = CapacityPool.objects.create(
        property=hotel, code="paniers", name="Paniers gourmands", kind="stock", reorder_point=2
    )
    CapacityBucket.objects.create(pool=pool, capacity=12, sold=10)
    ticket = Ticket.objects.create(
        property=hotel, number=99999, business_date=month.today, status="paid", outlet="Bar",
        terminal="Caisse Bar", cashier=staff[0], total=Decimal("960.00"),
        total_vat=Decimal("160.00"),
    )  # fmt: skip
    TicketLine.objects.create(
        ticket=ticket, description="Champagne", quantity=8, unit_price=Decimal("120.00"),
        total=Decimal("960.00"), vat_rate=Decimal("20.00"), vat_amount=Decimal("160.00"),
        net=Decimal("800.00"), revenue_category="alcohol",
    )  # fmt: skip
    alerts_evaluate(property=hotel)  # what beat did overnight
    want = expected(month, month.last, month.last)

    # when: the manager opens the dashboard (yesterday by default)
    page = open_as(manager)
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    missing = []
    page.on("response", lambda r: missing.append(r.url) if r.status >= 400 else None)
    page.goto(f"{live_server.url}/reporting/")

    # then: yesterday's figures are the raw rows' figures
    def kpi(key):
        return page.inner_text(f"[data-testid=kpi-{key}]").strip()

    assert kpi("occupancy") == percent(want["occupancy"])
    assert kpi("adr") == money(want["adr"])
    assert kpi("revpar") == money(want["revpar"])
    assert kpi("upsell") == percent(want["upsell_rate"])
    if want["checkout_average"]:
        assert kpi("checkout").startswith(want["checkout_average"])
    outlets = page.inner_text("[data-testid=report-outlets] table")
    for name, basket in want["baskets"].items():
        assert name in outlets and money(basket) in outlets
    channels = page.inner_text("[data-testid=report-basket_channels] table")
    assert money(want["basket_paid"]) in channels
    # the charts are drawn from their tables
    drawn = page.evaluate(
        "Array.from(document.querySelectorAll('canvas[data-chart-for]'))"
        ".filter(c => window.Chart.getChart(c)).length"
    )
    assert drawn >= 5
    screenshot(page, "s7-1-dashboard", viewport)

    # when: the inbox, from the menu's "More" (the manager's menu is long)
    page.click("[data-testid=nav-more] summary")
    page.click("a[href='/reporting/alerts/']")
    page.wait_for_selector("[data-testid=alerts]")
    inbox = page.inner_text("[data-testid=alerts]")
    assert "Paniers gourmands: 2 left (reorder point 2)." in inbox
    assert "Ticket 99999 at Bar" in inbox
    row = page.locator("tr[data-kind=low_stock]")
    row.locator("input[name=note]").fill("Commande passée chez le fournisseur")
    row.locator("button").click()
    # then
    page.wait_for_selector("text=Alert acknowledged.")
    acknowledged = page.inner_text("tr[data-kind=low_stock]")
    assert "By manager" in acknowledged and "Commande passée chez le fournisseur" in acknowledged
    assert page.locator("tr[data-kind=basket] button").count() == 1  # still to look at
    screenshot(page, "s7-2-alerts", viewport)
    # nothing the pages load is missing (the browser's own favicon request aside)
    assert [u for u in missing if not u.endswith("/favicon.ico")] == []
    assert [e for e in errors if "404" not in e] == []
