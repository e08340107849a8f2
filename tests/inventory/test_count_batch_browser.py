"""The whole-hotel count in real Chromium on a 768×1024 tablet: the manager starts it, counts
the bar and the store room on their blind sheets, posts every variance and reads the report;
no page is wider than the tablet. Screenshots in test-artifacts/screens/."""

from decimal import Decimal

import pytest

from core.models import Role
from inventory.models import StockLevel, StockMovement
from tests.browser import signed_in_pages
from tests.e2e import test_browser as shared
from tests.factories.core import make_staff
from tests.factories.pos import make_terminal
from tests.factories.stock import make_bar_stock, make_stock_to_count

_async_unsafe = shared._async_unsafe
browser = shared.browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TABLET = (768, 1024)
NO_PAGE_SCROLL = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


def test_the_whole_hotel_counted_and_posted_on_a_tablet(browser, live_server, hotel):
    stock = make_stock_to_count(hotel)
    rum, mint = stock["items"]["rhum"], stock["items"]["menthe"]
    boss = make_staff(hotel, Role.MANAGER, username="boss-count", pin="666666")
    with signed_in_pages(browser, live_server.url) as open_as:
        page = open_as(boss, size=TABLET)
        page.goto(f"{live_server.url}/manage/stock/hotel-counts/")
        assert page.evaluate(NO_PAGE_SCROLL)
        page.click("[data-testid=batch-start-button]")
        page.wait_for_selector("[data-testid=batch-locations]")
        shared.screenshot(page, "stock-hotel-count-open", TABLET)
        assert page.evaluate(NO_PAGE_SCROLL)

        page.click("[data-testid=batch-sheet] >> text=Bar")
        page.wait_for_selector("[data-testid=count-sheet]")
        assert page.evaluate(NO_PAGE_SCROLL)
        assert "1,400" not in page.content() and "1400" not in page.content()  # blind
        page.fill(f"#item_{rum.pk}", "1350")
        page.fill(f"#item_{mint.pk}", "290")
        page.click("[data-testid=count-submit]")
        page.wait_for_selector("[data-testid=batch-locations]")

        page.click("[data-testid=batch-sheet] >> text=Réserve")
        page.wait_for_selector("[data-testid=count-sheet]")
        page.fill(f"#item_{rum.pk}", "7700")
        page.click("[data-testid=count-submit]")
        page.wait_for_selector("[data-testid=batch-post]")
        page.click("[data-testid=batch-post]")
        page.wait_for_selector("[data-testid=batch-status] >> text=Posted")
        # bar −50 ml × 0.02 − 10 g × 0.03 = −1.30; store +700 ml × 0.02 = +14.00
        assert page.inner_text("[data-testid=batch-value]") == "€12.70"
        assert page.locator("[data-testid=batch-line]").count() == 3
        assert page.evaluate(NO_PAGE_SCROLL)
        shared.screenshot(page, "stock-hotel-count-posted", TABLET)
    assert StockMovement.objects.filter(kind="count").count() == 3
    assert StockLevel.objects.get(item=rum, location=stock["store"]).quantity == Decimal("7700")


def test_every_new_stock_screen_fits_a_tablet(browser, live_server, hotel):
    stock = make_bar_stock(hotel, make_terminal(hotel))
    boss = make_staff(hotel, Role.MANAGER, username="boss-screens", pin="666666")
    screens = [
        "/manage/stock/items/",
        f"/manage/stock/items/{stock['items']['rhum'].pk}/",
        "/manage/stock/locations/",
        "/manage/stock/suppliers/",
        f"/manage/stock/suppliers/{stock['supplier'].pk}/",
        "/manage/stock/recipes/",
        f"/manage/stock/recipes/{stock['mojito'].pk}/",
        f"/manage/stock/orders/?supplier={stock['supplier'].pk}",
        f"/manage/stock/deliveries/?supplier={stock['supplier'].pk}",
        f"/manage/stock/invoices/?supplier={stock['supplier'].pk}",
        "/manage/stock/hotel-counts/",
    ]
    with signed_in_pages(browser, live_server.url) as open_as:
        page = open_as(boss, size=TABLET)
        for url in screens:
            page.goto(f"{live_server.url}{url}")
            page.wait_for_selector(".subnav")
            assert page.evaluate(NO_PAGE_SCROLL), url
        shared.screenshot(page, "stock-hotel-count-start", TABLET)
        page.goto(f"{live_server.url}/manage/stock/suppliers/{stock['supplier'].pk}/")
        shared.screenshot(page, "stock-supplier", TABLET)
        page.goto(f"{live_server.url}/manage/stock/recipes/{stock['mojito'].pk}/")
        shared.screenshot(page, "stock-recipe", TABLET)
