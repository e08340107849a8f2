"""The kiosk paid by card at its own card terminal (the Caisse-AP simulator on 127.0.0.1):
a croissant and an espresso, 4,30 €. Approved → one numbered ticket with a card payment
carrying the terminal's authorisation (no card number kept), the order to the stations, a
double tap or a reload never a second sale nor a second request to the terminal; declined,
abandoned, the terminal's time-out or a terminal unreachable → the basket again with the
reason, nothing sold; no answer at all → the ticket goes to the counter, never charged
again from the kiosk. Then the receipt: printed on the outlet's printer (ESC/POS job) or
e-mailed through the outbox, once."""

import socket
from decimal import Decimal

import pytest
from celery import current_app
from django.core import mail
from django.core.cache import cache
from django.test import Client

from billing.models import JournalEntry, Payment, Ticket
from billing.services.payments import TenderInput
from devices.models import CardReader, CardTransaction, Printer, PrintJob
from inventory.models import Product
from pos.models import GuestOrder, KitchenTicket, Order, Terminal
from pos.services.guest_orders import guest_order_pay_at_counter, point_token
from tests.devices.caisse_ap_simulator import Script, running_simulator

pytestmark = pytest.mark.django_db(transaction=True)
D = Decimal


@pytest.fixture(autouse=True)
def _fresh_cache(celery_eager):
    # the exchange with the terminal and the e-mails run in-process after commit
    cache.clear()
    yield
    cache.clear()


def _pair(kiosk_point, host, port, *, answer_timeout=10) -> CardReader:
    reader = CardReader.objects.create(
        property=kiosk_point.property,
        name="TPE borne",
        host=host,
        port=port,
        answer_timeout=answer_timeout,
    )
    Terminal.objects.filter(pk=kiosk_point.terminal_id).update(card_reader=reader)
    return reader


class Kiosk:
    def __init__(self, point, lang="en"):
        self.client = Client()
        self.base = f"/kiosk/{point_token(point)}/"
        self.lang = lang

    def add(self, *codes):
        for code in codes:
            product = Product.objects.get(code=code)
            self.client.post(f"{self.base}add/?lang={self.lang}", {"product_id": product.pk})

    def pay_card(self):
        return self.client.post(f"{self.base}pay-card/?lang={self.lang}")

    def get(self, url, **kw):
        return self.client.get(url, **kw)

    def receipt(self, order, **data):
        return self.client.post(f"{self.base}receipt/{order.public_id}/?lang={self.lang}", data)


def _pay(kiosk) -> tuple:
    """Pay by card, then load the "present your card" page the kiosk is sent to."""
    started = kiosk.pay_card()
    assert started.status_code == 302 and "/card/" in started["Location"], started
    return started, kiosk.get(started["Location"])


def test_the_pay_by_card_key_shows_only_with_a_card_terminal_paired(kiosk_point):
    kiosk = Kiosk(kiosk_point)
    kiosk.add("croissant")
    page = kiosk.get(f"{kiosk.base}?lang=en").content.decode()
    assert 'data-testid="pay-card"' not in page and 'data-testid="order"' in page
    refused = kiosk.pay_card()
    assert refused.status_code == 409
    assert "Card payment is not available here" in refused.content.decode()
    assert not GuestOrder.objects.exists()
    _pair(kiosk_point, "127.0.0.1", 9)
    assert 'data-testid="pay-card"' in kiosk.get(f"{kiosk.base}?lang=en").content.decode()


def test_an_approved_card_makes_one_numbered_sale_with_the_terminal_reference(kiosk_point):
    with running_simulator(
        Script("approve", authorisation="654321", pan="4970101234560042")
    ) as sim:
        _pair(kiosk_point, sim.host, sim.port)
        kiosk = Kiosk(kiosk_point)
        kiosk.add("croissant", "cafe")
        key = kiosk.client.session[f"kiosk:{kiosk_point.pk}"]["client_key"]
        started = kiosk.pay_card()
        # a double tap on Pay by card: the same order and attempt, nothing sent again
        again = kiosk.pay_card()
        done = kiosk.get(started["Location"])
        # the waiting page reloaded after the sale: the same ticket, no second sale
        reloaded = kiosk.get(started["Location"])
    guest_order = GuestOrder.objects.get()
    assert done.status_code == 302 and done["Location"].startswith(
        f"{kiosk.base}done/{guest_order.public_id}/"
    )
    assert again["Location"] == started["Location"]
    assert reloaded["Location"] == done["Location"]
    assert len(sim.requests) == 1 and sim.requests[0]["CB"] == "430"
    assert guest_order.status == GuestOrder.Status.PAID and guest_order.client_key == key
    sale = Order.objects.get()
    assert sale == guest_order.order and sale.status == Order.Status.PAID
    assert sale.ticket.total == D("4.30") and Ticket.objects.count() == 1
    assert JournalEntry.objects.filter(kind="receipt").count() == 1
    payment = Payment.objects.get()
    assert (payment.method, payment.amount, payment.terminal_reference) == (
        "card",
        D("4.30"),
        "654321",
    )
    tx = CardTransaction.objects.get()
    assert (tx.status, tx.used_for, tx.masked_pan) == (
        "approved",
        sale.client_key,
        "************0042",
    )
    stored = " ".join(str(v) for v in CardTransaction.objects.values().get().values())
    assert "4970101234560042" not in stored
    # the croissant goes to the kitchen like any kiosk ticket
    assert KitchenTicket.objects.filter(guest_order=guest_order).exists()
    page = kiosk.get(done["Location"]).content.decode()
    assert guest_order.number in page and "Paid by card: €4.30" in page and "654321" in page
    french = kiosk.get(done["Location"].replace("lang=en", "lang=fr")).content.decode()
    assert "Payé par carte : 4,30" in french and "L’envoyer par e-mail à" in french
    # the basket is empty for the next guest
    assert "0 items" in kiosk.get(f"{kiosk.base}?lang=en").content.decode()


def test_a_declined_card_returns_to_the_basket_and_another_card_pays_once(kiosk_point):
    with running_simulator(Script("refuse"), Script("approve", authorisation="777777")) as sim:
        _pair(kiosk_point, sim.host, sim.port)
        kiosk = Kiosk(kiosk_point, lang="fr")
        kiosk.add("croissant", "cafe")
        _, back = _pay(kiosk)
        assert back.status_code == 302 and "/card/" not in back["Location"]
        home = kiosk.get(back["Location"]).content.decode()
        assert "Votre carte a été refusée" in home and "rien n’a été payé" in home
        assert "Croissant" in home and "4,30" in home  # the basket is kept
        assert not Order.objects.exists() and not Payment.objects.exists()
        assert GuestOrder.objects.get().status == GuestOrder.Status.REFUSED
        # the message is said once
        assert "refusée" not in kiosk.get(f"{kiosk.base}?lang=fr").content.decode()
        _, done = _pay(kiosk)
    assert "/done/" in done["Location"]
    assert len(sim.requests) == 2
    assert list(Payment.objects.values_list("terminal_reference", flat=True)) == ["777777"]
    assert Order.objects.count() == 1
    assert sorted(GuestOrder.objects.values_list("status", flat=True)) == ["paid", "refused"]


@pytest.mark.parametrize(
    "script, message",
    [
        (Script("timeout"), "No card was presented in time: nothing was paid."),
        (Script("abandon"), "The payment was cancelled at the card terminal"),
        (Script("bad"), "The card terminal did not take the payment"),
    ],
)
def test_a_card_not_taken_sells_nothing_and_says_why(kiosk_point, script, message):
    with running_simulator(script) as sim:
        _pair(kiosk_point, sim.host, sim.port)
        kiosk = Kiosk(kiosk_point)
        kiosk.add("croissant")
        _, back = _pay(kiosk)
    assert message in kiosk.get(back["Location"]).content.decode()
    assert not Order.objects.exists() and not Payment.objects.exists()
    assert not KitchenTicket.objects.exists()


def test_an_unreachable_terminal_sends_the_guest_to_the_counter_with_nothing_paid(kiosk_point):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    _pair(kiosk_point, "127.0.0.1", port)
    kiosk = Kiosk(kiosk_point)
    kiosk.add("croissant")
    _, back = _pay(kiosk)
    page = kiosk.get(back["Location"]).content.decode()
    assert "The card terminal is not answering: nothing was paid." in page
    assert not Order.objects.exists()


def test_a_terminal_that_never_answers_leaves_the_ticket_to_the_counter_never_charged_twice(
    kiosk_point, terminal, cashier
):
    # the terminal hangs up after taking the request: it may have charged the card
    with running_simulator(Script("close"), Script("approve")) as sim:
        _pair(kiosk_point, sim.host, sim.port)
        kiosk = Kiosk(kiosk_point)
        kiosk.add("croissant")
        _, counter = _pay(kiosk)
        assert "/done/" in counter["Location"]
        page = kiosk.get(counter["Location"]).content.decode()
        guest_order = GuestOrder.objects.get()
        assert guest_order.status == GuestOrder.Status.RECEIVED
        assert "The card terminal did not confirm the payment" in page
        assert "Pay €1.80 at the counter" in page and guest_order.number in page
        # the kiosk's basket is gone: nothing is charged again from it
        assert "0 items" in kiosk.get(f"{kiosk.base}?lang=en").content.decode()
    assert len(sim.requests) == 1 and not Order.objects.exists()
    assert CardTransaction.objects.get().status == "unknown"
    # the staff checked the terminal's journal: the counter takes it with the reference
    paid = guest_order_pay_at_counter(
        guest_order=guest_order,
        property=kiosk_point.property,
        terminal=terminal,
        actor=cashier,
        tenders=[TenderInput(method="card", amount=D("1.80"), terminal_reference="JRN-42")],
    )
    assert paid.status == GuestOrder.Status.PAID
    assert Payment.objects.get().terminal_reference == "JRN-42"


def test_the_present_your_card_page_waits_and_never_resets(
    kiosk_point, django_assert_max_num_queries
):
    # nobody answers: the request stays with the (absent) worker
    _pair(kiosk_point, "127.0.0.1", 9)
    kiosk = Kiosk(kiosk_point)
    kiosk.add("croissant")
    current_app.conf.task_always_eager = False  # queued to the broker: no worker takes it
    try:
        started = kiosk.pay_card()
    finally:
        current_app.conf.task_always_eager = True
    with django_assert_max_num_queries(8):
        waiting = kiosk.get(started["Location"])
    page = waiting.content.decode()
    assert waiting.status_code == 200
    assert "Present your card on the card terminal" in page and "€1.80" in page
    assert 'http-equiv="refresh"' in page and 'data-idle-seconds="0"' in page
    # the FR/EN switch stays on the waiting page (the card is in the terminal)
    assert f'href="{started["Location"].split("?")[0]}?lang=fr"' in page
    french = kiosk.get(started["Location"].replace("=en", "=fr")).content.decode()
    assert "Présentez votre carte" in french
    assert GuestOrder.objects.get().status == GuestOrder.Status.AWAITING_PAYMENT


@pytest.fixture
def printer(hotel, terminal):
    """The outlet's receipt printer, on the counter's terminal (the kiosk has none)."""
    printer = Printer.objects.create(
        property=hotel, code="bar", name="Bar", connection="file", file_path="/dev/null"
    )
    terminal.printer = printer
    terminal.save()
    return printer


def _paid(kiosk_point) -> tuple[Kiosk, GuestOrder]:
    with running_simulator(Script("approve", authorisation="111222")) as sim:
        _pair(kiosk_point, sim.host, sim.port)
        kiosk = Kiosk(kiosk_point)
        kiosk.add("croissant", "cafe")
        _pay(kiosk)
    return kiosk, GuestOrder.objects.get(status=GuestOrder.Status.PAID)


def test_the_receipt_is_printed_once_on_the_outlets_printer(kiosk_point, printer):
    kiosk, guest_order = _paid(kiosk_point)
    done = kiosk.get(f"{kiosk.base}done/{guest_order.public_id}/?lang=en").content.decode()
    assert 'data-testid="receipt-print"' in done and 'data-testid="receipt-email"' in done
    printed = kiosk.receipt(guest_order, how="print")
    assert "Your receipt is printing." in printed.content.decode()
    job = PrintJob.objects.get()
    assert (job.printer, job.kind) == (printer, PrintJob.Kind.RECEIPT)
    assert job.document["ticket_number"] == str(guest_order.order.ticket)
    assert job.document["payments"][0]["amount"] == "4.30"
    # a second tap: no duplicate on the kiosk
    again = kiosk.receipt(guest_order, how="print")
    assert "already printed" in again.content.decode()
    assert PrintJob.objects.count() == 1


def test_the_receipt_is_e_mailed_once_to_the_address_typed(kiosk_point):
    kiosk, guest_order = _paid(kiosk_point)
    done = kiosk.get(f"{kiosk.base}done/{guest_order.public_id}/?lang=en").content.decode()
    assert 'data-testid="receipt-print"' not in done  # no printer in this outlet
    bad = kiosk.receipt(guest_order, how="email", email="not-an-address")
    assert bad.status_code == 400 and not mail.outbox
    sent = kiosk.receipt(guest_order, how="email", email="lea@example.com")
    assert "Your receipt is on its way" in sent.content.decode()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["lea@example.com"]
    ticket = guest_order.order.ticket
    assert str(ticket) in mail.outbox[0].subject and "4.30" in mail.outbox[0].body.replace(",", ".")
    twice = kiosk.receipt(guest_order, how="email", email="other@example.com")
    assert "already sent" in twice.content.decode() and len(mail.outbox) == 1


def test_an_unpaid_order_offers_no_receipt(kiosk_point):
    kiosk = Kiosk(kiosk_point)
    kiosk.add("croissant")
    ordered = kiosk.client.post(f"{kiosk.base}order/?lang=en")
    guest_order = GuestOrder.objects.get()
    page = kiosk.get(ordered["Location"]).content.decode()
    assert 'data-testid="receipt-choices"' not in page and "at the counter" in page
    refused = kiosk.receipt(guest_order, how="email", email="lea@example.com")
    assert refused.status_code == 400 and "no receipt yet" in refused.content.decode()
    assert not mail.outbox
