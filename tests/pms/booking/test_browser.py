"""BE: a stay with an extra booked in real headless Chromium (Playwright)."""

from pathlib import Path

import pytest

from pms.models import Reservation
from tests.browser import assert_no_csp_violation, chromium_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "booking"


@pytest.fixture
def browser_page(monkeypatch):
    # Playwright's sync API runs an event loop in this thread: let the test read the ORM
    # (restored after the test, so no later subprocess inherits it).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with chromium_page((1000, 1400)) as (page, violations):
        yield page
    assert_no_csp_violation(violations)


def test_guest_books_a_stay_with_breakfast_in_chromium(
    live_server, hotel, rooms, day, browser_page
):
    page = browser_page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    page.goto(f"{live_server.url}/book/{hotel.slug}/?lang=en")
    page.fill("input[name=arrival]", day(4).isoformat())
    page.fill("input[name=departure]", day(6).isoformat())
    page.fill("input[name=adults]", "2")
    page.click("[data-testid=search-form] button[type=submit]")
    page.wait_for_selector("[data-testid=offer-classique]")
    page.click("[data-testid=choose-classique]")

    page.wait_for_selector("[data-testid=details-form]")
    page.fill("[data-testid=extra-petit-dejeuner]", "2")
    page.fill("input[name=first_name]", "Léa")
    page.fill("input[name=last_name]", "Dupont")
    page.fill("input[name=email]", "lea.dupont@exemple.fr")
    page.check("input[name=accept]")
    page.click("[data-testid=hold]")

    page.wait_for_selector("[data-testid=payment-form]")
    page.click("[data-testid=confirm]")
    page.wait_for_selector("[data-testid=confirmation]")
    page.screenshot(path=str(ARTIFACTS / "confirmation.png"), full_page=True)

    reservation = Reservation.objects.get(channel="booking_engine")
    assert reservation.status == "confirmed"
    assert page.inner_text("[data-testid=reference]") == reservation.reference
    extra = reservation.extras.get()
    assert (extra.product.code, extra.quantity) == ("petit-dejeuner", 2)
