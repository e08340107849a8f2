"""BE-3 in real headless Chromium: a guest books and pays the deposit on the provider's page
(the fake on 127.0.0.1), which sends its signed webhook to the live server."""

from pathlib import Path

import pytest

from billing.models import Payment
from pms.models import OnlinePayment, Reservation
from tests.browser import assert_no_csp_violation, chromium_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "payments"


@pytest.fixture
def browser_page(monkeypatch):
    # Playwright's sync API runs an event loop in this thread: let the test read the ORM
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with chromium_page((1000, 1400)) as (page, violations):
        yield page
    assert_no_csp_violation(violations)


def test_guest_books_and_pays_the_deposit_on_the_providers_page(
    live_server, hotel, rooms, day, fake_provider, browser_page
):
    page = browser_page
    fake_provider.webhook_url = f"{live_server.url}/book/payments/webhook/"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    page.goto(f"{live_server.url}/book/{hotel.slug}/?lang=en")
    page.fill("input[name=arrival]", day(4).isoformat())
    page.fill("input[name=departure]", day(6).isoformat())
    page.fill("input[name=adults]", "2")
    page.click("[data-testid=search-form] button[type=submit]")
    page.click("[data-testid=choose-classique]")
    page.wait_for_selector("[data-testid=details-form]")
    page.fill("input[name=first_name]", "Léa")
    page.fill("input[name=last_name]", "Dupont")
    page.fill("input[name=email]", "lea.dupont@exemple.fr")
    page.check("input[name=accept]")
    page.click("[data-testid=hold]")

    page.wait_for_selector("[data-testid=payment-form]")
    page.check("[data-testid=provider-card_online]")
    page.click("[data-testid=confirm]")

    # on the provider's page (another origin): a declined card first, then a good one
    page.wait_for_selector("[data-testid=fake-pay]")
    assert page.url.startswith(fake_provider.url)
    page.fill("input[name=card_number]", "4000 0000 0000 0002")
    page.click("[data-testid=fake-pay]")
    assert "declined" in page.inner_text("[data-testid=fake-error]")
    page.fill("input[name=card_number]", "4242 4242 4242 4242")
    page.click("[data-testid=fake-pay]")

    page.wait_for_selector("[data-testid=confirmation]")
    page.screenshot(path=str(ARTIFACTS / "confirmation.png"), full_page=True)
    reservation = Reservation.objects.get(channel="booking_engine")
    assert reservation.status == "confirmed"
    assert page.inner_text("[data-testid=reference]") == reservation.reference
    payment = OnlinePayment.objects.get(reservation=reservation)
    assert payment.status == "succeeded"
    assert Payment.objects.get(folio=reservation.folio).amount == payment.amount
    # the webhooks reached Auberge, signed and accepted
    assert fake_provider.deliveries and {s for _e, s in fake_provider.deliveries} == {200}
