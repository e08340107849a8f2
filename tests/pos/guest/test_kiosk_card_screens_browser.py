"""The kiosk's card-payment pages in real Chromium, in French, on the lobby tablet (768×1024)
and on a phone-sized kiosk (390×844): "present your card", the card declined (back to the
basket), paid with the receipt's choices, the receipt e-mailed. A basket over a thousand
euros says its amounts as a French guest reads them (1 249,50 €), its count in the plural,
and nothing pushes a page sideways (the Caisse-AP simulator, a real worker)."""

import re

import pytest
from django.conf import settings

from devices.models import Printer
from inventory.models import Category
from pos.models import GuestOrder
from pos.services.guest_orders import point_token
from tests.browser import assert_no_csp_violation, fits, watch_csp
from tests.devices.caisse_ap_simulator import Script, running_simulator
from tests.e2e.test_browser_taps import _async_unsafe, browser  # noqa: F401 (fixtures)
from tests.factories.catalogue import make_product
from tests.pos.guest.test_kiosk_browser import _pair_card_terminal
from tests.worker import running_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = settings.BASE_DIR / "test-artifacts" / "screens"
SIZES = [(768, 1024), (390, 844)]
# what a French guest reads: a space between the thousands, a comma, the euro sign after
AMOUNT = re.compile(r"1[\u202f\u00a0 ]249,50[\u202f\u00a0 ]€")
SIDEWAYS = "document.documentElement.scrollWidth"


@pytest.fixture(params=SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def size(request):
    return request.param


@pytest.fixture
def kiosk(browser, live_server, size):  # noqa: F811
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    violations = watch_csp(context)
    page = context.new_page()
    page.set_default_timeout(20000)
    yield page
    context.close()
    assert_no_csp_violation(violations)


def _shot(page, name, size):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{size[0]}x{size[1]}.png"), full_page=True)


def _magnum(kiosk_point) -> None:
    """A 249,90 € product: five of them make a basket over a thousand euros."""
    breakfast = Category.objects.get(property=kiosk_point.property, name_fr="Petit-déjeuner")
    make_product(
        kiosk_point.property, "magnum", "Magnum de champagne", "249.90", category=breakfast
    )


def _five_magnums(kiosk, live_server, token: str) -> None:
    """The French kiosk with five magnums in its basket (1 249,50 €), tapped one by one."""
    kiosk.goto(f"{live_server.url}/kiosk/{token}/?lang=fr")
    for n in range(5):
        kiosk.click("[data-testid=add-magnum]")
        kiosk.wait_for_selector(f"[data-testid=basket] >> text={n + 1} × Magnum")


def test_the_kiosk_card_pages_in_french_fit_the_tablet_and_the_phone(
    kiosk, live_server, kiosk_point, terminal, size
):
    _magnum(kiosk_point)
    # the outlet's receipt printer, on the counter's terminal: the kiosk offers "Print it"
    terminal.printer = Printer.objects.create(
        property=kiosk_point.property,
        code="bar",
        name="Bar",
        connection="file",
        file_path="/dev/null",
    )
    terminal.save()
    token = point_token(kiosk_point)
    widths = {}
    # the first card is declined, the second approved once the cardholder typed the PIN
    scripts = [Script("refuse"), Script("approve", delay=2.0, authorisation="135790")]
    with running_simulator(*scripts) as sim:
        _pair_card_terminal(kiosk_point, sim.host, sim.port)
        with running_worker():
            _five_magnums(kiosk, live_server, token)
            assert AMOUNT.search(kiosk.inner_text("[data-testid=total]"))
            assert "5 articles" in kiosk.inner_text("[data-testid=basket]")
            widths["basket"] = kiosk.evaluate(SIDEWAYS)
            kiosk.click("[data-testid=pay-card]")
            kiosk.wait_for_selector("[data-testid=error] >> text=Votre carte a été refusée")
            _shot(kiosk, "kiosk-card-declined", size)
            widths["declined"] = kiosk.evaluate(SIDEWAYS)
            assert "5 × Magnum" in kiosk.inner_text("[data-testid=basket]")

            kiosk.click("[data-testid=pay-card]")
            kiosk.wait_for_selector("[data-testid=present-card]")
            shown = kiosk.inner_text("[data-testid=present-card]")
            assert AMOUNT.search(kiosk.inner_text("[data-testid=card-amount]")), shown
            assert "Présentez votre carte" in shown
            _shot(kiosk, "kiosk-card-present", size)
            widths["present"] = kiosk.evaluate(SIDEWAYS)

            kiosk.wait_for_selector("[data-testid=paid]")
            paid = kiosk.inner_text("[data-testid=done]")
            assert AMOUNT.search(kiosk.inner_text("[data-testid=paid]")), paid
            assert kiosk.inner_text("[data-testid=card-reference]") == "135790"
            # the order number and the receipt are two things, said apart
            assert "Votre numéro de commande" in paid and "Votre ticket" in paid
            _shot(kiosk, "kiosk-card-paid", size)
            widths["paid"] = kiosk.evaluate(SIDEWAYS)

            kiosk.click("[data-testid=receipt-print]")
            kiosk.wait_for_selector("[data-testid=notice] >> text=Votre ticket s’imprime")
            _shot(kiosk, "kiosk-card-receipt-printed", size)
            # the receipt is printing: the way out no longer says "no receipt"
            assert kiosk.inner_text("[data-testid=new-order]").strip() == "Nouvelle commande"
            widths["printed"] = kiosk.evaluate(SIDEWAYS)
            kiosk.fill("[data-testid=receipt-email]", "lea@example.com")
            kiosk.click("[data-testid=receipt-send]")
            kiosk.wait_for_selector("[data-testid=notice]")
            _shot(kiosk, "kiosk-card-receipt-sent", size)
            widths["receipt"] = kiosk.evaluate(SIDEWAYS)
    assert GuestOrder.objects.filter(status=GuestOrder.Status.PAID).count() == 1
    assert not {k: w for k, w in widths.items() if w > size[0]}, widths


def test_the_counter_page_after_a_terminal_that_did_not_confirm_in_french(
    kiosk, live_server, kiosk_point, size
):
    """The terminal hung up after taking the request: the guest reads why, the number to
    give at the counter and the amount to pay there as a French guest reads it, on one
    screen, nothing pushed sideways."""
    _magnum(kiosk_point)
    token = point_token(kiosk_point)
    with running_simulator(Script("close"), Script("approve")) as sim:
        _pair_card_terminal(kiosk_point, sim.host, sim.port)
        with running_worker():
            _five_magnums(kiosk, live_server, token)
            kiosk.click("[data-testid=pay-card]")
            kiosk.wait_for_selector("[data-testid=to-counter]", timeout=60000)
    order = GuestOrder.objects.get()
    done = kiosk.inner_text("[data-testid=done]")
    _shot(kiosk, "kiosk-card-to-counter", size)
    assert "n’a pas confirmé" in done or "n'a pas confirmé" in done, done
    assert order.number in kiosk.inner_text("[data-testid=ticket-number]")
    assert AMOUNT.search(kiosk.inner_text("[data-testid=to-pay]")), done
    # what to do comes first, large, under the number; why after it; all on the first screen
    to_pay = kiosk.locator("[data-testid=to-pay]")
    why = kiosk.locator("[data-testid=to-counter]").bounding_box()
    assert to_pay.bounding_box()["y"] < why["y"], done
    assert why["y"] + why["height"] <= size[1], why
    assert float(to_pay.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 20
    assert to_pay.evaluate("e => getComputedStyle(e).fontWeight") == "700"
    fits(kiosk)
