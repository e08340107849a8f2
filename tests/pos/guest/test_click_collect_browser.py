"""Click-and-collect in real Chromium: a guest's phone (390×844) orders a club sandwich for
the first pickup time, pays on the provider's page (the fake provider on 127.0.0.1) and
follows the order; the counter's tablet (768×1024) marks it ready, then handed over, and the
phone's page says so. Screenshots go to test-artifacts/screens/."""

from datetime import time, timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from pos.models import GuestOrder, KitchenTicket
from pos.services.guest_orders import point_token
from tests.browser import PHONE, fits
from tests.e2e.test_browser_taps import (  # noqa: F401 (the fixtures of the staff screens' tests)
    TABLET,
    _async_unsafe,
    browser,
    open_as,
)
from tests.pms.payments.conftest import fake_provider  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = settings.BASE_DIR / "test-artifacts" / "screens"


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"collect-{name}.png"), full_page=True)


def test_a_guest_orders_to_collect_and_the_counter_hands_it_over(
    fake_provider,  # noqa: F811
    phone,
    open_as,  # noqa: F811
    live_server,
    collect_point,
    terminal,
    waiter,
):
    phone.goto(f"{live_server.url}/collect/{point_token(collect_point)}/?lang=fr")
    fits(phone, PHONE[0])
    phone.fill("[data-testid=qty-club-sandwich]", "1")
    phone.select_option("[data-testid=pickup-at]", index=1)
    phone.fill("[data-testid=name]", "Martin")
    phone.fill("[data-testid=email]", "martin@exemple.fr")
    _shot(phone, "order-390")
    phone.click("[data-testid=order]")
    phone.wait_for_selector("[data-testid=fake-amount] >> text=Pay 16.00 EUR")
    phone.fill("input[name=card_number]", "4242 4242 4242 4242")
    phone.click("[data-testid=fake-pay]")
    phone.wait_for_selector("[data-testid=paid]")
    phone.wait_for_selector("[data-testid=progress][data-progress=in_preparation]")
    assert "au nom de Martin" in phone.inner_text("[data-testid=pickup]")
    fits(phone, PHONE[0])
    _shot(phone, "status-390")
    order = GuestOrder.objects.get()
    assert order.status == GuestOrder.Status.PAID

    counter = open_as(waiter, terminal)
    counter.goto(f"{live_server.url}/pos/collect/")
    row = f"[data-testid=collect-order-{order.pk}]"
    counter.wait_for_selector(f"{row} >> text=Martin")
    assert counter.viewport_size == {"width": TABLET[0], "height": TABLET[1]}
    fits(counter, TABLET[0])
    _shot(counter, "staff-768")
    counter.click(f"{row} [data-testid=ready]")
    counter.wait_for_selector("text=Martin's order is ready: the guest is told.")
    phone.reload()
    phone.wait_for_selector("[data-testid=progress][data-progress=ready]")
    _shot(phone, "ready-390")
    counter.click(f"{row} [data-testid=handed-over]")
    counter.wait_for_selector("text=Martin's order is handed over.")
    phone.reload()
    phone.wait_for_selector("[data-testid=progress][data-progress=handed_over]")
    assert GuestOrder.objects.get().status == GuestOrder.Status.HANDED_OVER


def test_a_guest_picks_a_later_day_and_a_time_and_pays_at_pickup(phone, live_server, collect_point):
    """The day picker offers today up to three days ahead but the closed weekday; choosing
    another day swaps that day's times in; the order is placed to pay at pickup and the
    confirmation says the day and time (the kitchen gets it on that day)."""
    outlet = collect_point.outlet
    tz = collect_point.property.tz
    today = timezone.localdate(timezone=tz)
    tomorrow, closed = today + timedelta(days=1), today + timedelta(days=2)
    outlet.collect_pay_at_pickup = True
    outlet.opens_at, outlet.kitchen_closes_at = time(8), time(12)
    outlet.collect_days_ahead = 3
    outlet.collect_closed_weekdays = [closed.isoweekday()]
    outlet.save()
    phone.goto(f"{live_server.url}/collect/{point_token(collect_point)}/?lang=fr")
    fits(phone, PHONE[0])
    offered = phone.eval_on_selector_all(
        "[data-testid=pickup-day] option", "options => options.map(o => o.value)"
    )
    assert closed.isoformat() not in offered
    assert tomorrow.isoformat() in offered and (today + timedelta(days=3)).isoformat() in offered
    phone.fill("[data-testid=qty-club-sandwich]", "1")
    phone.select_option("[data-testid=pickup-day]", tomorrow.isoformat())
    # that day's times replace today's (htmx): 08:00, 08:15, 08:30…
    phone.wait_for_selector(
        f"[data-testid=pickup-at] option[value^='{tomorrow.isoformat()}T08:00']", state="attached"
    )
    # htmx has finished swapping and settling: a choice made before then was lost
    phone.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )
    times = phone.eval_on_selector_all(
        "[data-testid=pickup-at] option", "options => options.map(o => o.value)"
    )
    assert all(t.startswith(tomorrow.isoformat()) for t in times if t)
    phone.select_option("[data-testid=pickup-at]", index=3)  # 08:30 ("Choose" first)
    assert phone.input_value("[data-testid=pickup-at]").startswith(f"{tomorrow.isoformat()}T08:30")
    phone.fill("[data-testid=name]", "Martin")
    phone.fill("[data-testid=email]", "martin@exemple.fr")
    _shot(phone, "later-day-390")
    phone.click("[data-testid=order]")
    phone.wait_for_selector("[data-testid=to-pay]")
    pickup = phone.inner_text("[data-testid=pickup]")
    assert "08:30" in pickup and "au nom de Martin" in pickup
    assert str(tomorrow.day) in pickup  # not today's: its day is said
    fits(phone, PHONE[0])
    _shot(phone, "later-day-confirmed-390")
    order = GuestOrder.objects.get()
    starts = timezone.localtime(order.pickup_slot.starts_at, tz)
    assert (starts.date(), starts.time()) == (tomorrow, time(8, 30))
    assert order.status == GuestOrder.Status.TO_PAY and order.order_id is None
    assert order.kitchen_due_at == order.pickup_slot.starts_at - timedelta(minutes=30)
    assert not KitchenTicket.objects.filter(guest_order=order).exists()
