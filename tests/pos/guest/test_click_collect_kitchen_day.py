"""Click-and-collect orders for a later day reach the kitchen on their day (issue 25): not
at once (the kitchen display and the station printers do not fill up with tomorrow's
orders) but the outlet's lead time before their pickup, sent by a beat task, once; the
staff's list says "Scheduled for <day>" meanwhile. Today's orders still go at once."""

from datetime import datetime, time, timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from inventory.models import Product
from pos.guest_menu import guest_menu
from pos.models import GuestOrder, KitchenTicket
from pos.services.click_collect import (
    collect_kitchen_send_due,
    collect_order_pay_at_pickup,
    collect_order_ready,
    collect_order_start,
    collect_slots,
)
from pos.services.guest_orders import GuestLine, guest_order_online_refresh, guest_order_progress
from pos.services.guest_orders import point_token as token_of
from pos.tasks import collect_kitchen_send_due_task
from tests.pms.payments.conftest import fake_provider  # noqa: F401
from tests.pos.guest.test_click_collect import _pay

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def shop(collect_point):
    """Pickups from 08:00 to 12:00, up to two days ahead, paid at pickup or online."""
    outlet = collect_point.outlet
    outlet.collect_pay_at_pickup = True
    outlet.opens_at, outlet.kitchen_closes_at = time(8), time(12)
    outlet.collect_days_ahead = 2
    outlet.save()
    return collect_point


def _tomorrow(point):
    return timezone.localdate(timezone=point.property.tz) + timedelta(days=1)


def _slot_at(point, day, hour, minute=0):
    return next(
        s
        for s in collect_slots(outlet=point.outlet, day=day)
        if (s.starts_at.hour, s.starts_at.minute) == (hour, minute)
    )


def _lines(point):
    club = Product.objects.get(property=point.property, code="club-sandwich")
    return [GuestLine(product_id=club.pk)]


def _at_pickup(point, slot, *, key="k-1", now=None):
    menu = guest_menu(point=point)
    return collect_order_pay_at_pickup(
        point=point,
        lines=_lines(point),
        client_key=key,
        menu_products=menu["by_id"],
        sold_out=menu["sold_out"],
        pickup_at=slot.value,
        name="Martin",
        email="martin@exemple.fr",
        now=now,
    )


def test_tomorrows_order_reaches_the_kitchen_on_its_day_before_its_pickup(hotel, shop, tablet):
    tomorrow = _tomorrow(shop)
    slot = _slot_at(shop, tomorrow, 10)
    order = _at_pickup(shop, slot)
    assert not KitchenTicket.objects.filter(guest_order=order).exists()
    due = datetime.combine(tomorrow, time(9, 30), tzinfo=hotel.tz)
    assert order.kitchen_due_at == due  # the outlet's default: 30 minutes before
    assert guest_order_progress(order) == "received"
    # the staff's list of that day says when the kitchen gets it
    listing = tablet.get(f"/pos/collect/?day={tomorrow.isoformat()}&lang=en").content.decode()
    row = listing.split(f'data-testid="collect-order-{order.pk}"')[1].split("</article>")[0]
    day = f"{due:%A} {due.day} {due:%B}"
    assert f"Scheduled for {day} · to the kitchen at 09:30" in row

    assert collect_kitchen_send_due(now=due - timedelta(minutes=1)) == 0
    assert not KitchenTicket.objects.filter(guest_order=order).exists()
    assert collect_kitchen_send_due(now=due) == 1
    tickets = KitchenTicket.objects.filter(guest_order=order).count()
    assert tickets >= 1
    order.refresh_from_db()
    assert order.kitchen_due_at is None
    assert guest_order_progress(order) == "in_preparation"
    # once: the next minutes' runs send nothing more
    assert collect_kitchen_send_due(now=due + timedelta(minutes=1)) == 0
    assert collect_kitchen_send_due_task() == 0
    assert KitchenTicket.objects.filter(guest_order=order).count() == tickets
    listing = tablet.get(f"/pos/collect/?day={tomorrow.isoformat()}&lang=en").content.decode()
    assert "Scheduled for" not in listing


def test_todays_order_still_goes_to_the_kitchen_at_once(hotel, shop):
    today = timezone.localdate(timezone=hotel.tz)
    early = datetime.combine(today, time(8, 5), tzinfo=hotel.tz)
    slot = collect_slots(outlet=shop.outlet, now=early, day=today)[0]
    order = _at_pickup(shop, slot, now=early)
    assert order.kitchen_due_at is None
    assert KitchenTicket.objects.filter(guest_order=order).exists()


def test_the_outlets_lead_time_is_the_managers(hotel, shop, client, manager):
    client.force_login(manager)
    form = {
        "max_open": "15",
        "opens_at": "08:00",
        "kitchen_closes_at": "12:00",
        "collect_form": "on",
        "pay_at_pickup": "on",
        "kitchen_lead_minutes": "90",
    }
    client.post(f"/manage/guest-ordering/outlets/{shop.outlet.pk}/rules/", form)
    shop.outlet.refresh_from_db()
    assert shop.outlet.collect_kitchen_lead_minutes == 90
    tomorrow = _tomorrow(shop)
    order = _at_pickup(shop, _slot_at(shop, tomorrow, 11))
    assert order.kitchen_due_at == datetime.combine(tomorrow, time(9, 30), tzinfo=hotel.tz)
    bad = client.post(
        f"/manage/guest-ordering/outlets/{shop.outlet.pk}/rules/",
        {**form, "kitchen_lead_minutes": "2000"},
        follow=True,
    )
    assert "Enter how long before a later day&#x27;s pickup the kitchen gets the order" in (
        bad.content.decode()
    )
    shop.outlet.refresh_from_db()
    assert shop.outlet.collect_kitchen_lead_minutes == 90


def test_an_order_paid_online_for_tomorrow_waits_for_its_day_too(
    fake_provider,  # noqa: F811
    hotel,
    shop,
):
    tomorrow = _tomorrow(shop)
    menu = guest_menu(point=shop)
    order, _url = collect_order_start(
        point=shop,
        lines=_lines(shop),
        client_key="online-1",
        menu_products=menu["by_id"],
        sold_out=menu["sold_out"],
        pickup_at=_slot_at(shop, tomorrow, 8).value,
        name="Martin",
        email="martin@exemple.fr",
        return_url="http://testserver/g/x/orders/{public_id}/",
    )
    _pay(order)
    order = guest_order_online_refresh(guest_order=order)
    assert order.status == GuestOrder.Status.PAID and order.order_id is not None
    assert order.kitchen_due_at == datetime.combine(tomorrow, time(7, 30), tzinfo=hotel.tz)
    assert not KitchenTicket.objects.filter(guest_order=order).exists()
    assert collect_kitchen_send_due(now=order.kitchen_due_at) == 1
    assert KitchenTicket.objects.filter(guest_order=order).exists()


def test_an_order_packed_before_its_day_is_not_sent_to_the_kitchen(hotel, shop, cashier):
    order = _at_pickup(shop, _slot_at(shop, _tomorrow(shop), 10))
    collect_order_ready(guest_order=order, property=hotel, actor=cashier)
    assert collect_kitchen_send_due(now=order.kitchen_due_at) == 0
    assert not KitchenTicket.objects.filter(guest_order=order).exists()
    order.refresh_from_db()
    assert order.kitchen_due_at is None  # nothing left to send


def test_the_guests_page_for_tomorrow_says_received(hotel, shop):
    order = _at_pickup(shop, _slot_at(shop, _tomorrow(shop), 10))
    page = Client().get(f"/g/{token_of(shop)}/orders/{order.public_id}/?lang=en")
    assert page.status_code == 200
    assert 'data-progress="received"' in page.content.decode()
