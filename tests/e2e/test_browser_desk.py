"""Front desk and every staff screen in real headless Chromium (Playwright), at tablet portrait
(768×1024) and laptop (1280×800) sizes. Screenshots are kept in test-artifacts/screens/.

- One receptionist flow: check-in with a deposit and a room, room move, an extra, check-out,
  settlement, invoice, PDF download — each step swapped in place by htmx (no page reload).
- Every staff screen: no horizontal scroll and every visible button, link and field at least
  44 px high (touch targets)."""

from datetime import timedelta

import pytest

from billing.models import Invoice, Payment
from core.models import Role
from pms.models import Reservation, Room
from tests.e2e import test_browser as shared
from tests.factories.core import make_staff

# the live-server browser fixtures of test_browser.py, shared rather than copied
_async_unsafe = shared._async_unsafe
browser = shared.browser
open_as = shared.open_as
viewport = shared.viewport
screenshot = shared.screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_front_desk_stay_from_check_in_to_invoice(open_as, live_server, viewport, hotel, catalog,
                                                  book, clerk, product):  # fmt: skip
    # given: a guest arriving today for two nights
    res = book("superieure", nights=2, last_name="Navarro")
    page = open_as(clerk)
    page.goto(f"{live_server.url}/frontdesk/")
    page.click(f"[data-testid=arrivals] >> text={res.reference}")
    page.wait_for_selector("[data-testid=check-in-form]")
    page.evaluate("window.__sameDocument = true")  # survives htmx swaps, not page loads
    # when: check in with identity and a 50 € deposit by card
    page.fill("#first_name", "Lucia")
    page.fill("#email", "lucia@example.com")
    page.fill("#deposit", "50")
    page.select_option("#deposit_method", "card")
    page.fill("#deposit_reference", "TPE-50")
    page.click("[data-testid=check-in]")
    # then
    page.wait_for_selector("[data-testid=notice] >> text=Deposit of €50.00 recorded.")
    assert page.inner_text("[data-testid=status]") == "In house"
    assert "Deposit · Card · TPE-50" in page.inner_text("[data-testid=payments]")
    first_room = page.inner_text("[data-testid=room-number]")
    screenshot(page, "desk-1-checked-in", viewport)
    # when: move the guest to another clean room
    options = page.locator("[data-testid=move-room] option")
    target = options.first.inner_text().split(" · ")[0]
    page.select_option("[data-testid=move-room]", index=0)
    page.click("[data-testid=move]")
    # then
    page.wait_for_selector(f"[data-testid=notice] >> text=to room {target}.")
    assert page.inner_text("[data-testid=room-number]") == target != first_room
    screenshot(page, "desk-2-moved", viewport)
    # when: post two espressos
    page.select_option("[data-testid=extra-product]", str(product("cafe").pk))
    page.fill("#quantity", "2")
    page.click("[data-testid=post-extra]")
    # then
    page.wait_for_selector("[data-testid=notice] >> text=posted (€5.00)")
    assert "Espresso" in page.inner_text("[data-testid=folio-lines]")
    screenshot(page, "desk-3-extra", viewport)
    # when: check out, the guest paying the balance by card
    page.click("[data-testid=check-out]")
    page.wait_for_selector("[data-testid=error] >> text=is still due")
    page.check("[data-testid=balance-pay]")
    page.fill("[data-testid=balance-pay-reference]", "TPE-51")
    page.click("[data-testid=check-out]")
    page.wait_for_selector("[data-testid=notice] >> text=is checked out")
    assert page.inner_text("[data-testid=status]") == "Checked out"
    assert page.inner_text("[data-testid=balance]").strip() == "€0.00"
    # when: issue the invoice
    page.click("[data-testid=issue-invoice]")
    page.wait_for_selector("[data-testid=notice] >> text=issued")
    # then: one invoice, its PDF downloads
    invoice = Invoice.objects.get(folio__reservation=res)
    link = page.locator(f"[data-testid=pdf-{invoice.number}]")
    pdf = page.request.get(live_server.url + link.get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    assert page.evaluate("window.__sameDocument") is True
    res.refresh_from_db()
    assert res.status == Reservation.Status.CHECKED_OUT
    assert sum(p.amount for p in Payment.objects.filter(folio=res.folio)) == invoice.total
    screenshot(page, "desk-4-invoiced", viewport)


def test_a_refused_check_in_is_shown_in_place(open_as, live_server, viewport, hotel, catalog,
                                              book, clerk):  # fmt: skip
    # given
    res = book("classique", nights=1, last_name="Refus")
    page = open_as(clerk)
    page.goto(f"{live_server.url}/frontdesk/reservations/{res.reference}/")
    # when: a deposit that is not an amount
    page.fill("#deposit", "cinquante")
    page.click("[data-testid=check-in]")
    # then
    page.wait_for_selector("[data-testid=check-in-form] [data-testid=error]")
    assert "Enter a valid amount." in page.inner_text("[data-testid=error]")
    assert page.inner_text("[data-testid=status]") == "Confirmed"
    screenshot(page, "desk-refused-check-in", viewport)


TOUCH_TARGETS = """
() => {
  const small = [];
  const selector = 'button, a, select, summary, '
    + 'input:not([type=hidden]):not([type=radio]):not([type=checkbox])';
  for (const el of document.querySelectorAll(selector)) {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (box.width === 0 || box.height === 0 || style.visibility === 'hidden') continue;
    if (el.closest('.sr-only')) continue;
    if (box.height >= 44) continue;
    const label = (el.innerText || el.name || '').trim().slice(0, 30);
    small.push(`${el.tagName} "${label}" ${Math.round(box.height)}px`);
  }
  return small;
}
"""


@pytest.fixture
def staff_screens(hotel, catalog, rooms, book, terminal):
    """A property with a guest in house, a table and a manager at a bound till; returns the
    manager and the staff screens to visit."""
    from pms.services.stays import reservation_check_in
    from pos.models import Table

    Table.objects.create(
        property=hotel, outlet=terminal.outlet, label="T1", seats=4, pos_x=1, pos_y=1
    )
    res = book("classique", nights=3, last_name="Ecrans")
    reservation_check_in(
        reservation=res,
        assignments={res.rooms.get().pk: Room.objects.get(property=hotel, number="101").pk},
    )
    later = book("superieure", nights=2, offset=3, last_name="Plustard")
    manager = make_staff(hotel, Role.MANAGER, username="boss", pin="666666")
    start = hotel.business_date() + timedelta(days=7)
    screens = {
        "home": "/",
        "frontdesk": "/frontdesk/",
        "room-grid": "/frontdesk/grid/",
        "room-grid-next-week": f"/frontdesk/grid/?start={start:%Y-%m-%d}",
        "reservation-in-house": f"/frontdesk/reservations/{res.reference}/",
        "reservation-expected": f"/frontdesk/reservations/{later.reference}/",
        "housekeeping": "/housekeeping/",
        "night-audit": "/frontdesk/night-audit/",
        "police-form": f"/frontdesk/reservations/{res.reference}/police-form/",
        "police-forms": "/frontdesk/police-forms/",
        "counter": "/pos/counter/",
        "tables": "/pos/tables/",
        "kitchen": "/pos/kitchen/kitchen/",
        "cash": "/pos/cash/",
        "terminals": "/pos/terminals/",
        "pin-switch": "/pin/",
        "staff": "/staff/",
        "printers": "/devices/",
        "channels": "/channels/connections/",
        "accounting": "/billing/accounting/",
        "dashboard": "/reporting/",
        "alerts": "/reporting/alerts/",
        "financial": "/reporting/financial/",
    }
    # an alert waiting in the inbox (its acknowledge form is measured too)
    from inventory.models import CapacityBucket, CapacityPool
    from reporting.services import alerts_evaluate

    pool = CapacityPool.objects.create(
        property=hotel, code="paniers-ecrans", name="Paniers", kind="stock", reorder_point=3
    )
    CapacityBucket.objects.create(pool=pool, capacity=5, sold=4)
    alerts_evaluate(property=hotel)
    return manager, screens


def test_every_staff_screen_fits_and_has_touch_targets(open_as, live_server, viewport,
                                                       staff_screens, terminal):  # fmt: skip
    manager, screens = staff_screens
    page = open_as(manager, terminal)
    problems = {}
    for name, path in screens.items():
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        screenshot(page, f"screen-{name}", viewport)
        overflow = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        if overflow[0] > overflow[1]:
            problems[path] = f"horizontal scroll: {overflow[0]} > {overflow[1]}"
            continue
        small = page.evaluate(TOUCH_TARGETS)
        if small:
            problems[path] = small
    assert not problems, "\n".join(f"{k}: {v}" for k, v in problems.items())
