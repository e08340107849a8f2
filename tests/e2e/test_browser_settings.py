"""Issue 21 in real headless Chromium at 768×1024 and 1280×800: the manager creates a rate
plan with a deposit (a contradictory one refused first), adds a tourist tax tariff and sees
his property's settings — from the menu, without the Django admin, the page never wider than
the screen. Screenshots in test-artifacts/screens/."""

from decimal import Decimal

import pytest

from billing.models import TouristTaxRate
from core.models import Property, Role
from inventory.models import RatePlan
from tests.e2e import test_browser as shared
from tests.factories.core import make_staff

_async_unsafe = shared._async_unsafe
browser = shared.browser
open_as = shared.open_as
viewport = shared.viewport
screenshot = shared.screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NO_PAGE_SCROLL = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


def test_rate_plan_tourist_tax_and_property_settings_on_screen(
    open_as, live_server, viewport, hotel
):
    hotel.classification = Property.Classification.STARS_3
    hotel.save()
    boss = make_staff(hotel, Role.MANAGER, username="boss-settings", pin="666666")
    page = open_as(boss)

    # a rate plan: a deposit without its amount is refused, then saved with 30 %
    page.goto(f"{live_server.url}/manage/rates/plans/")
    page.click("[data-testid=plan-new]")
    page.fill("#id_code", "flex")
    page.fill("#id_name_fr", "Flexible")
    page.check("input[name=channels][value=booking_engine]")
    page.select_option("#id_guarantee", "deposit")
    page.fill("#id_cancel_free_days", "2")
    page.click("[data-testid=form-save]")
    page.wait_for_selector("[data-testid=form-error] >> text=A deposit needs its amount")
    assert page.evaluate(NO_PAGE_SCROLL)
    screenshot(page, "settings-rate-plan-error", viewport)
    assert not RatePlan.objects.filter(code="flex").exists()
    page.fill("#id_deposit_percent", "30")
    page.click("[data-testid=form-save]")
    page.wait_for_selector("[data-testid=plan-flex]")
    assert page.evaluate(NO_PAGE_SCROLL)
    screenshot(page, "settings-rate-plans", viewport)
    assert RatePlan.objects.get(property=hotel, code="flex").deposit_percent == Decimal("30")

    # the tourist tax, from the menu (behind its "More": the manager's menu is long)
    page.click("[data-testid=nav-more] summary")
    page.click("nav.mainnav >> text=Tourist tax")
    page.click("[data-testid=tax-new]")
    page.select_option("#id_classification", "3")
    page.fill("#id_valid_from", "2026-01-01")
    page.fill("#id_amount", "1.50")
    page.fill("#id_departmental_pct", "10")
    page.click("[data-testid=form-save]")
    page.wait_for_selector("[data-testid=tax-rates] >> text=€1.65")
    assert page.evaluate(NO_PAGE_SCROLL)
    table = page.locator(".table-scroll:has([data-testid=tax-rates])")
    assert table.evaluate("e => e.scrollWidth <= e.clientWidth")  # every column in sight
    screenshot(page, "settings-tourist-tax", viewport)
    assert TouristTaxRate.objects.get(property=hotel).amount == Decimal("1.50")

    # the property's settings: the time zone shown, not a field
    page.click("[data-testid=nav-more] summary")
    page.click("nav.mainnav >> text=Property settings")
    page.wait_for_selector("[data-testid=form-readonly] >> text=Europe/Paris")
    assert page.locator("[name=timezone]").count() == 0
    page.fill("#id_legal_name", "SARL Les Tests")
    page.click("[data-testid=form-save]")
    page.wait_for_selector(".messages >> text=Saved.")
    assert page.evaluate(NO_PAGE_SCROLL)
    screenshot(page, "settings-property", viewport)
    hotel.refresh_from_db()
    assert hotel.legal_name == "SARL Les Tests"
