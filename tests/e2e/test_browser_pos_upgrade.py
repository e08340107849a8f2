"""A paid room upgrade sold at the till in real headless Chromium at 768×1024, in French
(issue 19, seed 000's story): from the counter, the room number → the guest in house named,
the superior rooms with the difference → one picked → the till asks, naming the guest and the
amount → confirmed; the front desk's folio then shows the upgrade at `12,00 €`. Nothing
scrolls sideways, no amount wraps."""

from decimal import Decimal

import pytest

from core.formatting import money
from pms.models import Room
from pms.services.stays import reservation_check_in
from pms.services.upgrades import upgrade_difference
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


def in_house_paying_12_less(hotel, rooms, book):
    """One night in a classic room, booked at the superior's price less 12 € (a negotiated
    rate), so the upgrade costs 12,00 €."""
    res = book("classique", nights=1, last_name="Dupont")
    room = Room.objects.filter(room_type=rooms["classique"]).order_by("number")[0]
    reservation_check_in(reservation=res, assignments={res.rooms.get().pk: room.pk})
    rr = res.rooms.get()
    today = hotel.business_date()
    now = upgrade_difference(reservation_room=rr, room_type=rooms["superieure"], move_date=today)
    rr.nightly_prices = {
        day: str(Decimal(price) + now - Decimal("12.00"))
        for day, price in rr.nightly_prices.items()
    }
    rr.save(update_fields=["nightly_prices"])
    assert upgrade_difference(
        reservation_room=rr, room_type=rooms["superieure"], move_date=today
    ) == Decimal("12.00")
    return res, room


def test_the_till_sells_an_upgrade_and_the_folio_shows_the_difference(
    open_as, live_server, viewport, hotel, rooms, book, terminal, cashier, clerk
):
    res, room = in_house_paying_12_less(hotel, rooms, book)
    superior = Room.objects.filter(room_type=rooms["superieure"]).order_by("number")[0]
    fr = [{"name": "django_language", "value": "fr", "url": live_server.url}]
    till = open_as(cashier, terminal)
    till.context.add_cookies(fr)
    till.goto(f"{live_server.url}/pos/counter/")
    till.click("[data-testid=upgrade-link]")
    till.fill("[data-testid=upgrade-room-number]", room.number)
    till.click("[data-testid=upgrade-find]")
    # the guest in house is named, the superior rooms come with the difference
    assert "Camille Dupont" in till.inner_text("[data-testid=upgrade-guest]")
    offer = till.locator("[data-testid=upgrade-offer-superieure]")
    twelve = money("12.00", language="fr")
    assert offer.locator("[data-testid=difference]").inner_text().strip() == f"+{twelve}"
    fits(till)
    screenshot(till, "pos-upgrade-offers", viewport)
    offer.locator("[data-testid=upgrade-to]").select_option(str(superior.pk))
    offer.locator("[data-testid=upgrade-pick]").click()
    # the till asks before charging: the guest, the room and the amount
    sheet = till.inner_text("[data-testid=upgrade-confirm]")
    assert "Camille Dupont" in sheet and superior.number in sheet and twelve in sheet
    fits(till)
    screenshot(till, "pos-upgrade-confirm", viewport)
    till.click("[data-testid=upgrade-confirm-yes]")
    till.wait_for_selector("[data-testid=upgrade-done]")
    assert twelve in till.inner_text("[data-testid=upgrade-charged]")
    fits(till)
    # the front desk sees the upgrade on the folio, and the stay in its new room
    desk = open_as(clerk)
    desk.context.add_cookies(fr)
    desk.goto(f"{live_server.url}/frontdesk/reservations/{res.reference}/")
    folio = desk.inner_text("[data-testid=folio]")
    assert "Surclassement en Chambre Supérieure" in folio and twelve in folio
    res.refresh_from_db()
    assert res.rooms.get().room_id == superior.pk
    fits(desk)
    screenshot(desk, "pos-upgrade-on-folio", viewport)
