"""Pairing by the code a new tablet shows, in real headless Chromium at 768×1024: two browser
contexts, the tablet (a waiter signed in, no terminal yet) and the manager. The tablet shows
a code and its QR; the manager opens the QR's address (what scanning it does), the code is
filled in, chooses the terminal; the tablet goes on by itself to the floor, bound."""

import pytest

from core.models import Role
from core.terminals import COOKIE
from tests.e2e import test_browser as shared
from tests.factories.core import make_staff
from tests.factories.pos import make_terminal

_async_unsafe = shared._async_unsafe
browser = shared.browser
open_as = shared.open_as
screenshot = shared.screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NO_PAGE_SCROLL = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


@pytest.fixture
def viewport():
    return (768, 1024)


def test_the_manager_binds_the_code_the_tablet_shows(open_as, live_server, viewport, hotel):
    boss = make_staff(hotel, Role.MANAGER, username="boss-device", pin="666666")
    waiter = make_staff(hotel, Role.WAITER, username="waiter-device", pin="2222")
    terrasse = make_terminal(hotel, outlet_code="bar", outlet_name="Bar", name="Terrasse")

    tablet = open_as(waiter)
    tablet.goto(f"{live_server.url}/pos/pair/")
    code = tablet.inner_text("[data-testid=device-code]").replace(" ", "")
    assert len(code) == 6 and code.isdigit()
    assert tablet.locator("[data-testid=device-qr] svg").is_visible()
    scanned = tablet.get_attribute("[data-testid=device-qr]", "data-url")
    assert scanned.endswith(f"/manage/outlets/?device_code={code}")
    assert tablet.evaluate(NO_PAGE_SCROLL)
    screenshot(tablet, "pos-pair-device-code", viewport)
    assert not any(c["name"] == COOKIE for c in tablet.context.cookies())

    manager = open_as(boss)
    manager.goto(scanned.replace("http://testserver", live_server.url))
    assert manager.input_value("[data-testid=device-code-input]") == code
    manager.select_option("[data-testid=device-terminal]", str(terrasse.pk))
    manager.click("[data-testid=device-bind]")
    manager.wait_for_selector(".messages >> text=is now Bar · Terrasse")
    assert manager.evaluate(NO_PAGE_SCROLL)
    screenshot(manager, "backoffice-outlets-device-code", viewport)

    # the tablet, still on its page, asks again within seconds and goes on, bound
    tablet.wait_for_url(f"{live_server.url}/pos/tables/", timeout=15000)
    tablet.wait_for_selector(".messages >> text=This device is now Bar · Terrasse.")
    assert any(c["name"] == COOKIE for c in tablet.context.cookies())

    # the code was used: typed again, it binds nothing
    manager.goto(f"{live_server.url}/manage/outlets/?device_code={code}")
    manager.click("[data-testid=device-bind]")
    manager.wait_for_selector(".messages >> text=wrong or has expired")
