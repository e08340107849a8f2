"""A gift card bought in the booking engine, in real headless Chromium at 768×1024 (issue
24): the manager offers 50 € and 100 € on the screen; a guest chooses 100 €, types the
buyer and the recipient, pays on the provider's page (the fake on 127.0.0.1, a declined card
first); back on the hotel's page the code in groups of four, `100,00 €` and the QR code; one
card, one ticket; the e-mail waits in the outbox. Nothing scrolls sideways."""

import pytest

from billing.models import Ticket
from core.formatting import money
from core.models import OutboxMessage
from crm.models import GiftCard
from pos.models import OnlineGiftCardOffer, Outlet, Terminal
from tests.e2e import test_browser as shared
from tests.e2e.test_browser_reservation_desk import fits
from tests.factories.catalogue import make_gift_card_product
from tests.pms.payments.conftest import fake_provider  # noqa: F401

_async_unsafe = shared._async_unsafe
browser = shared.browser
open_as = shared.open_as
screenshot = shared.screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def viewport():
    return (768, 1024)


def test_a_guest_buys_a_gift_card_online_and_gets_its_code_and_qr(
    open_as,
    browser,
    live_server,
    viewport,
    hotel,
    catalog,
    manager,
    fake_provider,  # noqa: F811
):
    fake_provider.webhook_url = f"{live_server.url}/book/payments/webhook/"
    outlet = Outlet.objects.create(
        property=hotel, code="reception", name="Réception", kind=Outlet.Kind.RECEPTION
    )
    Terminal.objects.create(property=hotel, outlet=outlet, name="Comptoir")
    product = make_gift_card_product(hotel)

    # the manager offers two amounts on the screen
    back_office = open_as(manager)
    back_office.goto(f"{live_server.url}/manage/gift-cards-online/")
    back_office.fill(f"[data-testid=amounts-{product.code}]", "50; 100")
    back_office.click(f"[data-testid=save-{product.code}]")
    back_office.wait_for_selector("[data-testid=saved]")
    fits(back_office)
    screenshot(back_office, "gift-cards-online-manage", viewport)
    assert OnlineGiftCardOffer.objects.filter(product=product, is_active=True).count() == 2

    # a guest, in French, on the engine's page
    context = browser.new_context(
        viewport={"width": viewport[0], "height": viewport[1]}, locale="fr-FR"
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(f"{live_server.url}/book/{hotel.slug}/gift-cards/?lang=fr")
        assert money("100.00", language="fr") in page.inner_text(
            f"[data-testid=gift-product-{product.code}]"
        )
        page.check(f"[data-testid=offer-{product.code}-100]")
        page.fill("[data-testid=buyer-first-name]", "Paul")
        page.fill("[data-testid=buyer-last-name]", "Durand")
        page.fill("[data-testid=buyer-email]", "paul@example.fr")
        page.fill("[data-testid=recipient-name]", "Alice Martin")
        page.fill("[data-testid=recipient-email]", "alice@example.fr")
        fits(page)
        screenshot(page, "gift-card-online-form", viewport)
        page.click("[data-testid=gift-pay]")

        # the provider's page: a declined card, then a good one
        page.wait_for_selector("[data-testid=fake-pay]")
        assert page.url.startswith(fake_provider.url)
        page.fill("input[name=card_number]", "4000 0000 0000 0002")
        page.click("[data-testid=fake-pay]")
        assert "declined" in page.inner_text("[data-testid=fake-error]")
        assert not GiftCard.objects.exists()
        page.fill("input[name=card_number]", "4242 4242 4242 4242")
        page.click("[data-testid=fake-pay]")

        page.wait_for_selector("[data-testid=gift-card-code]")
        card = GiftCard.objects.get()
        code = "-".join(card.code[i : i + 4] for i in range(0, 16, 4))
        assert page.inner_text("[data-testid=gift-card-code]") == code
        assert money("100.00", language="fr") in page.inner_text("[data-testid=gift-card-value]")
        page.wait_for_function(
            "() => { const qr = document.querySelector('[data-testid=gift-card-qr]');"
            " return qr && qr.complete && qr.naturalWidth > 0; }"
        )
        assert "alice@example.fr" in page.inner_text("[data-testid=emailed]")
        fits(page)
        screenshot(page, "gift-card-online-done", viewport)
        # the return and the webhook both came: one card, one ticket, one e-mail waiting
        page.reload()
        assert GiftCard.objects.count() == 1 and Ticket.objects.count() == 1
        assert OutboxMessage.objects.filter(task="crm.tasks.gift_card_email_task").count() == 1
        assert fake_provider.deliveries and {s for _e, s in fake_provider.deliveries} == {200}
    finally:
        context.close()
