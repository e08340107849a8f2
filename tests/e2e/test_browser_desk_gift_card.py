"""A gift card sold at the front desk in real headless Chromium at 768×1024, in French
(issue 24): from the front desk's page, the amount, the buyer and the recipient, paid in
cash; the code in groups of four, its value `75,50 €` and its QR code on screen; the e-mail
waits in the outbox. Nothing scrolls sideways, no amount wraps."""

import pytest

from core.formatting import money
from core.models import OutboxMessage
from crm.models import GiftCard
from pos.models import Outlet, Terminal
from tests.e2e import test_browser as shared
from tests.e2e.test_browser_reservation_desk import fits
from tests.factories.catalogue import make_gift_card_product

_async_unsafe = shared._async_unsafe
browser = shared.browser
open_as = shared.open_as
screenshot = shared.screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def viewport():
    return (768, 1024)


def test_the_desk_sells_a_gift_card_and_shows_its_code_and_qr(
    open_as, live_server, viewport, hotel, catalog, clerk
):
    outlet = Outlet.objects.create(
        property=hotel, code="reception", name="Réception", kind=Outlet.Kind.RECEPTION
    )
    Terminal.objects.create(property=hotel, outlet=outlet, name="Comptoir")
    make_gift_card_product(hotel)
    page = open_as(clerk)
    page.context.add_cookies([{"name": "django_language", "value": "fr", "url": live_server.url}])
    page.goto(f"{live_server.url}/frontdesk/")
    page.click("[data-testid=gift-cards-link]")
    page.fill("[data-testid=gift-card-amount]", "75,50")
    page.fill("[data-testid=buyer-first-name]", "Paul")
    page.fill("[data-testid=buyer-last-name]", "Durand")
    page.fill("[data-testid=buyer-email]", "paul@example.fr")
    page.fill("[data-testid=recipient-email]", "amie@example.fr")
    page.check("[data-testid=tender-cash]")
    fits(page)
    screenshot(page, "desk-gift-card-form", viewport)
    page.click("[data-testid=sell-gift-card]")

    page.wait_for_selector("[data-testid=gift-card-sold]")
    card = GiftCard.objects.get()
    code = "-".join(card.code[i : i + 4] for i in range(0, 16, 4))
    assert page.inner_text("[data-testid=gift-card-code]") == code
    assert money("75.50", language="fr") in page.inner_text("[data-testid=gift-card-value]")
    # the QR image is served and drawn (not a broken image), once the browser has loaded it
    page.wait_for_function(
        "() => { const qr = document.querySelector('[data-testid=gift-card-qr]');"
        " return qr && qr.complete; }"
    )
    assert page.evaluate("document.querySelector('[data-testid=gift-card-qr]').naturalWidth > 0")
    assert "paul@example.fr" in page.inner_text("[data-testid=emailed]")
    assert OutboxMessage.objects.filter(task="crm.tasks.gift_card_email_task").count() == 1
    fits(page)
    screenshot(page, "desk-gift-card-sold", viewport)
