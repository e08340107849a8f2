"""A waiter clocks in, takes a break and clocks out by PIN on the bar's tablet (768×1024)
in Chromium, reaching the time clock from the terminal's PIN screen; a wrong PIN is refused
on the screen; no Content-Security-Policy violation."""

import pytest

from tests.e2e.test_browser import (  # noqa: F401  (the browser fixtures)
    _async_unsafe,
    browser,
    open_as,
    screenshot,
)
from tests.e2e.test_browser_z_report import assert_fits
from timeclock.models import WorkedShift

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def viewport():
    return (768, 1024)


def punch(page, waiter, pin, action):
    page.check(f"[data-testid=clock-person-{waiter.username}] input")
    page.fill("#pin", pin)
    page.click(f"[data-testid=clock-{action}]")


def test_a_waiter_clocks_in_and_out_by_pin_on_the_tablet(
    open_as,  # noqa: F811
    live_server,
    viewport,
    hotel,
    terminal,
    waiter,
    manager,
):
    page = open_as(manager, terminal)
    page.goto(f"{live_server.url}/pin/")
    page.click("[data-testid=to-clock]")
    assert page.url.endswith("/clock/")
    assert_fits(page)

    punch(page, waiter, "1111", "in")
    assert "Wrong PIN" in page.inner_text("[data-testid=clock-error]")
    assert not WorkedShift.objects.exists()

    punch(page, waiter, "2222", "in")
    assert "you are clocked in" in page.inner_text("[data-testid=clock-done]")
    assert "In since" in page.inner_text(f"[data-testid=clock-person-{waiter.username}]")
    screenshot(page, "timeclock-clocked-in", viewport)

    punch(page, waiter, "2222", "break")
    assert "On a break since" in page.inner_text(f"[data-testid=clock-person-{waiter.username}]")
    punch(page, waiter, "2222", "resume")
    punch(page, waiter, "2222", "out")
    assert "you are clocked out" in page.inner_text("[data-testid=clock-done]")

    shift = WorkedShift.objects.get(user=waiter)
    assert shift.clock_out is not None and shift.terminal
    assert shift.breaks.get().end is not None
