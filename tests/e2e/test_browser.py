"""Staff screens in real headless Chromium (Playwright) against the live server, at tablet
and laptop sizes: a barcode sale in cash, a check-in and check-out, a room charge on the folio."""

import os
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from pms.models import Reservation
from tests.browser import chromium, signed_in_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "screens"
VIEWPORTS = [(768, 1024), (1280, 800)]


@pytest.fixture(scope="module")
def _async_unsafe():
    """Playwright's sync API runs an event loop in this thread; the ORM calls of these tests
    are still plain synchronous calls. Set for this module only (restored afterwards)."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="module")
def browser(_async_unsafe):
    with chromium() as browser:
        yield browser


@pytest.fixture(params=VIEWPORTS, ids=lambda v: f"{v[0]}x{v[1]}")
def viewport(request):
    return request.param


@pytest.fixture
def open_as(browser, live_server, viewport):
    """open_as(user, terminal=None) -> a page signed in as `user`, in English; the test fails
    on any Content-Security-Policy violation of its pages."""
    with signed_in_pages(browser, live_server.url, timeout=15000) as make:
        yield lambda user, terminal=None: make(user, terminal, size=viewport)


def assert_touch_targets(page, selectors):
    for selector in selectors:
        box = page.locator(selector).first.bounding_box()
        assert box is not None, selector
        assert box["height"] >= 44 and box["width"] >= 44, (selector, box)


def screenshot(page, name, viewport):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{viewport[0]}x{viewport[1]}.png"), full_page=True)


def test_counter_sale_by_barcode_paid_in_cash(open_as, live_server, viewport, hotel, catalog,
                                              terminal, cashier, product):  # fmt: skip
    # given
    page = open_as(cashier, terminal)
    page.goto(f"{live_server.url}/pos/counter/")
    assert_touch_targets(
        page, ["[data-testid=barcode]", ".pos-categories .tile", ".pos-products .tile"]
    )
    # when: the scanner types the digits and Enter
    page.fill("[data-testid=barcode]", product("cafe").ean13)
    page.press("[data-testid=barcode]", "Enter")
    page.wait_for_selector("[data-testid=cart] >> text=Espresso")
    assert page.inner_text("[data-testid=total]").strip() == "€2.50"
    assert_touch_targets(
        page,
        ["[data-testid=tender-cash]", "[data-testid=tender-card]", "[data-testid=tender-room]"],
    )
    # the tender first, then its fields
    page.click("[data-testid=tender-cash]")
    page.fill("[data-testid=tendered]", "10")
    page.click("[data-testid=pay-cash]")
    # then
    page.wait_for_selector("[data-testid=receipt]")
    assert "€7.50" in page.inner_text("[data-testid=change]")
    assert_touch_targets(page, ["[data-testid=new-sale]"])
    screenshot(page, "counter-cash-sale", viewport)


def test_front_desk_check_in_and_check_out(open_as, live_server, viewport, hotel, book, clerk):
    # given: a demo-like reservation arriving today
    res = book("superieure", nights=1, last_name="Dupont")
    page = open_as(clerk)
    page.goto(f"{live_server.url}/frontdesk/")
    # when: check in
    page.click(f"[data-testid=arrivals] >> text={res.reference}")
    assert_touch_targets(page, ["[data-testid=check-in]", "[data-testid=check-in-form] select"])
    page.click("[data-testid=check-in]")
    # then
    page.wait_for_selector("[data-testid=check-out]")
    assert page.inner_text("[data-testid=status]") == "In house"
    # when: check out with the night unpaid: refused, the amount said
    page.click("[data-testid=check-out]")
    page.wait_for_selector("[data-testid=error] >> text=is still due")
    assert page.inner_text("[data-testid=status]") == "In house"
    # when: check out taking the payment of the whole balance by card
    page.check("[data-testid=balance-pay]")
    page.fill("[data-testid=balance-pay-reference]", "TPE-42")
    assert_touch_targets(page, ["[data-testid=check-out]"])
    page.click("[data-testid=check-out]")
    # then
    page.wait_for_selector("text=is checked out")
    assert page.inner_text("[data-testid=balance]").strip() == "€0.00"
    res.refresh_from_db()
    assert res.status == Reservation.Status.CHECKED_OUT
    screenshot(page, "frontdesk-check-in-out", viewport)


def test_room_charge_appears_on_the_front_desk_folio(open_as, live_server, viewport, hotel,
                                                     rooms, book, terminal, cashier, clerk,
                                                     product):  # fmt: skip
    # given: room 12 is in house
    from pms.services.rooms import room_create
    from pms.services.stays import reservation_check_in

    room12 = room_create(room_type=rooms["classique"], number="12", floor=0)
    res = book("classique", nights=2, last_name="Douze")
    reservation_check_in(reservation=res, assignments={res.rooms.get().pk: room12.pk})
    till = open_as(cashier, terminal)
    till.goto(f"{live_server.url}/pos/counter/")
    # when: a basket charged to room 12
    till.click(f"[data-testid=product-{product('cafe').code}]")
    till.wait_for_selector("[data-testid=cart] >> text=Espresso")
    till.click("[data-testid=tender-room]")
    till.fill("[data-testid=room-number]", "12")
    till.click("[data-testid=pay-room]")
    # the till names the guest and asks before charging
    till.wait_for_selector("[data-testid=room-confirm] >> text=Douze")
    till.click("[data-testid=room-confirm-yes]")
    till.wait_for_selector("[data-testid=charged-to-room]")
    # then: the front desk sees it on the folio
    desk = open_as(clerk)
    desk.goto(f"{live_server.url}/frontdesk/reservations/{res.reference}/")
    folio = desk.inner_text("[data-testid=folio]")
    assert "Espresso" in folio and "€2.50" in folio
    screenshot(desk, "room-charge-on-folio", viewport)
    # and a room without a guest is refused on the till's screen
    till.goto(f"{live_server.url}/pos/counter/")
    till.click(f"[data-testid=product-{product('cafe').code}]")
    till.wait_for_selector("[data-testid=cart] >> text=Espresso")
    till.click("[data-testid=tender-room]")
    till.fill("[data-testid=room-number]", "999")
    till.click("[data-testid=pay-room]")
    till.wait_for_selector("[data-testid=error]")
    assert "Room 999 has no guest in house." in till.inner_text("[data-testid=error]")


def test_waiter_tablet_table_to_kitchen_display_and_payment(open_as, live_server, viewport,
                                                            hotel, catalog, terminal, cashier,
                                                            product):  # fmt: skip
    # given: a table on the floor plan
    from pos.models import Order, Table, TableTab

    Table.objects.create(
        property=hotel, outlet=terminal.outlet, label="T7", seats=4, pos_x=1, pos_y=1
    )
    tablet = open_as(cashier, terminal)
    tablet.goto(f"{live_server.url}/pos/tables/")
    # when: open it for two, order a rare rib-eye, send it
    tablet.fill("[data-testid=table-T7] input[name=covers]", "2")
    tablet.click("[data-testid=table-T7] button")
    tablet.wait_for_selector("[data-testid=tab]")
    # one htmx request drew the tab screen in place; the address bar follows it
    tab = TableTab.objects.get(table__label="T7", status=TableTab.Status.OPEN)
    assert tablet.url.endswith(f"/pos/tabs/{tab.pk}/")
    tablet.click(f"text={product('entrecote').category.name_en}")
    tablet.wait_for_selector("[data-testid=menu-entrecote]")
    # the rib-eye's sheet asks its cooking (required) before the line is added
    tablet.click("[data-testid=menu-entrecote]")
    tablet.click("[data-testid=modifier-rare] >> xpath=..")
    tablet.click("[data-testid=add-entrecote]")
    tablet.wait_for_selector("[data-testid=tab] >> text=Rare")
    # the dish's form is cleared once it is added: the next rib-eye starts without "rare"
    assert not tablet.is_checked("[data-testid=modifier-rare]")
    assert_touch_targets(tablet, ["[data-testid=send]", "[data-testid=menu-entrecote]"])
    tablet.click("[data-testid=send]")
    tablet.wait_for_selector("text=Sent to the kitchen.")
    # then: the kitchen display shows it and the cook bumps it
    kds = open_as(cashier)
    kds.goto(f"{live_server.url}/pos/kitchen/kitchen/")
    kds.wait_for_selector("[data-testid=tickets] >> text=T7")
    assert "Rare" in kds.inner_text("[data-testid=tickets]")
    assert_touch_targets(kds, ["[data-testid=bump]"])
    kds.click("[data-testid=bump]")
    kds.wait_for_selector("text=Nothing to prepare.")
    # when: the table pays by card
    tablet.click("[data-testid=tender-card]")
    tablet.fill("#card_reference", "TPE-9")
    tablet.click("[data-testid=pay-card]")
    tablet.wait_for_selector("[data-testid=receipt]")
    assert tablet.url.endswith(f"/pos/counter/receipt/{Order.objects.get(tab=tab).pk}/")
    assert tablet.title().startswith("Receipt")
    assert "€29.00" in tablet.inner_text("[data-testid=receipt-total]")
    screenshot(tablet, "waiter-table-paid", viewport)


def test_waiter_table_5_to_kitchen_void_with_pin_then_room_12_folio(
    open_as, live_server, viewport, hotel, catalog, rooms, book, terminal, waiter, manager,
    clerk, product,
):  # fmt: skip
    """The issue's scenario in one flow: a waiter opens table 5, orders two items with a
    modifier (and a dessert by mistake), sends; a sent item is voided with a manager's PIN
    (a wrong PIN is refused on the screen); the kitchen display shows and bumps the ticket;
    the floor plan shows the table ready; the bill is charged to room 12; the folio shows it."""
    from pms.services.rooms import room_create
    from pms.services.stays import reservation_check_in
    from pos.models import Table, TabLine

    # given: room 12 in house, table 5 on the floor plan
    room12 = room_create(room_type=rooms["classique"], number="12", floor=0)
    res = book("classique", nights=2, last_name="Douze")
    reservation_check_in(reservation=res, assignments={res.rooms.get().pk: room12.pk})
    Table.objects.create(property=hotel, outlet=terminal.outlet, label="5", seats=4)
    tablet = open_as(waiter, terminal)
    tablet.goto(f"{live_server.url}/pos/tables/")
    assert_touch_targets(tablet, ["[data-testid=table-5] [data-testid=open]"])
    # this story sends every dish at once: no dish keeps a course of its own here
    from inventory.models import Product

    Product.objects.filter(property=hotel).update(default_course=0)
    # when: open table 5 for two; a rare rib-eye and a Niçoise salad; a crème brûlée
    tablet.fill("[data-testid=table-5] input[name=covers]", "2")
    tablet.click("[data-testid=table-5] [data-testid=open]")
    tablet.wait_for_selector("[data-testid=tab]")
    tablet.click(f"text={product('entrecote').category.name_en}")
    tablet.wait_for_selector("[data-testid=menu-entrecote]")
    tablet.click("[data-testid=menu-entrecote]")
    tablet.click("[data-testid=modifier-rare] >> xpath=..")
    tablet.click("[data-testid=add-entrecote]")
    tablet.wait_for_selector("[data-testid=tab] >> text=Rare")
    tablet.click("[data-testid=menu-salade-nicoise]")  # optional choices only: one tap
    tablet.wait_for_selector("[data-testid=tab] >> text=Niçoise salad")
    tablet.click(f"nav[aria-label=Categories] >> text={product('creme-brulee').category.name_en}")
    tablet.click("[data-testid=menu-creme-brulee]")
    tablet.wait_for_selector("[data-testid=tab] >> text=Crème brûlée")
    assert tablet.inner_text("[data-testid=total]").strip() == "€56.00"
    assert_touch_targets(
        tablet,
        ["[data-testid=send]", "[data-testid=menu-creme-brulee]", "[data-testid=course-2]",
         ".category-row .cat"],
    )  # fmt: skip
    tablet.click("[data-testid=send]")
    tablet.wait_for_selector("text=Sent to the kitchen.")
    # when: the dessert was a mistake: void it; the manager's PIN is typed wrong first
    dessert = TabLine.objects.get(tab__table__label="5", product=product("creme-brulee"))
    tablet.click(f"[data-testid=void-{dessert.pk}]")
    # the confirm button of the dessert's own form, once its <details> has opened
    confirm = f"[data-testid=line-{dessert.pk}] [data-testid=void-confirm]"
    tablet.wait_for_selector(confirm, state="visible")
    assert_touch_targets(tablet, [f"[data-testid=void-{dessert.pk}]", confirm])
    form = tablet.locator(f"[data-testid=line-{dessert.pk}] [data-testid=void-form]")
    form.locator("[data-testid=void-reason]").fill("Ordered by mistake")
    form.locator("[data-testid=approver]").select_option(str(manager.pk))
    form.locator("[data-testid=pin]").fill("000000")
    form.locator("[data-testid=void-confirm]").click()
    # then: refused on the screen, nothing voided
    tablet.wait_for_selector(".messages >> text=Wrong PIN.")
    dessert.refresh_from_db()
    assert dessert.voided_at is None
    # when: the right PIN
    tablet.click(f"[data-testid=void-{dessert.pk}]")
    form = tablet.locator(f"[data-testid=line-{dessert.pk}] [data-testid=void-form]")
    form.locator("[data-testid=void-reason]").fill("Ordered by mistake")
    form.locator("[data-testid=approver]").select_option(str(manager.pk))
    form.locator("[data-testid=pin]").fill("666666")
    form.locator("[data-testid=void-confirm]").click()
    tablet.wait_for_selector("text=The item is voided.")
    assert tablet.inner_text("[data-testid=total]").strip() == "€47.00"
    dessert.refresh_from_db()
    assert dessert.void_approved_by == manager and dessert.void_reason == "Ordered by mistake"
    screenshot(tablet, "waiter-tab-voided", viewport)
    # then: the kitchen display shows the table's ticket, the dessert struck out; bump it
    kds = open_as(waiter)
    kds.goto(f"{live_server.url}/pos/kitchen/kitchen/")
    kds.wait_for_selector("[data-testid=tickets] >> text=Rare")
    tickets = kds.inner_text("[data-testid=tickets]")
    assert "5" in tickets and "Niçoise salad" in tickets
    assert "Crème brûlée" in kds.inner_text("[data-testid=voided]")
    assert_touch_targets(kds, ["[data-testid=bump]"])
    kds.click("[data-testid=bump]")
    kds.wait_for_selector("text=Nothing to prepare.")
    screenshot(kds, "waiter-kitchen-bumped", viewport)
    # then: the waiter's floor plan shows table 5 ready (polling, no reload needed)
    tablet.goto(f"{live_server.url}/pos/tables/")
    tablet.wait_for_selector("[data-testid=table-5][data-state=ready]")
    assert tablet.inner_text("[data-testid=table-5] [data-testid=state]") == "Ready"
    screenshot(tablet, "waiter-floor-ready", viewport)
    # when: charge the bill to room 12
    tablet.click("[data-testid=table-5] a")
    tablet.wait_for_selector("[data-testid=tender-room]")
    assert_touch_targets(
        tablet,
        ["[data-testid=tender-room]", "[data-testid=tender-card]", "[data-testid=tender-cash]",
         "[data-testid=served]"],
    )  # fmt: skip
    tablet.click("[data-testid=tender-room]")
    tablet.fill("[data-testid=room-number]", "12")
    tablet.click("[data-testid=pay-room]")
    tablet.click("[data-testid=room-confirm-yes]")
    tablet.wait_for_selector("[data-testid=charged-to-room]")
    assert tablet.inner_text("[data-testid=receipt-total]").strip() == "€47.00"
    screenshot(tablet, "waiter-room-12-charged", viewport)
    # then: the front desk sees it on room 12's folio
    desk = open_as(clerk)
    desk.goto(f"{live_server.url}/frontdesk/reservations/{res.reference}/")
    folio = desk.inner_text("[data-testid=folio-lines]")
    assert "Grilled rib-eye" in folio and "€29.00" in folio and "€18.00" in folio
    assert "Crème brûlée" not in folio
    screenshot(desk, "waiter-room-12-folio", viewport)


def test_quick_taps_on_the_tablet_lose_no_dish(open_as, live_server, viewport, hotel, catalog,
                                               terminal, waiter, product):  # fmt: skip
    """A waiter taps three dishes faster than the server answers: the taps queue (htmx
    hx-sync), each is added once, and the order column ends with all three."""
    from pos.models import Table, TableTab, TabLine

    Table.objects.create(property=hotel, outlet=terminal.outlet, label="Q1", seats=4)
    tablet = open_as(waiter, terminal)
    tablet.goto(f"{live_server.url}/pos/tables/")
    tablet.click("[data-testid=table-Q1] [data-testid=open]")
    tablet.wait_for_selector("[data-testid=tab]")
    # the header follows the new screen: switching user comes back to this tab
    tab_path = f"/pos/tabs/{TableTab.objects.get(table__label='Q1').pk}/"
    assert tablet.url.endswith(tab_path)
    pin_href = tablet.get_attribute("[data-testid=pin-switch]", "href")
    assert pin_href.endswith("?next=" + tab_path.replace("/", "%2F"))
    assert tablet.input_value("form.lang input[name=next]") == tab_path
    tablet.click(f"text={product('entrecote').category.name_en}")
    tablet.wait_for_selector("[data-testid=menu-entrecote]")
    # the one main course without a sheet of choices (the others open theirs on a tap)
    for code in ("croque", "croque", "croque"):
        tablet.click(f"[data-testid=menu-{code}]", no_wait_after=True)
    # a locator, not wait_for_function: the page's CSP runs no string as script (no eval)
    expect(tablet.locator("[data-testid=tab] tr[data-testid^=line-]")).to_have_count(3)
    assert TabLine.objects.filter(tab__table__label="Q1").count() == 3
    expected = 3 * product("croque").price
    assert tablet.inner_text("[data-testid=total]").strip() == f"€{expected:.2f}"
    screenshot(tablet, "waiter-quick-taps", viewport)
