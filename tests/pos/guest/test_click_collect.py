"""Click-and-collect (issue 25): a guest orders ahead on the outlet's public page for a pickup
time, pays on the provider's page (the fake provider on 127.0.0.1), gets a confirmation
e-mail and a status page; the kitchen sees "À emporter · time · name"; the staff marks it
ready (the page and an e-mail say so), then handed over. A slot never takes more orders than
its capacity, even from phones at once; sold-out dishes and a closed kitchen are refused in
French with nothing written."""

import threading
from datetime import timedelta
from decimal import Decimal
from urllib.parse import unquote

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.utils import timezone, translation

from billing.models import Payment, Ticket
from core.exceptions import Conflict
from core.models import OutboxMessage
from inventory.models import Product
from inventory.services.catalogue import product_sold_out_set
from pms.services.payment_gateway import PaymentGateway
from pos.guest_menu import guest_menu
from pos.models import GuestOrder, GuestOrderPoint, KitchenTicket, PickupSlot
from pos.services.click_collect import (
    collect_order_handed_over,
    collect_order_ready,
    collect_order_start,
    collect_slots,
)
from pos.services.guest_orders import GuestLine, guest_order_online_refresh
from pos.services.guest_orders import point_token as token_of
from pos.tasks import collect_email_task
from tests.pms.payments.conftest import fake_provider  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


def _club(hotel):
    return Product.objects.get(property=hotel, code="club-sandwich")


def _first_slot(point):
    return collect_slots(outlet=point.outlet)[0]


def _start(point, *, key="c-1", name="Martin", slot=None, product=None):
    menu = guest_menu(point=point)
    product = product or _club(point.property)
    return collect_order_start(
        point=point,
        lines=[GuestLine(product_id=product.pk)],
        client_key=key,
        menu_products=menu["by_id"],
        sold_out=menu["sold_out"],
        pickup_at=(slot or _first_slot(point)).value,
        name=name,
        email="martin@exemple.fr",
        return_url="http://testserver/g/x/orders/{public_id}/",
    )


def _pay(order):
    PaymentGateway.from_settings().intent_confirm(
        order.intent_id,
        payment_method="pm_card_visa",
        return_url="",
        idempotency_key=f"c-{order.intent_id}",
    )


def _emails(kind):
    """Run the e-mails queued for `kind` as the worker would; their messages."""
    for message in OutboxMessage.objects.filter(task=collect_email_task.name):
        if message.kwargs["kind"] == kind:
            collect_email_task(**message.kwargs, outbox_id=message.pk)
    return mail.outbox


def test_a_guest_orders_ahead_pays_online_and_the_kitchen_sees_takeaway_time_name(
    fake_provider,  # noqa: F811
    hotel,
    collect_point,
    cashier,
):
    phone = Client()
    url = f"/collect/{token_of(collect_point)}/"
    page = phone.get(url + "?lang=en").content.decode()
    assert "Club sandwich" in page and 'data-testid="pickup-at"' in page
    slot = _first_slot(collect_point)
    key = page.split('name="client_key" value="')[1].split('"')[0]
    club = _club(hotel)
    posted = {
        "client_key": key,
        f"qty-{club.pk}": "2",
        "pickup_at": slot.value,
        "name": "Martin",
        "email": "martin@exemple.fr",
    }
    response = phone.post(url + "?lang=en", posted)
    assert response.status_code == 302 and response["Location"].startswith(fake_provider.url)
    order = GuestOrder.objects.get()
    # the provider sends the guest back to this order's page
    assert f"/orders/{order.public_id}/" in unquote(response["Location"])
    assert (order.status, order.total, order.customer_name) == (
        "awaiting_pay",
        Decimal("32.00"),
        "Martin",
    )
    assert phone.post(url + "?lang=en", posted).status_code == 302  # a double tap
    assert GuestOrder.objects.count() == 1
    # the /g/ link of the point leads to the same page
    assert phone.get(f"/g/{token_of(collect_point)}/")["Location"].startswith(url)

    _pay(order)
    status = phone.get(f"/g/{token_of(collect_point)}/orders/{order.public_id}/?lang=en")
    page = status.content.decode()
    assert 'data-testid="paid"' in page and 'data-progress="in_preparation"' in page
    at = timezone.localtime(slot.starts_at, hotel.tz).strftime("%H:%M")
    assert f"from {at}, under the name Martin" in page and "32.00" in page
    paid = GuestOrder.objects.get()
    assert paid.status == "paid" and Ticket.objects.count() == 1
    assert Payment.objects.get().terminal_reference == paid.intent_id
    ticket = KitchenTicket.objects.get()
    assert ticket.guest_order == paid and ticket.station == "kitchen"
    cook = Client()
    cook.force_login(cashier)
    cook.cookies["django_language"] = "fr"
    kitchen = cook.get("/pos/kitchen/kitchen/").content.decode()
    assert f"À emporter · {at} · Martin" in kitchen and "Club sandwich" in kitchen

    sent = _emails("confirmed")
    assert len(sent) == 1 and sent[0].to == ["martin@exemple.fr"]
    assert at in sent[0].subject and "Martin" in sent[0].body and "32.00" in sent[0].body
    guest_order_online_refresh(guest_order=paid)  # again: nothing sold or sent twice
    assert Ticket.objects.count() == 1
    assert OutboxMessage.objects.filter(task=collect_email_task.name).count() == 1


def test_the_staff_marks_it_ready_then_handed_over(
    fake_provider,  # noqa: F811
    hotel,
    collect_point,
    tablet,
    other_hotel,
):
    order, _url = _start(collect_point)
    _pay(order)
    order = guest_order_online_refresh(guest_order=order)
    listing = tablet.get("/pos/collect/").content.decode()
    assert f'data-testid="collect-order-{order.pk}"' in listing and "Martin" in listing
    assert "16.00" in listing

    assert tablet.post(f"/pos/collect/{order.pk}/ready/").status_code == 302
    status_url = f"/g/{token_of(collect_point)}/orders/{order.public_id}/?lang=en"
    assert 'data-progress="ready"' in Client().get(status_url).content.decode()
    ready = _emails("ready")
    assert [m.subject for m in ready] == [f"Your order is ready · {collect_point.outlet.name}"]
    # twice: told, nothing changed
    again = tablet.post(f"/pos/collect/{order.pk}/ready/", follow=True).content.decode()
    assert "This order has already moved on" in again

    tablet.post(f"/pos/collect/{order.pk}/handed-over/")
    order.refresh_from_db()
    assert order.status == "handed_over" and order.handed_over_at is not None
    page = Client().get(status_url).content.decode()
    assert 'data-progress="handed_over"' in page and "Collected" in page
    with pytest.raises(Conflict):
        collect_order_ready(guest_order=order, property=hotel, actor=None)
    # another property's staff neither sees nor moves it
    with pytest.raises(Conflict):
        collect_order_handed_over(guest_order=order, property=other_hotel, actor=None)
    assert tablet.post("/pos/collect/999999/ready/").status_code == 404


def test_a_full_slot_refuses_until_an_unpaid_hold_expires(
    fake_provider,  # noqa: F811
    hotel,
    collect_point,
):
    slot = _first_slot(collect_point)
    first, _ = _start(collect_point, key="a", slot=slot)
    _start(collect_point, key="b", slot=slot)
    assert collect_slots(outlet=collect_point.outlet)[0].left == 0
    with pytest.raises(Conflict, match="pickup is full"):
        _start(collect_point, key="c", slot=slot)
    assert GuestOrder.objects.count() == 2
    # the first was never paid: after the hold its place is for sale again
    GuestOrder.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(hours=1))
    third, _ = _start(collect_point, key="c", slot=slot)
    assert third.pickup_slot.starts_at == slot.starts_at
    # the first paid at last, its place gone meanwhile: refused and refunded
    _pay(first)
    late = guest_order_online_refresh(guest_order=first)
    assert late.status == "refused" and "pickup is full" in late.refusal_reason
    assert [r["payment_intent"] for r in fake_provider.refunds.values()] == [first.intent_id]
    assert not Ticket.objects.exists()


def test_sold_out_dishes_a_closed_kitchen_and_bad_input_are_refused_in_french(
    fake_provider,  # noqa: F811
    hotel,
    collect_point,
):
    phone = Client()
    url = f"/collect/{token_of(collect_point)}/?lang=fr"
    club = _club(hotel)
    slot = _first_slot(collect_point)
    posted = {
        "client_key": "fr-1",
        f"qty-{club.pk}": "1",
        "pickup_at": slot.value,
        "name": "Martin",
        "email": "martin@exemple.fr",
    }
    bad_email = phone.post(url, {**posted, "email": "martin"})
    assert bad_email.status_code == 422
    assert "Saisissez une adresse e-mail valide" in bad_email.content.decode()
    no_time = phone.post(url, {**posted, "pickup_at": "demain"})
    assert "Choisissez une heure de retrait." in no_time.content.decode()
    no_name = phone.post(url, {**posted, "name": "  "}).content.decode()
    assert "Saisissez le nom sous lequel la commande sera retirée." in no_name

    product_sold_out_set(product=club, by=None)
    cache.clear()
    sold_out = phone.post(url, posted)
    assert sold_out.status_code == 409
    assert "Club sandwich est épuisé" in sold_out.content.decode()
    page = phone.get(url).content.decode()
    assert 'data-sold-out="1"' in page.split('data-testid="dish-club-sandwich"')[1][:40]

    outlet = collect_point.outlet
    outlet.opens_at = (timezone.localtime() + timedelta(hours=2)).time().replace(second=0)
    outlet.kitchen_closes_at = (timezone.localtime() + timedelta(hours=3)).time().replace(second=0)
    outlet.save()
    brownie = Product.objects.get(property=hotel, code="brownie")
    closed = phone.post(url, {**posted, f"qty-{club.pk}": "0", f"qty-{brownie.pk}": "1"})
    assert closed.status_code == 409 and "La cuisine est fermée" in closed.content.decode()
    assert not GuestOrder.objects.exists() and not PickupSlot.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_phones_at_once_never_take_more_than_the_slots_places(
    fake_provider,  # noqa: F811
    hotel,
    collect_point,
):
    """Six phones take the same 2-place slot at the same moment: two orders, four told the
    slot is full — the orders are counted under the slot's row lock."""
    slot = _first_slot(collect_point)
    barrier = threading.Barrier(6)
    results = []

    def phone(n):
        try:
            translation.activate("en")
            barrier.wait()
            _start(collect_point, key=f"t-{n}", slot=slot, name=f"Guest {n}")
            results.append("ok")
        except Conflict as exc:
            results.append(str(exc.message))
        finally:
            connection.close()

    threads = [threading.Thread(target=phone, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("ok") == 2, results
    assert sum("pickup is full" in r for r in results) == 4
    assert GuestOrder.objects.filter(pickup_slot__starts_at=slot.starts_at).count() == 2
    assert PickupSlot.objects.count() == 1


def test_the_manager_makes_the_page_and_sets_its_slots(client, manager, room_service):
    client.force_login(manager)
    client.post(f"/manage/guest-ordering/outlets/{room_service.pk}/codes/", {"collect": "on"})
    client.post(f"/manage/guest-ordering/outlets/{room_service.pk}/codes/", {"collect": "on"})
    point = GuestOrderPoint.objects.get(outlet=room_service, kind="collect")  # one page
    page = client.get("/manage/guest-ordering/").content.decode()
    assert f'href="/collect/{token_of(point)}/"' in page
    rules = f"/manage/guest-ordering/outlets/{room_service.pk}/rules/"
    bad = client.post(rules, {"max_open": "10", "slot_capacity": "0"}, follow=True)
    assert "Enter the orders per pickup slot, from 1 to 500." in bad.content.decode()
    room_service.refresh_from_db()
    assert room_service.collect_slot_capacity == 4
    client.post(
        rules, {"max_open": "10", "slot_minutes": "30", "slot_capacity": "6", "lead_minutes": "45"}
    )
    room_service.refresh_from_db()
    assert (
        room_service.collect_slot_minutes,
        room_service.collect_slot_capacity,
        room_service.collect_lead_minutes,
    ) == (30, 6, 45)
    # the printed sheet is the tables' and rooms': the page is a link, not a card
    sheet = client.get(f"/manage/guest-ordering/outlets/{room_service.pk}/sheet/").content
    assert b"/collect/" not in sheet


def test_the_staffs_list_costs_the_same_queries_for_one_order_or_five(
    fake_provider,  # noqa: F811
    hotel,
    collect_point,
    tablet,
    django_assert_max_num_queries,
):
    collect_point.outlet.collect_slot_capacity = 10
    collect_point.outlet.save()
    for n in range(5):
        order, _url = _start(collect_point, key=f"l-{n}", name=f"Guest {n}")
        _pay(order)
        guest_order_online_refresh(guest_order=order)
    tablet.get("/pos/collect/")
    with django_assert_max_num_queries(6):  # the session, the staff, the orders
        page = tablet.get("/pos/collect/").content.decode()
    assert all(f"Guest {n}" in page for n in range(5))
