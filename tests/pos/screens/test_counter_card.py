"""The till's card tender through a Caisse-AP terminal (the simulator on 127.0.0.1): 42,50 €
approved → one payment with the authorisation on the receipt; declined → no payment; an
answer that comes after the till stopped waiting → one payment, never two."""

import time
from decimal import Decimal

import pytest

from billing.models import Payment
from devices.models import CardReader, CardTransaction
from pos.models import Order, Terminal
from tests.devices.caisse_ap_simulator import Script, running_simulator
from tests.worker import running_worker

pytestmark = pytest.mark.django_db(transaction=True)
HX = {"HTTP_HX_REQUEST": "true"}
D = Decimal


def _reader(hotel, terminal, sim, *, answer_timeout=10) -> CardReader:
    reader = CardReader.objects.create(
        property=hotel,
        name="TPE boutique",
        host=sim.host,
        port=sim.port,
        answer_timeout=answer_timeout,
    )
    Terminal.objects.filter(pk=terminal.pk).update(card_reader=reader)
    return reader


def _cart_of_42_50(till, hotel, product) -> str:
    # 17 espressos at 2,50 €
    till.post("/pos/counter/add/", {"product_id": product("cafe").pk, "quantity": "17"}, **HX)
    return till.session[f"pos_cart:{hotel.pk}"]["client_key"]


def _pay_card(till, key, **extra):
    return till.post("/pos/counter/pay/", {"client_key": key, "action": "card", **extra}, **HX)


@pytest.fixture
def eager(celery_eager):
    return None


def test_an_approved_card_pays_42_50_once_with_the_authorisation_on_the_receipt(
    eager, till, hotel, terminal, product
):
    with running_simulator(
        Script("approve", authorisation="123456", pan="4970101234560042")
    ) as sim:
        _reader(hotel, terminal, sim)
        key = _cart_of_42_50(till, hotel, product)
        assert 'data-testid="card-reader-hint"' in till.get("/pos/counter/").content.decode()
        paid = _pay_card(till, key)
        # a double tap after the sale went through: the same receipt, no second charge
        again = _pay_card(till, key)
    order = Order.objects.get(client_key=key)
    assert paid["HX-Redirect"] == again["HX-Redirect"] == f"/pos/counter/receipt/{order.pk}/"
    payment = Payment.objects.get()
    assert (payment.method, payment.amount, payment.terminal_reference) == (
        "card",
        D("42.50"),
        "123456",
    )
    assert sim.requests[0]["CB"] == "4250" and len(sim.requests) == 1
    assert "123456" in till.get(paid["HX-Redirect"]).content.decode()
    tx = CardTransaction.objects.get()
    assert (tx.status, tx.used_for, tx.masked_pan) == ("approved", key, "************0042")
    # no card number anywhere: only the masked one
    stored = " ".join(str(v) for v in CardTransaction.objects.values().get().values())
    assert "4970101234560042" not in stored


def test_a_declined_card_records_no_payment_and_another_card_can_pay(
    eager, till, hotel, terminal, product
):
    with running_simulator(Script("refuse"), Script("approve", authorisation="777777")) as sim:
        _reader(hotel, terminal, sim)
        key = _cart_of_42_50(till, hotel, product)
        declined = _pay_card(till, key)
        assert "The card was declined" in declined.content.decode()
        assert not Payment.objects.exists() and not Order.objects.filter(status="paid").exists()
        # the cashier tries another card: a new attempt, approved
        paid = _pay_card(till, key)
    assert "HX-Redirect" in paid
    assert list(Payment.objects.values_list("terminal_reference", flat=True)) == ["777777"]
    assert list(CardTransaction.objects.order_by("attempt").values_list("status", flat=True)) == [
        "declined",
        "approved",
    ]
    assert len(sim.requests) == 2


@pytest.mark.parametrize(
    "script, message",
    [
        (Script("abandon"), "abandoned at the terminal"),
        (Script("bad"), "did not carry out the payment"),
    ],
)
def test_an_abandoned_or_refused_request_records_no_payment(
    eager, till, hotel, terminal, product, script, message
):
    with running_simulator(script) as sim:
        _reader(hotel, terminal, sim)
        key = _cart_of_42_50(till, hotel, product)
        answer = _pay_card(till, key)
    assert message in answer.content.decode()
    assert not Payment.objects.exists()


def test_an_approval_after_the_till_gave_up_is_paid_once_never_twice(
    settings, till, hotel, terminal, product
):
    settings.CARD_TILL_WAIT_SECONDS = 0.5
    with running_simulator(Script("approve", delay=2.0, authorisation="424242")) as sim:
        _reader(hotel, terminal, sim)
        key = _cart_of_42_50(till, hotel, product)
        with running_worker():
            # the till stops waiting before the cardholder is done
            waiting = _pay_card(till, key)
            assert "has not answered yet" in waiting.content.decode()
            assert not Payment.objects.exists()
            # the cashier presses Card again while the card is still in the terminal
            still = _pay_card(till, key)
            assert "has not answered yet" in still.content.decode()
            # the terminal approves, late
            deadline = time.monotonic() + 20
            while CardTransaction.objects.get().status != "approved":
                assert time.monotonic() < deadline, "the terminal's answer never arrived"
                time.sleep(0.1)
        tx = CardTransaction.objects.get()
        assert tx.late is True and tx.given_up_at is not None
        # flagged at the till until a sale records it
        page = till.get("/pos/counter/").content.decode()
        assert 'data-testid="card-approvals-unused"' in page and "424242" in page
        # pressing Card once more records that approval: no second request to the terminal
        paid = _pay_card(till, key)
    assert "HX-Redirect" in paid
    assert len(sim.requests) == 1
    payment = Payment.objects.get()
    assert (payment.amount, payment.terminal_reference) == (D("42.50"), "424242")
    assert "card-approvals-unused" not in till.get("/pos/counter/").content.decode()


def test_a_terminal_that_never_answers_blocks_a_second_charge_and_the_manual_reference_remains(
    eager, till, hotel, terminal, product
):
    with running_simulator(Script("approve", delay=2.0)) as sim:
        _reader(hotel, terminal, sim, answer_timeout=1)
        key = _cart_of_42_50(till, hotel, product)
        first = _pay_card(till, key)
        # the exchange gave up on the terminal: the outcome is unknown, flagged
        assert CardTransaction.objects.get().status == "unknown"
        assert "never answered" in first.content.decode()
        second = _pay_card(till, key)
        assert "never answered" in second.content.decode()
        assert len(sim.requests) == 1  # never sent twice
        assert not Payment.objects.exists()
        # the cashier checks the terminal's journal and types its authorisation
        paid = _pay_card(till, key, card_reference="A1B2C3")
    assert "HX-Redirect" in paid
    assert list(Payment.objects.values_list("terminal_reference", flat=True)) == ["A1B2C3"]
