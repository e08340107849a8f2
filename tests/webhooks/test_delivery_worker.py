"""A webhook leaves through the real path: outbox row at commit, Redis broker, a Celery
worker, the receiver on 127.0.0.1."""

import time
from decimal import Decimal

import pytest
from standardwebhooks import Webhook

from billing.services.payments import TenderInput
from pos.services.checkout import order_checkout
from tests.pos.helpers import line
from tests.webhooks.receiver import running_receiver
from tests.worker import running_worker
from webhooks.models import WebhookDelivery
from webhooks.services import webhook_subscription_create

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_worker_delivers_order_paid(settings, hotel, catalog, product, terminal, cashier):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    with running_receiver() as receiver, running_worker():
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
        deadline = time.monotonic() + 30
        while not receiver.received:
            assert time.monotonic() < deadline, "the worker never delivered"
            time.sleep(0.1)
        payload = Webhook(subscription.secret).verify(
            receiver.received[0].body, receiver.received[0].headers
        )
        while WebhookDelivery.objects.get().status != "delivered":
            assert time.monotonic() < deadline
            time.sleep(0.1)
    assert payload["type"] == "order.paid"
    assert len(receiver.received) == 1
