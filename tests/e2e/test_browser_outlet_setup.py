"""The manager sets up a network printer and a terminal on the outlets screen, in real
headless Chromium at 768×1024, and prints a test page that reaches the printer (the ESC/POS
listener on 127.0.0.1, the print job sent as the worker sends it). Nothing scrolls sideways."""

import pytest

from core.models import Role
from devices.models import Printer, PrintJob
from devices.services import print_job_send
from pos.models import Terminal
from tests.devices.conftest import TcpListener
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


def test_a_printer_and_a_terminal_set_up_on_screen_print_a_test_page(
    open_as, live_server, viewport, hotel
):
    listener = TcpListener()
    try:
        boss = make_staff(hotel, Role.MANAGER, username="boss-setup", pin="666666")
        make_terminal(hotel, outlet_code="restaurant", outlet_name="Restaurant", name="Salle")
        page = open_as(boss)
        page.goto(f"{live_server.url}/manage/outlets/")
        page.click("[data-testid=printer-new]")
        page.fill("#id_code", "cuisine")
        page.fill("#id_name", "Cuisine")
        page.select_option("#id_connection", "network")
        page.fill("#id_port", str(listener.port))
        page.click("[data-testid=setup-save]")
        page.wait_for_selector("[data-testid=form-error] >> text=Required for this connection")
        assert page.evaluate(NO_PAGE_SCROLL)
        assert not Printer.objects.exists()
        page.fill("#id_host", "127.0.0.1")
        page.click("[data-testid=setup-save]")
        page.wait_for_selector(".messages >> text=saved")
        printer = Printer.objects.get(code="cuisine")

        page.click("[data-testid=terminal-new]")
        page.fill("#id_name", "Passe")
        page.select_option("#id_outlet", label="Restaurant")
        page.select_option("#id_printer", label="Cuisine")
        assert page.evaluate(NO_PAGE_SCROLL)
        screenshot(page, "backoffice-terminal-form", viewport)
        page.click("[data-testid=setup-save]")
        page.wait_for_selector(f"[data-testid=printer-{printer.pk}]")
        assert Terminal.objects.get(name="Passe").printer_id == printer.pk

        page.select_option("[data-testid=station-kitchen]", label="Cuisine")
        page.click("[data-testid=station-save-kitchen]")
        page.wait_for_selector(".messages >> text=Saved.")
        page.click(f"[data-testid=test-page-{printer.pk}]")
        page.wait_for_selector(".messages >> text=Test page sent to Cuisine")
        assert page.evaluate(NO_PAGE_SCROLL)
        screenshot(page, "backoffice-outlets-printers", viewport)
        print_job_send(print_job_id=PrintJob.objects.get(printer=printer, kind="test").pk)
        listener.wait_for(1)
        assert b"Cuisine" in listener.received
    finally:
        listener.close()
