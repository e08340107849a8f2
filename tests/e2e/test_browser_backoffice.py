"""The manager's back office in real headless Chromium at 768×1024 and 1280×800: the rates
calendar (the grid scrolls sideways inside the page, never the page itself), a bulk edit of
July's weekends seen at once by the booking engine, a refused bad input, the staff rights
screen and the history. Screenshots in test-artifacts/screens/."""

from datetime import date, timedelta

import pytest

from core.formatting import money
from core.models import Membership, Role
from inventory.models import DailyRate
from tests.e2e import test_browser as shared
from tests.factories.core import make_staff
from tests.factories.pos import make_terminal

_async_unsafe = shared._async_unsafe
browser = shared.browser
open_as = shared.open_as
viewport = shared.viewport
screenshot = shared.screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NO_PAGE_SCROLL = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


def test_july_weekends_up_ten_percent_from_the_calendar(
    open_as, live_server, viewport, hotel, rooms
):
    boss = make_staff(hotel, Role.MANAGER, username="boss-browser", pin="666666")
    today = hotel.business_date()
    july = date(today.year + (1 if today.month >= 7 else 0), 7, 1)
    friday = july + timedelta(days=(4 - july.weekday()) % 7)
    page = open_as(boss)

    page.goto(f"{live_server.url}/manage/rates/?start={july.isoformat()}&days=31")
    page.wait_for_selector("[data-testid=rates-grid]")
    assert page.evaluate(NO_PAGE_SCROLL)
    grid = page.locator("[data-testid=rates-scroll]")
    assert grid.evaluate("e => e.scrollWidth > e.clientWidth")  # the grid scrolls, not the page
    screenshot(page, "backoffice-rates-calendar", viewport)

    # a bad input first: no weekday ticked
    page.goto(f"{live_server.url}/manage/rates/bulk/?start={july.isoformat()}")
    page.fill("#bulk-end", date(july.year, 7, 31).isoformat())
    for box in page.locator("input[name=weekdays]").all():
        box.uncheck()
    page.check(f"input[name=products][value='{rooms['classique'].product_id}']")
    page.select_option("#bulk-plan", label="Web rate")
    page.select_option("#bulk-change", "percent")
    page.fill("#bulk-value", "10")
    page.click("[data-testid=bulk-save]")
    page.wait_for_selector("[data-testid=bulk-error] >> text=Choose at least one day of the week.")
    assert page.evaluate(NO_PAGE_SCROLL)
    screenshot(page, "backoffice-rates-bulk-error", viewport)
    assert not DailyRate.objects.exists()

    # Fridays and Saturdays: +10 %
    page.check("input[name=weekdays][value='4']")
    page.check("input[name=weekdays][value='5']")
    page.click("[data-testid=bulk-save]")
    page.wait_for_selector("[data-testid=rates-grid]")
    assert "changes saved" in page.inner_text(".messages")
    cell = page.inner_text(f"[data-testid=cell-nuit-classique-{friday.isoformat()}]")
    price = DailyRate.objects.get(product=rooms["classique"].product, day=friday).price
    assert money(price, language="en") in cell
    screenshot(page, "backoffice-rates-after", viewport)

    # the booking engine shows it at once
    departure = friday + timedelta(days=1)
    page.goto(
        f"{live_server.url}/book/{hotel.slug}/?arrival={friday.isoformat()}"
        f"&departure={departure.isoformat()}&adults=2&children=0&lang=en"
    )
    offer = page.inner_text("[data-testid=offer-classique]")
    assert str(price) in offer or money(price, language="en") in offer  # the list price


def test_staff_rights_and_history_screens(open_as, live_server, viewport, hotel):
    boss = make_staff(hotel, Role.MANAGER, username="boss-staff", pin="666666")
    barman = make_staff(hotel, Role.BARTENDER, username="barman-browser", pin="3333")
    bar = make_terminal(hotel, outlet_code="bar", outlet_name="Bar", name="Bar 1")
    make_terminal(hotel, outlet_code="restaurant", outlet_name="Restaurant", name="Salle")
    membership = Membership.objects.get(user=barman, property=hotel)
    page = open_as(boss)
    page.goto(f"{live_server.url}/staff/")
    page.click("[data-testid=staff-barman-browser] >> text=Rights")
    page.check(f"input[name=outlets][value='{bar.outlet_id}']")
    page.fill("#st-discount", "5")
    page.click("[data-testid=rights-form] button[type=submit]")
    page.wait_for_selector(".messages >> text=Saved.")
    assert page.evaluate(NO_PAGE_SCROLL)
    screenshot(page, "backoffice-staff-rights", viewport)
    membership.refresh_from_db()
    assert membership.outlet_ids == [bar.outlet_id]

    page.goto(f"{live_server.url}/manage/history/")
    page.wait_for_selector("[data-testid=history] >> text=core.staff.changed")
    assert page.evaluate(NO_PAGE_SCROLL)
    screenshot(page, "backoffice-history", viewport)


def test_the_meal_voucher_rules_are_set_on_screen_and_a_bad_cap_changes_nothing(
    open_as, live_server, viewport, hotel
):
    from decimal import Decimal

    boss = make_staff(hotel, Role.MANAGER, username="boss-titles", pin="666666")
    page = open_as(boss)
    page.goto(f"{live_server.url}/manage/catalogue/")
    page.click("nav.subnav >> text=Meal vouchers")
    page.wait_for_selector("[data-testid=titles-form]")
    # a bad cap first
    page.fill("[data-testid=titles-cap]", "-5")
    page.click("[data-testid=titles-save]")
    page.wait_for_selector("[data-testid=titles-error]")
    hotel.refresh_from_db()
    assert hotel.meal_voucher_daily_cap == Decimal("25.00")
    # then the cap at 19, drinks too, the paper excess kept as a tip
    page.fill("[data-testid=titles-cap]", "19,00")
    page.check("[data-testid=titles-category-drinks]")
    page.check("[data-testid=titles-excess-tip]")
    page.click("[data-testid=titles-save]")
    page.wait_for_selector(".messages >> text=Saved.")
    assert page.evaluate(NO_PAGE_SCROLL)
    screenshot(page, "backoffice-payment-titles", viewport)
    hotel.refresh_from_db()
    assert hotel.meal_voucher_daily_cap == Decimal("19.00")
    assert hotel.meal_voucher_categories == ["food", "drinks"]
    assert hotel.paper_title_excess == "tip"
    page.goto(f"{live_server.url}/manage/history/")
    page.wait_for_selector("[data-testid=history] >> text=billing.payment_titles.changed")


def test_a_new_tablet_is_paired_by_the_code_on_the_managers_outlets_screen(
    open_as, live_server, viewport, hotel
):
    from core.terminals import COOKIE

    boss = make_staff(hotel, Role.MANAGER, username="boss-pair", pin="666666")
    waiter = make_staff(hotel, Role.WAITER, username="waiter-pair", pin="2222")
    salle = make_terminal(hotel, outlet_code="restaurant", outlet_name="Restaurant", name="Salle")
    manager_page = open_as(boss)
    manager_page.goto(f"{live_server.url}/manage/outlets/")
    manager_page.click(f"[data-testid=pair-{salle.pk}]")
    code = manager_page.inner_text(f"[data-testid=pairing-code-{salle.pk}]").strip()
    assert len(code) == 6 and code.isdigit()
    assert manager_page.evaluate(NO_PAGE_SCROLL)
    screenshot(manager_page, "backoffice-outlets", viewport)
    tablet = open_as(waiter)
    tablet.goto(f"{live_server.url}/pos/pair/")
    tablet.fill("[data-testid=pair-code]", "000000" if code != "000000" else "111111")
    tablet.click("[data-testid=pair-submit]")
    tablet.wait_for_selector("[data-testid=pair-error]")
    tablet.fill("[data-testid=pair-code]", code)
    tablet.click("[data-testid=pair-submit]")
    tablet.wait_for_selector(".messages >> text=This device is now Restaurant · Salle.")
    assert any(c["name"] == COOKIE for c in tablet.context.cookies())
    screenshot(tablet, "pos-paired", viewport)
