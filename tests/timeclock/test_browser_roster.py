"""The roster on the manager's tablet (768×1024) in Chromium: last week copied into this one
in one tap (a second tap copies nothing), then one copied shift moved to the terrace and to
the evening on screen; the pages fit the tablet; no Content-Security-Policy violation."""

from datetime import datetime

import pytest

from tests.e2e.test_browser import (  # noqa: F401  (the browser fixtures)
    _async_unsafe,
    browser,
    open_as,
    screenshot,
)
from tests.e2e.test_browser_z_report import assert_fits
from tests.factories.pos import make_terminal
from timeclock.models import PlannedShift

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def viewport():
    return (768, 1024)


def test_a_manager_copies_last_week_and_changes_a_shift_on_the_tablet(
    open_as,  # noqa: F811
    live_server,
    viewport,
    hotel,
    manager,
    waiter,
):
    bar = make_terminal(hotel, outlet_code="bar", outlet_name="Bar").outlet
    terrace = make_terminal(hotel, outlet_code="terrasse", outlet_name="Terrasse").outlet
    for day in (16, 17):  # W47: Monday and Tuesday 09:00–17:00 at the bar
        PlannedShift.objects.create(
            property=hotel,
            user=waiter,
            outlet=bar,
            start=datetime(2026, 11, day, 9, tzinfo=hotel.tz),
            end=datetime(2026, 11, day, 17, tzinfo=hotel.tz),
        )
    page = open_as(manager)
    page.goto(f"{live_server.url}/manage/time/planning/?week=2026-W48")
    assert_fits(page)
    page.click("[data-testid=planning-copy] button")
    page.wait_for_selector("text=2 shifts copied from the previous week.")
    page.click("[data-testid=planning-copy] button")  # a double tap
    page.wait_for_selector("text=2 shifts were already planned: left as is.")
    copied = PlannedShift.objects.filter(start__gte=datetime(2026, 11, 23, tzinfo=hotel.tz))
    assert copied.count() == 2
    monday = copied.order_by("start").first()
    assert "09:00–17:00" in page.inner_text(f"[data-testid=planned-{monday.pk}]")
    screenshot(page, "timeclock-roster-copied", viewport)

    page.click(f"[data-testid=edit-{monday.pk}]")
    page.wait_for_selector("[data-testid=planning-edit-form]")
    assert_fits(page)
    page.select_option("[data-testid=planning-edit-form] select[name=outlet]", str(terrace.pk))
    page.fill("[data-testid=planning-edit-form] input[name=start]", "17:00")
    page.fill("[data-testid=planning-edit-form] input[name=end]", "23:30")
    page.click("[data-testid=planning-save]")
    page.wait_for_selector("text=The planned shift is changed.")
    assert "17:00–23:30" in page.inner_text(f"[data-testid=planned-{monday.pk}]")
    assert "Terrasse" in page.inner_text(f"[data-testid=planned-{monday.pk}]")
    monday.refresh_from_db()
    assert (monday.outlet, monday.start, monday.end) == (
        terrace,
        datetime(2026, 11, 23, 17, tzinfo=hotel.tz),
        datetime(2026, 11, 23, 23, 30, tzinfo=hotel.tz),
    )
    screenshot(page, "timeclock-roster-changed", viewport)
