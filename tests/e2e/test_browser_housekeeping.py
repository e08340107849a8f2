"""Housekeeping on a phone (360×740) in real Chromium: the maid marks a room clean with one tap
(swapped in place by htmx) and the desk's check-in offers it at once; an out-of-order period
taken on the phone leaves the booking engine; bad dates are refused on the phone."""

from datetime import timedelta

import pytest

from core.models import Role
from pms.models import Room, RoomOutOfOrder
from pms.services.booking import booking_offers
from tests.e2e import test_browser as shared
from tests.factories.core import make_staff

_async_unsafe = shared._async_unsafe
browser = shared.browser
open_as = shared.open_as
screenshot = shared.screenshot
assert_touch_targets = shared.assert_touch_targets

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(params=[(360, 740), (768, 1024)], ids=lambda v: f"{v[0]}x{v[1]}")
def viewport(request):
    return request.param


def test_phone_marks_a_room_clean_and_takes_one_out_of_order(open_as, live_server, viewport,
                                                             hotel, book, clerk):  # fmt: skip
    # given: a family arriving today, every family room dirty
    res = book("familiale", last_name="Okafor")
    Room.objects.filter(property=hotel, room_type__code="familiale").update(
        housekeeping_status=Room.Housekeeping.DIRTY
    )
    maid = make_staff(hotel, Role.HOUSEKEEPING, username="ines")
    phone = open_as(maid)
    # when: the maid signs in, she lands on the board
    phone.goto(f"{live_server.url}/")
    phone.wait_for_selector("[data-testid=housekeeping]")
    assert phone.url.endswith("/housekeeping/")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport[0], "no horizontal scroll on the phone"
    assert_touch_targets(phone, ["[data-testid=room-402] [data-testid=mark-clean]"])
    phone.evaluate("window.__sameDocument = true")
    screenshot(phone, "housekeeping-1-board", viewport)
    # and the desk has the arrival open: no clean family room yet
    desk = open_as(clerk)
    desk.goto(f"{live_server.url}/frontdesk/reservations/{res.reference}/")
    desk.wait_for_selector("[data-testid=waiting-for-room]")
    assert desk.locator("[data-testid=check-in-room]").count() == 0
    desk.evaluate("window.__sameDocument = true")
    # when: one tap on "Clean" for 402
    phone.click("[data-testid=room-402] [data-testid=mark-clean]")
    phone.wait_for_selector("[data-testid=notice] >> text=Room 402: Clean.")
    assert phone.evaluate("window.__sameDocument") is True
    assert phone.get_attribute("[data-testid=room-402]", "data-state") == "clean"
    assert phone.get_attribute("[data-testid=room-401]", "data-state") == "dirty"
    screenshot(phone, "housekeeping-2-clean", viewport)
    # then: the desk's open check-in offers 402 by itself (no reload), and no dirty room
    desk.wait_for_selector("[data-testid=check-in-room]", timeout=20000)
    assert desk.evaluate("window.__sameDocument") is True
    options = desk.locator("[data-testid=check-in-form] select option").all_inner_texts()
    assert any(o.startswith("402") for o in options), options
    assert not any(o.startswith("401") for o in options), options
    # when: an out-of-order period with the end before the start
    today = hotel.business_date()
    phone.select_option("[data-testid=ooo-room]", label="403")
    phone.fill("#ooo-start", str(today + timedelta(days=3)))
    phone.fill("#ooo-end", str(today + timedelta(days=1)))
    phone.fill("#ooo-reason", "Fuite d'eau")
    phone.click("[data-testid=ooo-submit]")
    # then: refused, nothing changed
    error = phone.wait_for_selector(
        "[data-testid=ooo-error] >> text=The end date must be after the start"
    )
    assert not RoomOutOfOrder.objects.exists()
    # beside the form, in sight where she tapped, and what she typed is still there
    assert error.evaluate("e => e.getBoundingClientRect().bottom <= window.innerHeight")
    assert phone.input_value("#ooo-reason") == "Fuite d'eau"
    assert phone.input_value("#ooo-end") == str(today + timedelta(days=1))
    screenshot(phone, "housekeeping-3-refused", viewport)
    # when: the right dates
    start, end = today + timedelta(days=1), today + timedelta(days=3)
    before = booking_offers(property=hotel, arrival=start, departure=end, adults=4)
    phone.select_option("[data-testid=ooo-room]", label="403")
    phone.fill("#ooo-start", str(start))
    phone.fill("#ooo-end", str(end))
    phone.fill("#ooo-reason", "Fuite d'eau")
    phone.click("[data-testid=ooo-submit]")
    phone.wait_for_selector("[data-testid=notice] >> text=Room 403 is out of order")
    # then: one family room less in the booking engine, the grid shows it
    after = booking_offers(property=hotel, arrival=start, departure=end, adults=4)
    assert [o.available for o in after] == [before[0].available - 1]
    desk.goto(f"{live_server.url}/frontdesk/grid/?start={start}")
    assert desk.locator("tr[data-room='403'] [data-testid=ooo]").count() == 2
    screenshot(phone, "housekeeping-4-out-of-order", viewport)
