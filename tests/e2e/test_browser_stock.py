"""The blind count in Chromium on a phone (390×844) and a tablet (768×1024): the bartender
counts the bar without seeing any expected quantity, submits, sees the variances at cost; the
manager approves them and the stock page shows the new levels. Nothing wraps out of the page."""

from decimal import Decimal

import pytest
from django.db import transaction

from core.models import Role
from inventory.models import StockCount, StockLevel, StockMovement
from inventory.services.stock import Move, stock_apply
from tests.e2e.test_browser import (  # noqa: F401  (the browser fixtures)
    _async_unsafe,
    browser,
    open_as,
    screenshot,
)
from tests.factories.core import make_staff
from tests.factories.pos import make_terminal
from tests.factories.stock import make_bar_stock

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(params=[(390, 844), (768, 1024)], ids=lambda v: f"{v[0]}x{v[1]}")
def viewport(request):
    return request.param


def no_horizontal_overflow(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"the page is {width} px wide"


def test_a_blind_count_at_closing(open_as, live_server, viewport, hotel, manager):  # noqa: F811
    stock = make_bar_stock(hotel, make_terminal(hotel))
    items, bar = stock["items"], stock["bar"]
    with transaction.atomic():
        stock_apply(
            property=hotel,
            moves=[
                Move(items[c].pk, bar.pk, Decimal(q), "receipt")
                for c, q in {"rhum": "1400", "menthe": "200", "citron": "12"}.items()
            ],
        )
    bartender = make_staff(hotel, Role.BARTENDER, username="barman")
    page = open_as(bartender)
    base = live_server.url
    page.goto(f"{base}/manage/stock/counts/")
    page.select_option("select[name=location]", label="Bar")
    page.click("[data-testid=count-start]")
    page.wait_for_selector("[data-testid=count-sheet]")
    count = StockCount.objects.get()
    sheet = page.locator("[data-testid=count-sheet]")
    assert "1400" not in sheet.inner_text() and "1,400" not in sheet.inner_text()
    page.fill(f"#item_{items['rhum'].pk}", "1350")
    page.fill(f"#item_{items['menthe'].pk}", "200")
    page.fill(f"#item_{items['citron'].pk}", "11")
    no_horizontal_overflow(page)
    screenshot(page, "stock-count-sheet", viewport)
    page.click("[data-testid=count-submit]")
    page.wait_for_selector("[data-testid=count-variances]")
    # 50 ml × 0.02 + 1 lime × 0.25
    assert page.locator("[data-testid=variance-value]").inner_text() == "-€1.25"
    assert page.locator("[data-testid=count-approve]").count() == 0
    no_horizontal_overflow(page)
    screenshot(page, "stock-count-submitted", viewport)

    boss = open_as(manager)
    boss.goto(f"{base}/manage/stock/counts/{count.pk}/")
    boss.click("[data-testid=count-approve]")
    boss.wait_for_selector("text=Count approved: the levels follow the shelves.")
    assert StockLevel.objects.get(item=items["rhum"], location=bar).quantity == Decimal("1350")
    assert StockMovement.objects.filter(kind="count").count() == 2
    boss.goto(f"{base}/manage/stock/")
    boss.wait_for_selector("[data-testid=levels]")
    no_horizontal_overflow(boss)
    screenshot(boss, "stock-levels", viewport)
