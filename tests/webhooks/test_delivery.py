"""Webhooks end to end: a booking-engine booking and a till sale reach a receiver on
127.0.0.1, signed per Standard Webhooks (verified with the `standardwebhooks` library), a
receiver answering 500 gets the same message again later, and a resend carries the same id."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from standardwebhooks import Webhook

from billing.services.payments import TenderInput
from core.exceptions import InvalidInput
from core.models import OutboxMessage
from pos.services.checkout import order_checkout
from tests.pms.booking.test_booking_engine import GUEST, stay
from tests.pos.helpers import line
from tests.webhooks.receiver import running_receiver
from webhooks.models import WebhookDelivery, WebhookSubscription
from webhooks.services import (
    retry_delay,
    webhook_resend,
    webhook_subscription_create,
    webhooks_retry_due,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_eager")]


@pytest.fixture
def private_targets(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True


def _verified(subscription, request) -> dict:
    """The payload, once standardwebhooks accepted its signature (raises otherwise)."""
    return Webhook(subscription.secret).verify(request.body, request.headers)


def test_a_booking_engine_booking_reaches_the_receiver_and_a_500_is_retried(
    private_targets, client, hotel, rooms, room_type, day
):
    # given a receiver that answers 500 once, subscribed to reservation.created
    with running_receiver(answers=[500]) as receiver:
        subscription = webhook_subscription_create(
            property=hotel, url=receiver.url, events=["reservation.created"]
        )
        # when a guest books on the booking engine
        held = client.post(
            f"/book/{hotel.slug}/details/", {**stay(day, room_type("classique")), **GUEST}
        )
        assert held.status_code == 302

        # then the receiver got reservation.created, signed, and answered 500
        assert len(receiver.received) == 1
        first = receiver.received[0]
        payload = _verified(subscription, first)
        assert payload["type"] == "reservation.created" and payload["version"] == 1
        assert payload["property"] == hotel.slug
        assert payload["data"]["channel"] == "booking_engine"
        delivery = WebhookDelivery.objects.get()
        assert payload["data"]["reference"]
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
            "pending",
            1,
            500,
        )
        assert delivery.next_attempt_at > timezone.now()
        # nothing is sent again before the backoff elapsed
        assert webhooks_retry_due() == 0 and len(receiver.received) == 1

        # when the backoff elapsed, the sweep sends it again: same id, new signature
        assert webhooks_retry_due(now=delivery.next_attempt_at + timedelta(seconds=1)) == 1
        assert len(receiver.received) == 2
        second = receiver.received[1]
        assert _verified(subscription, second) == payload
        assert second.headers["webhook-id"] == first.headers["webhook-id"] == delivery.message_id
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
            "delivered",
            2,
            200,
        )
        assert [a.status_code for a in delivery.log.order_by("started_at", "pk")] == [500, 200]

        # a replayed (resent) delivery carries the same id: the receiver can drop it
        webhook_resend(delivery=delivery)
        assert len(receiver.received) == 3
        assert receiver.received[2].headers["webhook-id"] == delivery.message_id
        assert _verified(subscription, receiver.received[2]) == payload
        assert delivery.log.count() == 3


def test_a_booking_engine_payment_sends_reservation_changed_confirmed(
    private_targets, client, hotel, rooms, room_type, day
):
    with running_receiver() as receiver:
        subscription = webhook_subscription_create(
            property=hotel, url=receiver.url, events=["reservation.created", "reservation.changed"]
        )
        held = client.post(
            f"/book/{hotel.slug}/details/", {**stay(day, room_type("classique")), **GUEST}
        )
        paid = client.post(held.url.split("?")[0], {"provider": "bank_transfer"})
        assert paid.status_code == 302
        events = [_verified(subscription, r) for r in receiver.received]
    assert [(e["type"], e["data"]["status"]) for e in events] == [
        ("reservation.created", "option"),
        ("reservation.changed", "confirmed"),
    ]
    assert events[0]["data"]["id"] == events[1]["data"]["id"]


def test_a_till_sale_sends_order_paid(private_targets, hotel, catalog, product, terminal, cashier):
    with running_receiver() as receiver:
        subscription = webhook_subscription_create(
            property=hotel, url=receiver.url, events=["order.paid", "reservation.created"]
        )
        # when the till sells a spritz for cash
        order = order_checkout(
            property=hotel,
            terminal=terminal,
            actor=cashier,
            lines=[line(product("spritz"))],
            tenders=[TenderInput(method="cash", amount=Decimal("11.00"))],
        )
        # then the receiver got order.paid, once, signed
        assert len(receiver.received) == 1
        payload = _verified(subscription, receiver.received[0])
        assert payload["type"] == "order.paid"
        assert payload["data"]["id"] == order.pk
        assert payload["data"]["total"] == "11.00"
        assert payload["data"]["payments"] == [
            {"method": "cash", "amount": "11.00", "reference": ""}
        ]
        assert WebhookDelivery.objects.get().status == "delivered"


def test_a_failed_sale_sends_nothing(private_targets, hotel, catalog, product, terminal, cashier):
    with running_receiver() as receiver:
        webhook_subscription_create(property=hotel, url=receiver.url, events=["order.paid"])
        with pytest.raises(Exception):  # noqa: B017 - the tender does not cover the sale
            order_checkout(
                property=hotel,
                terminal=terminal,
                actor=cashier,
                lines=[line(product("spritz"))],
                tenders=[TenderInput(method="cash", amount=Decimal("1.00"))],
            )
        assert receiver.received == []
        assert not WebhookDelivery.objects.exists()


def test_a_subscription_to_a_private_address_is_refused(settings, hotel):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    for url in ("http://127.0.0.1:8080/hooks", "http://10.1.2.3/hooks", "http://[::1]/x"):
        with pytest.raises(InvalidInput) as refused:
            webhook_subscription_create(property=hotel, url=url, events=["order.paid"])
        assert "private or local network" in str(refused.value.message)
    with pytest.raises(InvalidInput):
        webhook_subscription_create(property=hotel, url="ftp://example.com/", events=["order.paid"])
    with pytest.raises(InvalidInput):
        webhook_subscription_create(
            property=hotel, url="https://example.com/", events=["no.such.event"]
        )
    assert not WebhookSubscription.objects.exists()


def test_a_subscription_failing_for_days_is_switched_off_and_managers_told(
    private_targets, settings, hotel, manager, catalog, product, terminal, cashier
):
    settings.WEBHOOKS_DISABLE_AFTER_DAYS = 3
    manager.email = "gerant@hotel.example"
    manager.save()
    with running_receiver(answers=[503, 503]) as receiver:
        subscription = webhook_subscription_create(
            property=hotel, url=receiver.url, events=["order.paid"]
        )
        order_checkout(
            property=hotel,
            terminal=terminal,
            actor=cashier,
            lines=[line(product("spritz"))],
            tenders=[TenderInput(method="cash", amount=Decimal("11.00"))],
        )
        subscription.refresh_from_db()
        assert subscription.is_active and subscription.failing_since is not None
        # given it has been failing for more than three days
        WebhookSubscription.objects.filter(pk=subscription.pk).update(
            failing_since=timezone.now() - timedelta(days=3, minutes=1)
        )
        # when the next attempt fails too
        delivery = WebhookDelivery.objects.get()
        webhooks_retry_due(now=delivery.next_attempt_at + timedelta(seconds=1))
        assert len(receiver.received) == 2
    # then the subscription is off, its pending delivery failed, the manager e-mailed
    subscription.refresh_from_db()
    delivery.refresh_from_db()
    assert not subscription.is_active and subscription.disabled_at is not None
    assert delivery.status == "failed"
    assert [m.to for m in mail.outbox] == [["gerant@hotel.example"]]
    assert receiver.url in mail.outbox[0].body
    # and nothing more is sent to it
    assert webhooks_retry_due(now=timezone.now() + timedelta(days=1)) == 0
    assert not OutboxMessage.objects.filter(status="pending").exists()


def test_the_backoff_grows_exponentially_with_jitter(settings):
    settings.WEBHOOKS_RETRY_BASE_SECONDS = 30
    settings.WEBHOOKS_RETRY_MAX_SECONDS = 3600
    for attempts, full in ((1, 30), (2, 60), (3, 120), (10, 3600)):
        delays = {retry_delay(attempts).total_seconds() for _ in range(20)}
        assert all(full / 2 <= d <= full for d in delays)
        assert len(delays) > 1  # jitter: not every receiver is retried in step
