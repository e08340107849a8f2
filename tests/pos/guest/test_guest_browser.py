"""Issue 25's stories in real Chromium at 390×844 (a guest's phone) against the live server:
table 7's QR order with a required cooking reaching the waiter's tablet and the kitchen
display, accepted and paid with the tab; room 12's club sandwich on the folio after the
surname. Screenshots of the guest's screens go to test-artifacts/screens/."""

from decimal import Decimal

import pytest
from django.conf import settings

from billing.models import FolioLine
from pos.models import GuestOrder, Order, TableTab
from pos.services.guest_orders import point_token
from tests.browser import PHONE, fits
from tests.e2e.test_browser_taps import (  # noqa: F401 (the fixtures of the staff screens' tests)
    TABLET,
    _async_unsafe,
    browser,
    open_as,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = settings.BASE_DIR / "test-artifacts" / "screens"


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"guest-{name}.png"), full_page=True)


def test_table_7_orders_two_drinks_and_a_rare_rib_eye_accepted_and_paid_with_the_tab(
    phone,
    open_as,  # noqa: F811
    live_server,
    table_point,
    terminal,
    waiter,
):
    phone.goto(f"{live_server.url}/g/{point_token(table_point)}/?lang=en")
    _shot(phone, "menu")
    fits(phone, PHONE[0])
    phone.fill("[data-testid=qty-coca]", "1")
    phone.fill("[data-testid=qty-jus-orange]", "1")
    phone.fill("[data-testid=qty-entrecote]", "1")
    phone.click("[data-testid=order]")
    # the cooking is required: the page says so and keeps the basket
    phone.wait_for_selector("[data-testid=error] >> text=Choose Cooking")
    assert phone.input_value("[data-testid=qty-entrecote]") == "1"
    phone.check("[data-testid=dish-entrecote] >> text=Rare")
    phone.click("[data-testid=order]")
    phone.wait_for_selector("[data-testid=progress][data-progress=received]")
    _shot(phone, "status")
    fits(phone, PHONE[0])
    order = GuestOrder.objects.get()
    assert order.total == Decimal("39.00")  # 4.50 + 5.50 + 29.00

    tablet = open_as(waiter, terminal)
    tablet.goto(f"{live_server.url}/pos/tables/")
    tablet.wait_for_selector(f"[data-testid=guest-order-{order.pk}] >> text=Table 7")
    _shot(tablet, "waiter-floor-768")
    tablet.click(f"[data-testid=guest-order-{order.pk}] [data-testid=accept]")
    tablet.wait_for_selector("text=The guest's order is on the tab and sent.")
    kds = open_as(waiter, terminal)
    kds.goto(f"{live_server.url}/pos/kitchen/kitchen/")
    kds.wait_for_selector("text=Grilled rib-eye, fries")
    assert "Rare" in kds.inner_text("main")
    phone.reload()
    phone.wait_for_selector("[data-testid=progress][data-progress=in_preparation]")

    tab = TableTab.objects.get(table__label="7")
    tablet.goto(f"{live_server.url}/pos/tabs/{tab.pk}/")
    tablet.click("[data-testid=tender-cash]")
    tablet.click("[data-testid=quick-amounts] >> text=€50.00")
    tablet.wait_for_selector("[data-testid=receipt]")
    paid = Order.objects.get(status=Order.Status.PAID)
    assert paid.ticket.total == Decimal("39.00")


def test_room_12_club_sandwich_on_the_folio_after_the_surname(
    phone, live_server, room_point, stay_12
):
    phone.goto(f"{live_server.url}/g/{point_token(room_point)}/?lang=fr")
    _shot(phone, "room-menu-fr")
    fits(phone, PHONE[0])
    phone.fill("[data-testid=qty-club-sandwich]", "1")
    phone.fill("[data-testid=confirm]", "Durand")
    phone.click("[data-testid=order]")
    phone.wait_for_selector("[data-testid=error]")
    phone.fill("[data-testid=confirm]", "Dupont")
    phone.click("[data-testid=order]")
    phone.wait_for_selector("[data-testid=charged]")
    _shot(phone, "room-status-fr")
    fits(phone, PHONE[0])
    line = FolioLine.objects.get(folio=stay_12.reservation.folio)
    assert line.total == Decimal("16.00") and line.vat_rate == Decimal("10.00")
    assert "16,00" in phone.inner_text("[data-testid=total]")


def test_the_managers_codes_and_sheet_at_768(
    open_as,  # noqa: F811
    live_server,
    restaurant,
    manager,
):
    page = open_as(manager, size=TABLET)
    page.goto(f"{live_server.url}/manage/guest-ordering/")
    page.wait_for_selector("[data-testid=guest-outlet]")
    _shot(page, "manage-768")
    page.click("[data-testid=sheet]")
    page.wait_for_selector("[data-testid=qr-card]")
    assert page.locator("[data-testid=qr-card] svg").count() == 8
    _shot(page, "sheet-768")
