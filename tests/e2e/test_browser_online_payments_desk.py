"""The desk's online payments in real headless Chromium at 768×1024, in French (issue 19,
BE-3): the receptionist opens the list from the front desk, sees the deposit that came too
late with what to do, asks the refused refund again, and reads the booking's deposit on its
page. Amounts read `1 234,50 €`, nothing scrolls sideways, no amount wraps."""

from datetime import timedelta
from decimal import Decimal

import pytest

from core.formatting import money
from pms.models import OnlinePayment, OnlineRefund
from pms.services.booking import booking_hold
from tests.e2e import test_browser as shared
from tests.e2e.test_browser_reservation_desk import fits

_async_unsafe = shared._async_unsafe
browser = shared.browser
open_as = shared.open_as
screenshot = shared.screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def viewport():
    return (768, 1024)


def test_the_desk_sees_a_late_deposit_and_asks_its_refund_again(
    open_as, live_server, viewport, hotel, rooms, clerk
):
    today = hotel.business_date()
    res = booking_hold(
        property=hotel,
        room_type_id=rooms["classique"].pk,
        arrival=today + timedelta(days=5),
        departure=today + timedelta(days=7),
        adults=2,
        children=0,
        first_name="Léa",
        last_name="Tardif",
        email="lea@example.fr",
        language="fr",
    )
    late = OnlinePayment.objects.create(
        property=hotel,
        reservation=res,
        provider="card_online",
        intent_id="pi_browser00001",
        idempotency_key="browser-key-1",
        amount=Decimal("1234.50"),
        currency="EUR",
        status="succeeded",
        late=True,
    )
    OnlineRefund.objects.create(
        payment=late,
        amount=late.amount,
        idempotency_key="browser-refund-1",
        status="failed",
        error_message="Bank unavailable.",
    )
    page = open_as(clerk)
    page.context.add_cookies([{"name": "django_language", "value": "fr", "url": live_server.url}])
    page.goto(f"{live_server.url}/frontdesk/")
    page.click("[data-testid=online-payments-link]")
    row = page.locator("[data-testid=online-payment]")
    assert row.count() == 1
    assert row.locator("[data-testid=late]").inner_text() == "Trop tard"
    assert row.locator("[data-testid=amount]").inner_text() == money("1234.50", language="fr")
    assert "redemandez-le" in row.locator("[data-testid=late-advice]").inner_text()
    fits(page)
    screenshot(page, "desk-online-payments", viewport)

    page.click("[data-testid=refund-again]")
    page.wait_for_selector("text=Le remboursement de")
    assert page.locator("[data-testid=refund-pending]").count() == 1
    assert page.locator("[data-testid=refund-again]").count() == 0
    assert OnlineRefund.objects.filter(payment=late, status="requested").count() == 1

    page.click(f'[data-testid=online-payment] a:has-text("{res.reference}")')
    state = page.inner_text("[data-testid=deposit-state]")
    assert state.startswith(f"Payé en ligne : {money('1234.50', language='fr')}")
    assert page.locator("[data-testid=online-payments] [data-testid=late]").count() == 1
    fits(page)
    screenshot(page, "desk-online-deposit", viewport)
