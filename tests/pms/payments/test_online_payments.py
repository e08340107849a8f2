"""BE-3: a deposit paid online through the card provider (the fake on 127.0.0.1)."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from billing.models import Payment
from core.models import OutboxMessage
from pms.models import OnlinePayment, OnlineRefund, PaymentWebhookEvent, Reservation
from pms.services.booking import booking_hold, options_expire
from pms.services.online_payments import booking_cancel_with_refund
from pms.tasks import booking_emails_task, online_refund_task

pytestmark = pytest.mark.django_db
WEBHOOK = "/book/payments/webhook/"


@pytest.fixture
def held(hotel, rooms, day):
    """A guest's option on a Classique for two nights, as the details step leaves it."""
    return booking_hold(
        property=hotel,
        room_type_id=rooms["classique"].pk,
        arrival=day(5),
        departure=day(7),
        adults=2,
        children=0,
        first_name="Léa",
        last_name="Dupont",
        email="lea.dupont@exemple.fr",
        language="fr",
    )


def pay_url(hotel, reservation) -> str:
    return f"/book/{hotel.slug}/pay/{reservation.public_id}/"


def start(client, hotel, reservation, fake) -> str:
    """The guest chooses the card: Auberge creates the intent and sends them to the fake."""
    response = client.post(pay_url(hotel, reservation), {"provider": "card_online", "lang": "en"})
    assert response.status_code == 302
    assert response.url.startswith(f"{fake.url}/pay/pi_")
    return OnlinePayment.objects.get(reservation=reservation).intent_id


def deliver(client, fake, event, *, signature=None):
    payload = json.dumps(event).encode()
    return client.post(
        WEBHOOK,
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature if signature is not None else fake.sign(payload),
    )


def run_outbox(task):
    for message in OutboxMessage.objects.filter(task=task.name, status="pending"):
        task(**message.kwargs, outbox_id=message.pk)


def test_the_card_is_offered_only_when_the_provider_is_configured(client, hotel, held, settings):
    settings.PAYMENT_PROVIDER_SECRET_KEY = ""
    page = client.get(pay_url(hotel, held), {"lang": "en"})
    assert 'value="card_online"' not in page.content.decode()
    # and a guest posting it anyway is not confirmed
    response = client.post(pay_url(hotel, held), {"provider": "card_online", "lang": "en"})
    held.refresh_from_db()
    assert response.status_code == 200 and held.status == "option"


def test_a_deposit_paid_online_confirms_the_booking(client, hotel, held, fake_provider):
    fake = fake_provider
    page = client.get(pay_url(hotel, held), {"lang": "en"})
    assert 'value="card_online"' in page.content.decode()
    intent_id = start(client, hotel, held, fake)

    # the intent asked for 30 % of the stay, in cents, with an idempotency key
    create = fake.requests[0]
    assert create["path"] == "/v1/payment_intents"
    assert create["form"]["amount"] == str(int(Decimal("0.30") * held.total_price * 100))
    assert create["form"]["currency"] == "eur"
    assert create["form"]["metadata"]["reservation"] == str(held.public_id)
    assert create["idempotency_key"]
    held.refresh_from_db()
    assert held.status == "option"  # nothing confirmed by the click itself

    # the guest pays on the provider's page; the provider's webhook says so
    fake.pay(intent_id, "4242424242424242")
    succeeded = fake.events_of("payment_intent.succeeded")[0]
    assert deliver(client, fake, succeeded).status_code == 200

    held.refresh_from_db()
    assert held.status == "confirmed"
    payment = OnlinePayment.objects.get(intent_id=intent_id)
    assert (
        payment.status == "succeeded" and payment.amount == Decimal(create["form"]["amount"]) / 100
    )
    folio_payment = Payment.objects.get(folio=held.folio)
    assert (folio_payment.method, folio_payment.amount, folio_payment.terminal_reference) == (
        "card",
        payment.amount,
        intent_id,
    )
    # the guest's confirmation e-mail in French, with what was paid
    run_outbox(booking_emails_task)
    to_guest = [m for m in mail.outbox if m.to == ["lea.dupont@exemple.fr"]]
    assert len(to_guest) == 1
    assert "Votre réservation" in to_guest[0].subject
    assert "carte" in to_guest[0].body

    # the guest comes back: the confirmation page
    back = client.get(
        f"/book/{hotel.slug}/pay/{held.public_id}/return/",
        {"payment_intent": intent_id, "lang": "en"},
    )
    assert back.status_code == 302 and f"/done/{held.public_id}/" in back.url
    assert held.reference in client.get(back.url).content.decode()


def test_the_return_alone_confirms_when_the_webhook_is_late(client, hotel, held, fake_provider):
    fake = fake_provider
    intent_id = start(client, hotel, held, fake)
    fake.pay(intent_id)  # no webhook delivered (the endpoint is not set)
    back = client.get(
        f"/book/{hotel.slug}/pay/{held.public_id}/return/", {"payment_intent": intent_id}
    )
    assert back.status_code == 302
    held.refresh_from_db()
    assert held.status == "confirmed"
    # then the webhook arrives: nothing twice
    deliver(client, fake, fake.events_of("payment_intent.succeeded")[0])
    assert Payment.objects.filter(folio=held.folio).count() == 1


def test_a_decline_leaves_the_hold_to_expire_and_confirms_nothing(
    client, hotel, held, fake_provider
):
    fake = fake_provider
    intent_id = start(client, hotel, held, fake)
    fake.pay(intent_id, "4000000000000002")
    failed = fake.events_of("payment_intent.payment_failed")[0]
    assert failed["data"]["object"]["last_payment_error"]["decline_code"] == "generic_decline"
    assert deliver(client, fake, failed).status_code == 200

    payment = OnlinePayment.objects.get(intent_id=intent_id)
    assert (payment.status, payment.decline_code) == ("failed", "generic_decline")
    held.refresh_from_db()
    assert held.status == "option"
    assert not Payment.objects.filter(folio=held.folio).exists()
    back = client.get(
        f"/book/{hotel.slug}/pay/{held.public_id}/return/",
        {"payment_intent": intent_id, "lang": "en"},
    )
    assert back.status_code == 200
    assert "Your card was declined" in back.content.decode()

    # the hold runs out: the option is cancelled, nothing was ever confirmed
    assert options_expire(now=timezone.now() + timedelta(minutes=16)) == 1
    held.refresh_from_db()
    assert held.status == "cancelled"
    assert not Payment.objects.filter(folio=held.folio).exists()


def test_the_api_answers_402_with_the_decline_code(fake_provider, hotel):
    from pms.services.payment_gateway import GatewayError, PaymentGateway

    gateway = PaymentGateway.from_settings()
    intent = gateway.intent_create(
        amount_cents=7200, currency="EUR", metadata={"r": "1"}, idempotency_key="k1"
    )
    with pytest.raises(GatewayError) as refused:
        gateway.intent_confirm(
            intent["id"],
            payment_method="pm_card_chargeDeclinedInsufficientFunds",
            return_url="http://x/",
            idempotency_key="k2",
        )
    assert (refused.value.status, refused.value.type, refused.value.code) == (
        402,
        "card_error",
        "card_declined",
    )
    assert refused.value.decline_code == "insufficient_funds"
    assert not refused.value.retryable
    # the same idempotency key with other parameters is refused; with the same, replayed
    again = gateway.intent_create(
        amount_cents=7200, currency="EUR", metadata={"r": "1"}, idempotency_key="k1"
    )
    assert again["id"] == intent["id"]
    with pytest.raises(GatewayError) as reused:
        gateway.intent_create(
            amount_cents=9900, currency="EUR", metadata={"r": "1"}, idempotency_key="k1"
        )
    assert reused.value.type == "idempotency_error"


def test_3ds_pending_then_success(client, hotel, held, fake_provider):
    fake = fake_provider
    intent_id = start(client, hotel, held, fake)
    fake.pay(intent_id, "4000002760003184")
    intent = fake.intents[intent_id]
    assert intent["status"] == "requires_action"
    assert intent["next_action"]["type"] == "redirect_to_url"
    deliver(client, fake, fake.events_of("payment_intent.requires_action")[0])
    assert OnlinePayment.objects.get(intent_id=intent_id).status == "requires_action"

    # back before the bank answered: "waiting for your bank", nothing confirmed
    back = client.get(
        f"/book/{hotel.slug}/pay/{held.public_id}/return/",
        {"payment_intent": intent_id, "lang": "en"},
    )
    assert back.status_code == 200 and 'data-testid="payment-pending"' in back.content.decode()
    held.refresh_from_db()
    assert held.status == "option"

    fake.complete_3ds(intent_id)
    deliver(client, fake, fake.events_of("payment_intent.succeeded")[0])
    held.refresh_from_db()
    assert held.status == "confirmed"
    assert OnlinePayment.objects.get(intent_id=intent_id).status == "succeeded"


def test_a_replayed_webhook_and_out_of_order_events_change_nothing_twice(
    client, hotel, held, fake_provider
):
    fake = fake_provider
    intent_id = start(client, hotel, held, fake)
    fake.pay(intent_id, "4000000000000002")  # declined first
    declined = fake.events_of("payment_intent.payment_failed")[0]
    fake.pay(intent_id, "4242424242424242")  # then another card succeeds
    succeeded = fake.events_of("payment_intent.succeeded")[0]

    # delivered out of order: the success first, then the older decline
    assert deliver(client, fake, succeeded).json() == {"received": True, "replay": False}
    assert deliver(client, fake, declined).status_code == 200
    # and the success replayed twice
    assert deliver(client, fake, succeeded).json() == {"received": True, "replay": True}
    assert deliver(client, fake, succeeded).status_code == 200

    held.refresh_from_db()
    assert held.status == "confirmed"
    assert OnlinePayment.objects.get(intent_id=intent_id).status == "succeeded"
    assert Payment.objects.filter(folio=held.folio).count() == 1
    assert PaymentWebhookEvent.objects.filter(event_id=succeeded["id"]).count() == 1
    assert OutboxMessage.objects.filter(task=booking_emails_task.name).count() == 1


@pytest.mark.parametrize(
    "signature",
    ["", "t=1,v1=deadbeef", "wrong-secret", "too-old"],
)
def test_a_bad_signature_is_refused_and_changes_nothing(
    client, hotel, held, fake_provider, signature
):
    fake = fake_provider
    intent_id = start(client, hotel, held, fake)
    fake.pay(intent_id)
    event = fake.events_of("payment_intent.succeeded")[0]
    payload = json.dumps(event).encode()
    header = {
        "wrong-secret": fake.sign(payload, secret="whsec_other"),
        "too-old": fake.sign(payload, timestamp=int(timezone.now().timestamp()) - 3600),
    }.get(signature, signature)
    response = deliver(client, fake, event, signature=header)
    assert response.status_code == 400
    held.refresh_from_db()
    assert held.status == "option"
    assert not PaymentWebhookEvent.objects.exists()
    assert OnlinePayment.objects.get(intent_id=intent_id).status == "requires_payment_method"


def test_a_payment_after_the_hold_expired_is_flagged_and_refunded(
    client, hotel, held, fake_provider
):
    fake = fake_provider
    intent_id = start(client, hotel, held, fake)
    # the guest lingers on the provider's page; the sweeper returns the room to sale
    assert options_expire(now=timezone.now() + timedelta(minutes=16)) == 1
    fake.pay(intent_id)
    deliver(client, fake, fake.events_of("payment_intent.succeeded")[0])

    held.refresh_from_db()
    assert held.status == "cancelled"
    payment = OnlinePayment.objects.get(intent_id=intent_id)
    assert payment.status == "succeeded" and payment.late
    assert not Payment.objects.filter(folio=held.folio).exists()
    refund = OnlineRefund.objects.get(payment=payment)
    assert refund.amount == payment.amount
    assert not fake.refunds  # nothing sent inside the transaction
    run_outbox(online_refund_task)
    refund.refresh_from_db()
    assert refund.status == "succeeded"
    (sent,) = fake.refunds.values()
    assert sent["amount"] == int(payment.amount * 100)
    assert not Payment.objects.filter(folio=held.folio).exists()  # never on the folio


def test_a_refund_after_cancellation(client, hotel, held, fake_provider):
    fake = fake_provider
    intent_id = start(client, hotel, held, fake)
    fake.pay(intent_id)
    deliver(client, fake, fake.events_of("payment_intent.succeeded")[0])
    held.refresh_from_db()
    paid = OnlinePayment.objects.get(intent_id=intent_id).amount

    booking_cancel_with_refund(reservation=held, reason="guest cancelled")
    held.refresh_from_db()
    assert held.status == "cancelled"
    assert not fake.refunds  # the provider is called after commit, by the outbox task
    refund = OnlineRefund.objects.get(payment__intent_id=intent_id)
    assert refund.status == "requested"

    # a first try times out: the task fails (retried), nothing recorded twice
    fake.timeout_next = 3.0
    message = OutboxMessage.objects.get(task=online_refund_task.name)
    with pytest.raises(Exception):
        online_refund_task(**message.kwargs, outbox_id=message.pk)
    refund.refresh_from_db()
    assert refund.status == "requested"
    # the retry, with the same idempotency key: one refund at the provider
    online_refund_task(**message.kwargs, outbox_id=message.pk)
    refund.refresh_from_db()
    assert refund.status == "succeeded"
    assert len(fake.refunds) == 1
    keys = {r["idempotency_key"] for r in fake.requests if r["path"] == "/v1/refunds"}
    assert keys == {refund.idempotency_key}
    amounts = sorted(Payment.objects.filter(folio=held.folio).values_list("amount", flat=True))
    assert amounts == [-paid, paid]

    # the provider's refund.created webhook, and its replay: nothing more on the folio
    for _ in range(2):
        deliver(client, fake, fake.events_of("refund.created")[0])
    assert Payment.objects.filter(folio=held.folio).count() == 2
    assert held.status == Reservation.Status.CANCELLED


def test_the_provider_down_keeps_the_guest_on_the_payment_step(
    client, hotel, held, fake_provider, settings
):
    settings.PAYMENT_PROVIDER_TIMEOUT = 0.5
    fake_provider.timeout_next = 2.0
    response = client.post(pay_url(hotel, held), {"provider": "card_online", "lang": "en"})
    assert response.status_code == 200
    assert "Online payment is not available" in response.content.decode()
    held.refresh_from_db()
    assert held.status == "option" and not OnlinePayment.objects.exists()


@pytest.mark.parametrize(
    "event",
    [
        {"id": "evt_x", "type": "payment_intent.succeeded", "data": []},
        {"id": "evt_y", "type": "payment_intent.succeeded", "data": {"object": {"id": 5}}},
        {"id": "evt_z", "type": "refund.created", "data": {"object": "nope"}},
        {"id": "evt_w", "type": "customer.created", "data": {"object": {"id": "cus_1"}}},
    ],
)
def test_odd_but_signed_events_answer_200_and_change_nothing(
    client, hotel, held, fake_provider, event
):
    intent_id = start(client, hotel, held, fake_provider)
    assert deliver(client, fake_provider, event).status_code == 200
    held.refresh_from_db()
    assert held.status == "option"
    assert OnlinePayment.objects.get(intent_id=intent_id).status == "requires_payment_method"


def test_a_cancellation_through_the_api_gives_the_online_deposit_back(
    client, hotel, held, fake_provider
):
    """The desk's and the API's cancel go through booking_cancel_with_refund: a plan
    without a fee gives back all that was paid online (the HTTP call after commit)."""
    from core.models import Role
    from tests.factories.core import make_staff

    fake = fake_provider
    intent_id = start(client, hotel, held, fake)
    fake.pay(intent_id)
    deliver(client, fake, fake.events_of("payment_intent.succeeded")[0])
    paid = OnlinePayment.objects.get(intent_id=intent_id).amount
    client.force_login(make_staff(hotel, Role.FRONT_DESK, username="desk-api"))
    url = f"/api/v1/properties/{hotel.slug}/reservations/{held.reference}/cancel"
    response = client.post(url, {"reason": "guest cancelled"}, content_type="application/json")
    assert response.status_code == 200, response.content
    held.refresh_from_db()
    assert held.status == Reservation.Status.CANCELLED
    refund = OnlineRefund.objects.get(payment__intent_id=intent_id)
    assert (refund.amount, refund.status) == (paid, "requested")
    assert OutboxMessage.objects.filter(task=online_refund_task.name).count() == 1


def cancels_sent(fake) -> list[dict]:
    return [r for r in fake.requests if r["path"].endswith("/cancel")]


def test_the_open_intent_is_cancelled_at_the_provider_when_the_hold_expires(
    client, hotel, held, fake_provider
):
    from pms.tasks import online_payment_cancel_task

    fake = fake_provider
    intent_id = start(client, hotel, held, fake)
    assert options_expire(now=timezone.now() + timedelta(minutes=16)) == 1
    # nothing over the network in the sweeper's transaction: an outbox row waits
    assert not cancels_sent(fake)
    assert fake.intents[intent_id]["status"] == "requires_payment_method"
    run_outbox(online_payment_cancel_task)
    (sent,) = cancels_sent(fake)
    assert sent["idempotency_key"] == f"auberge-cancel-{intent_id}"
    assert fake.intents[intent_id]["status"] == "canceled"
    payment = OnlinePayment.objects.get(intent_id=intent_id)
    assert payment.status == "canceled" and not payment.late
    # the guest still on the provider's page can no longer pay for the room given back
    assert fake.pay(intent_id)["status"] == "canceled"
    # the provider's own canceled event changes nothing more; a redelivered task neither
    deliver(client, fake, fake.events_of("payment_intent.canceled")[0])
    online_payment_cancel_task(payment_id=payment.pk, outbox_id=None)
    assert len(cancels_sent(fake)) == 1
    assert not OnlineRefund.objects.exists()


def test_a_payment_that_beat_the_cancel_is_flagged_late_and_refunded(
    client, hotel, held, fake_provider
):
    from pms.tasks import online_payment_cancel_task

    fake = fake_provider
    fake.hold_webhooks = True  # the succeeded event has not reached us yet
    intent_id = start(client, hotel, held, fake)
    assert options_expire(now=timezone.now() + timedelta(minutes=16)) == 1
    fake.pay(intent_id)  # between the sweep and the cancel task
    run_outbox(online_payment_cancel_task)
    payment = OnlinePayment.objects.get(intent_id=intent_id)
    assert payment.status == "succeeded" and payment.late
    held.refresh_from_db()
    assert held.status == "cancelled"
    assert OnlineRefund.objects.get(payment=payment).amount == payment.amount
    assert not Payment.objects.filter(folio=held.folio).exists()


def test_a_declined_intent_is_cancelled_too(client, hotel, held, fake_provider):
    fake = fake_provider
    intent_id = start(client, hotel, held, fake)
    fake.pay(intent_id, "4000000000000002")
    options_expire(now=timezone.now() + timedelta(minutes=16))
    assert OutboxMessage.objects.filter(
        task="pms.tasks.online_payment_cancel_task",
        kwargs={"payment_id": OnlinePayment.objects.get(intent_id=intent_id).pk},
    ).exists()
