"""The lobby kiosk in real Chromium (tablet 768×1024): a coffee and a croissant ordered in
at most six taps and paid at the counter by the ticket number; no staff screen reachable
from it (every link and form crawled); the basket emptied after the idle time; FR/EN."""

from decimal import Decimal
from urllib.parse import urlparse

import pytest
from django.conf import settings

from pos.models import GuestOrder, Order
from pos.services.guest_orders import point_token
from tests.browser import assert_no_csp_violation, watch_csp
from tests.e2e.test_browser_taps import (  # noqa: F401 (the fixtures of the staff screens' tests)
    TABLET,
    Taps,
    _async_unsafe,
    browser,
    open_as,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = settings.BASE_DIR / "test-artifacts" / "screens"


@pytest.fixture
def kiosk(browser, live_server):  # noqa: F811
    context = browser.new_context(viewport={"width": TABLET[0], "height": TABLET[1]})
    violations = watch_csp(context)
    page = context.new_page()
    page.set_default_timeout(20000)
    yield page
    context.close()
    assert_no_csp_violation(violations)


def test_a_coffee_and_a_croissant_in_six_taps_paid_at_the_counter(
    kiosk,
    open_as,  # noqa: F811
    live_server,
    kiosk_point,
    terminal,
    cashier,
):
    kiosk.goto(f"{live_server.url}/kiosk/{point_token(kiosk_point)}/?lang=en")
    taps = Taps(kiosk)
    taps.tap("[data-testid=add-croissant]")
    kiosk.wait_for_selector("[data-testid=basket] >> text=Croissant")
    taps.tap("[data-testid=categories] >> text=Drinks")
    taps.tap("[data-testid=add-cafe]")
    kiosk.wait_for_selector("[data-testid=total] >> text=€4.30")
    SHOTS.mkdir(parents=True, exist_ok=True)
    kiosk.screenshot(path=str(SHOTS / "kiosk-basket.png"), full_page=True)
    taps.tap("[data-testid=order]")
    kiosk.wait_for_selector("[data-testid=ticket-number]")
    kiosk.screenshot(path=str(SHOTS / "kiosk-ticket.png"), full_page=True)
    assert taps.count <= 6, taps.count
    order = GuestOrder.objects.get()
    assert kiosk.inner_text("[data-testid=ticket-number]") == order.number
    assert order.total == Decimal("4.30")

    till = open_as(cashier, terminal)
    till.goto(f"{live_server.url}/pos/tables/")
    till.click(f"[data-testid=guest-order-{order.pk}] [data-testid=pay-cash]")
    till.wait_for_selector(f"text=Ticket {order.number} is paid.")
    sale = Order.objects.get(status=Order.Status.PAID)
    assert sale.ticket.total == Decimal("4.30")
    assert {line.description for line in sale.ticket.lines.all()} == {"Croissant", "Espresso"}


def test_no_staff_url_is_reachable_from_the_kiosk(kiosk, live_server, kiosk_point):
    token = point_token(kiosk_point)
    start = f"/kiosk/{token}/?lang=en"
    allowed = (f"/kiosk/{token}/", "/static/")
    seen, queue, targets = set(), [start], set()
    while queue and len(seen) < 40:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        kiosk.goto(live_server.url + path)
        links = kiosk.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        actions = kiosk.eval_on_selector_all("form", "els => els.map(e => e.action)")
        assets = kiosk.eval_on_selector_all(
            "link[href], script[src]", "els => els.map(e => e.href || e.src)"
        )
        for url in links + actions + assets:
            parsed = urlparse(url)
            assert parsed.netloc == urlparse(live_server.url).netloc, url
            target = parsed.path + (f"?{parsed.query}" if parsed.query else "")
            targets.add(parsed.path)
            if url in links and parsed.path.startswith(allowed[0]):
                queue.append(target)
    assert len(seen) > 3  # the categories and both languages were visited
    assert all(path.startswith(allowed) for path in targets), sorted(targets)


def test_the_basket_is_emptied_after_the_idle_time(kiosk, live_server, kiosk_point):
    kiosk.clock.install()
    kiosk.goto(f"{live_server.url}/kiosk/{point_token(kiosk_point)}/?lang=fr")
    kiosk.click("[data-testid=add-croissant]")
    kiosk.wait_for_selector("[data-testid=basket] >> text=Croissant")
    assert "1 article" in kiosk.inner_text("[data-testid=basket]")
    kiosk.clock.fast_forward(settings.KIOSK_IDLE_SECONDS * 1000 + 1000)
    kiosk.wait_for_selector("[data-testid=order][disabled]")
    assert "Croissant" not in kiosk.inner_text("[data-testid=basket]")
