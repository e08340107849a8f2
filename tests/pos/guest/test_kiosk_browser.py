"""The lobby kiosk in real Chromium (tablet 768×1024): a coffee and a croissant ordered in
at most six taps and paid at the counter by the ticket number, or paid by card at the
kiosk's card terminal (the Caisse-AP simulator, a real worker) with the receipt e-mailed; no
staff screen reachable from it (every link and form crawled); the basket emptied after the
idle time; FR/EN."""

import time
from decimal import Decimal
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.core import mail

from devices.models import CardReader
from pos.models import GuestOrder, Order, Terminal
from pos.services.guest_orders import point_token
from tests.browser import assert_no_csp_violation, watch_csp
from tests.devices.caisse_ap_simulator import Script, running_simulator
from tests.e2e.test_browser_taps import (  # noqa: F401 (the fixtures of the staff screens' tests)
    TABLET,
    Taps,
    _async_unsafe,
    browser,
    open_as,
)
from tests.worker import running_worker

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


@pytest.mark.parametrize("card_terminal", [False, True], ids=["counter", "card-terminal"])
def test_no_staff_url_is_reachable_from_the_kiosk(kiosk, live_server, kiosk_point, card_terminal):
    if card_terminal:  # its "Pay by card here" form too (the crawl sends nothing to it)
        _pair_card_terminal(kiosk_point, "127.0.0.1", 9)
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


def _pair_card_terminal(kiosk_point, host, port):
    reader = CardReader.objects.create(
        property=kiosk_point.property,
        name="TPE borne",
        host=host,
        port=port,
        answer_timeout=10,
    )
    Terminal.objects.filter(pk=kiosk_point.terminal_id).update(card_reader=reader)


def _stays_in_the_kiosk(page, live_server, token):
    urls = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    urls += page.eval_on_selector_all("form", "els => els.map(e => e.action)")
    for url in urls:
        parsed = urlparse(url)
        assert parsed.netloc == urlparse(live_server.url).netloc, url
        assert parsed.path.startswith(f"/kiosk/{token}/"), url


def test_a_coffee_and_a_croissant_paid_by_card_at_the_kiosk_and_the_receipt_e_mailed(
    kiosk, live_server, kiosk_point
):
    token = point_token(kiosk_point)
    # the cardholder takes a moment: the kiosk shows "present your card" meanwhile
    with running_simulator(Script("approve", delay=2.0, authorisation="246810")) as sim:
        _pair_card_terminal(kiosk_point, sim.host, sim.port)
        with running_worker():
            kiosk.goto(f"{live_server.url}/kiosk/{token}/?lang=en")
            taps = Taps(kiosk)
            taps.tap("[data-testid=add-croissant]")
            kiosk.wait_for_selector("[data-testid=basket] >> text=Croissant")
            taps.tap("[data-testid=categories] >> text=Drinks")
            taps.tap("[data-testid=add-cafe]")
            kiosk.wait_for_selector("[data-testid=total] >> text=€4.30")
            taps.tap("[data-testid=pay-card]")
            kiosk.wait_for_selector("[data-testid=present-card]")
            assert "€4.30" in kiosk.inner_text("[data-testid=card-amount]")
            SHOTS.mkdir(parents=True, exist_ok=True)
            kiosk.screenshot(path=str(SHOTS / "kiosk-present-card.png"), full_page=True)
            # the page moves on by itself once the terminal approves
            kiosk.wait_for_selector("[data-testid=paid]")
            assert taps.count <= 6, taps.count
            order = GuestOrder.objects.get()
            assert kiosk.inner_text("[data-testid=ticket-number]") == order.number
            assert kiosk.inner_text("[data-testid=card-reference]") == "246810"
            _stays_in_the_kiosk(kiosk, live_server, token)
            kiosk.screenshot(path=str(SHOTS / "kiosk-paid-by-card.png"), full_page=True)
            kiosk.fill("[data-testid=receipt-email]", "lea@example.com")
            kiosk.click("[data-testid=receipt-send]")
            kiosk.wait_for_selector("[data-testid=notice] >> text=Your receipt is on its way")
            deadline = time.monotonic() + 20
            while not mail.outbox:
                assert time.monotonic() < deadline, "the receipt e-mail never left"
                time.sleep(0.1)
    assert len(sim.requests) == 1 and sim.requests[0]["CB"] == "430"
    sale = Order.objects.get(status=Order.Status.PAID)
    assert order.order_id == sale.pk and sale.ticket.total == Decimal("4.30")
    assert sale.ticket.payments.get().terminal_reference == "246810"
    assert mail.outbox[0].to == ["lea@example.com"] and str(sale.ticket) in mail.outbox[0].subject
    # "New order" (the receipt is sent): the next guest starts with an empty basket
    kiosk.click("[data-testid=new-order]")
    kiosk.wait_for_selector("[data-testid=order][disabled]")


def test_a_declined_card_at_the_kiosk_returns_to_the_basket_in_french(
    kiosk, live_server, kiosk_point, celery_eager
):
    with running_simulator(Script("refuse")) as sim:
        _pair_card_terminal(kiosk_point, sim.host, sim.port)
        kiosk.goto(f"{live_server.url}/kiosk/{point_token(kiosk_point)}/?lang=fr")
        kiosk.click("[data-testid=add-croissant]")
        kiosk.wait_for_selector("[data-testid=basket] >> text=Croissant")
        kiosk.click("[data-testid=pay-card]")
        kiosk.wait_for_selector("[data-testid=error] >> text=Votre carte a été refusée")
    assert "Croissant" in kiosk.inner_text("[data-testid=basket]")
    assert kiosk.is_enabled("[data-testid=pay-card]")
    assert not Order.objects.exists()
    assert GuestOrder.objects.get().status == GuestOrder.Status.REFUSED
