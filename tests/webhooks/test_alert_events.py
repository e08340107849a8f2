"""alert.raised: each alert really raised (by the beat's rules or in a drawer's closing
transaction) reaches the property's subscribers once; an alert found again adds nothing."""

from decimal import Decimal

import pytest
from standardwebhooks import Webhook

from inventory.models import CapacityBucket, CapacityPool
from pos.services.cash import cash_session_close, cash_session_open
from reporting.models import Alert
from reporting.services import alerts_evaluate
from tests.factories.pos import make_terminal
from tests.webhooks.receiver import running_receiver
from webhooks.services import webhook_subscription_create

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_eager")]


@pytest.fixture(autouse=True)
def private_targets(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True


def test_a_low_stock_and_a_short_drawer_each_send_alert_raised_once(hotel, manager):
    pool = CapacityPool.objects.create(
        property=hotel, code="paniers", name="Paniers gourmands", kind="stock", reorder_point=3
    )
    CapacityBucket.objects.create(pool=pool, capacity=10, sold=7)  # 3 left: the reorder point
    with running_receiver() as receiver:
        subscription = webhook_subscription_create(
            property=hotel, url=receiver.url, events=["alert.raised"]
        )
        # the beat's rules raise the low stock alert: sent
        (alert,) = alerts_evaluate(property=hotel)
        # found again by the next run: nothing new, nothing sent
        assert alerts_evaluate(property=hotel) == []
        # a drawer closed 25 € short raises its alert as it closes: sent
        drawer = cash_session_open(
            terminal=make_terminal(hotel), actor=manager, opening_float=Decimal("100")
        )
        cash_session_close(session=drawer, actor=manager, counted_cash=Decimal("75.00"))
        payloads = [
            Webhook(subscription.secret).verify(r.body, r.headers) for r in receiver.received
        ]

    assert [(p["type"], p["version"], p["data"]["kind"]) for p in payloads] == [
        ("alert.raised", 1, "low_stock"),
        ("alert.raised", 1, "cash"),
    ]
    low, cash = (p["data"] for p in payloads)
    assert (low["id"], low["cause"]) == (alert.pk, alert.cause)
    assert "Paniers gourmands" in low["message"]
    assert cash["id"] == Alert.objects.get(kind="cash").pk
    assert cash["data"]["difference"] == "-25.00"
