"""A room's order paid by card online (no guest in house to charge it to), through the
booking engine's gateway against the fake provider on 127.0.0.1: the sale is made once the
provider says it is paid, once; a dish sold out meanwhile is refused and the card refunded."""

import json
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import Client

from billing.models import Payment, Ticket
from core.models import OutboxMessage
from inventory.models import CapacityBucket, Product
from pms.services.payment_gateway import PaymentGateway
from pos.guest_menu import guest_menu
from pos.models import GuestOrder
from pos.services.guest_orders import (
    GuestLine,
    guest_order_online_refresh,
    guest_order_pay_online_start,
    point_token,
)
from pos.tasks import guest_order_online_refresh_task
from tests.pms.payments.conftest import fake_provider  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


def _start(point, product, key="card-1"):
    return guest_order_pay_online_start(
        point=point,
        lines=[GuestLine(product_id=product.pk)],
        client_key=key,
        menu_products=guest_menu(point=point)["by_id"],
        return_url="http://testserver/g/x/orders/{public_id}/",
    )


def _pay(order):
    PaymentGateway.from_settings().intent_confirm(
        order.intent_id, payment_method="pm_card_visa", return_url="", idempotency_key="c"
    )


def test_a_room_without_a_guest_pays_by_card_and_the_sale_follows_once(
    fake_provider,  # noqa: F811
    hotel,
    room_point,
):
    club = Product.objects.get(property=hotel, code="club-sandwich")
    order, url = _start(room_point, club)
    assert url.startswith(fake_provider.url) and str(order.public_id) in url
    assert order.status == GuestOrder.Status.AWAITING_PAYMENT and order.total == Decimal("16.00")
    assert _start(room_point, club)[0].pk == order.pk  # a double tap: the same order
    assert guest_order_online_refresh(guest_order=order).status == "awaiting_pay"
    assert not Ticket.objects.exists()
    _pay(order)
    paid = guest_order_online_refresh(guest_order=order)
    assert paid.status == GuestOrder.Status.PAID
    payment = Payment.objects.get()
    assert payment.method == Payment.Method.CARD and payment.terminal_reference == order.intent_id
    assert paid.order.ticket.total == Decimal("16.00")
    guest_order_online_refresh(guest_order=order)
    assert Ticket.objects.count() == 1


def test_the_status_page_makes_the_sale_when_the_guest_comes_back(
    fake_provider,  # noqa: F811
    hotel,
    room_point,
):
    phone = Client()
    url = f"/g/{point_token(room_point)}/"
    club = Product.objects.get(property=hotel, code="club-sandwich")
    page = phone.get(url + "?lang=en").content.decode()
    assert 'data-testid="pay-card"' in page
    key = page.split('name="client_key" value="')[1].split('"')[0]
    response = phone.post(url, {"client_key": key, f"qty-{club.pk}": "1", "pay": "card"})
    assert response.status_code == 302 and response["Location"].startswith(fake_provider.url)
    order = GuestOrder.objects.get()
    _pay(order)
    status = phone.get(f"{url}orders/{order.public_id}/?lang=en").content.decode()
    assert 'data-testid="paid"' in status
    assert GuestOrder.objects.get().status == GuestOrder.Status.PAID


def test_the_last_brownie_gone_meanwhile_is_refunded(
    fake_provider,  # noqa: F811
    hotel,
    room_point,
):
    brownie = Product.objects.get(property=hotel, code="brownie")
    order, _url = _start(room_point, brownie)
    CapacityBucket.objects.filter(pool=brownie.capacity_pool).delete()
    brownie.capacity_pool.default_capacity = 0
    brownie.capacity_pool.save()
    _pay(order)
    refused = guest_order_online_refresh(guest_order=order)
    assert refused.status == GuestOrder.Status.REFUSED
    assert not Ticket.objects.exists()
    assert [r["payment_intent"] for r in fake_provider.refunds.values()] == [order.intent_id]


def _deliver(fake, event):
    payload = json.dumps(event).encode()
    return Client().post(
        "/book/payments/webhook/",
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=fake.sign(payload),
    )


def test_the_providers_webhook_makes_the_sale_of_a_guest_who_never_comes_back(
    fake_provider,  # noqa: F811
    hotel,
    room_point,
    django_capture_on_commit_callbacks,
):
    """The guest pays on the provider's page and closes the phone: the signed webhook alone
    queues the sale, a worker makes it once; the same event replayed changes nothing."""
    club = Product.objects.get(property=hotel, code="club-sandwich")
    order, _url = _start(room_point, club)
    _pay(order)
    succeeded = fake_provider.events_of("payment_intent.succeeded")[-1]
    created = fake_provider.events_of("payment_intent.created")[-1]
    assert _deliver(fake_provider, created).status_code == 200  # not a success: ignored
    assert not OutboxMessage.objects.filter(task=guest_order_online_refresh_task.name).exists()

    with django_capture_on_commit_callbacks(execute=False):
        assert _deliver(fake_provider, succeeded).json() == {"received": True, "replay": False}
        assert _deliver(fake_provider, succeeded).json()["replay"] is True
    message = OutboxMessage.objects.get(task=guest_order_online_refresh_task.name)
    assert GuestOrder.objects.get().status == GuestOrder.Status.AWAITING_PAYMENT
    assert guest_order_online_refresh_task(**message.kwargs, outbox_id=message.pk) == "paid"
    assert guest_order_online_refresh_task(**message.kwargs, outbox_id=message.pk) == ""

    paid = GuestOrder.objects.get()
    assert paid.status == GuestOrder.Status.PAID
    assert paid.order.ticket.total == Decimal("16.00")
    assert Payment.objects.get().terminal_reference == order.intent_id
    assert Ticket.objects.count() == 1
