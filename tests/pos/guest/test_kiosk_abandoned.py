"""A kiosk's order nobody pays (issue 25): the guest walked away from the card terminal, or
never went to the counter with the ticket number. Past its time (KIOSK_CARD_TIMEOUT_MINUTES
for the card, the outlet's minutes or the end of the service for the counter) the beat
cancels it: the kitchen's open orders count it no more, nothing fiscal is written (no
ticket was issued), and a card attempt never sent is withdrawn so that it never will be.
A payment that came first wins: the order is kept and sold; the terminal holding the card
right now is left to answer; a ticket sent to the counter because the terminal did not
confirm (the card may have been charged) is never cancelled."""

import threading
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.utils import timezone

from billing.models import JournalEntry, Payment, Ticket
from billing.services.payments import TenderInput
from core.exceptions import Conflict
from core.models import AuditEntry
from devices.caisse_ap import CardResult
from devices.cards import card_answer_record, card_exchange
from devices.models import CardReader, CardTransaction
from inventory.models import Product
from pos.models import GuestOrder, Terminal
from pos.selectors import waiting_guest_orders
from pos.services.guest_orders import guest_order_pay_at_counter, point_token
from pos.services.kiosk_payments import kiosk_counter_deadline, kiosk_orders_expire
from pos.tasks import kiosk_orders_expire_task

D = Decimal
CARD_TIMEOUT = timedelta(minutes=settings.KIOSK_CARD_TIMEOUT_MINUTES)


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


class Kiosk:
    def __init__(self, point):
        self.client = Client()
        self.base = f"/kiosk/{point_token(point)}/"

    def add(self, code="croissant"):
        product = Product.objects.get(code=code)
        self.client.post(f"{self.base}add/?lang=en", {"product_id": product.pk})

    def order_at_counter(self):
        self.add()
        return self.client.post(f"{self.base}order/?lang=en")

    def pay_card(self):
        self.add()
        response = self.client.post(f"{self.base}pay-card/?lang=en")
        assert response.status_code == 302 and "/card/" in response["Location"], response
        return response["Location"]


def _pair(point) -> CardReader:
    reader = CardReader.objects.create(
        property=point.property, name="TPE borne", host="127.0.0.1", port=9, answer_timeout=60
    )
    Terminal.objects.filter(pk=point.terminal_id).update(card_reader=reader)
    return reader


def _age(order: GuestOrder, by: timedelta) -> GuestOrder:
    GuestOrder.objects.filter(pk=order.pk).update(created_at=timezone.now() - by)
    order.refresh_from_db()
    return order


def _nothing_fiscal():
    assert not Ticket.objects.exists()
    assert not Payment.objects.exists()
    assert not JournalEntry.objects.filter(chain=JournalEntry.Chain.FISCAL).exists()


@pytest.mark.django_db
def test_a_counter_ticket_never_paid_is_cancelled_and_frees_the_kitchens_place(
    kiosk_point, terminal, cashier
):
    outlet = kiosk_point.outlet
    outlet.guest_orders_max_open = 1
    outlet.kiosk_counter_minutes = 30
    outlet.save()
    assert Kiosk(kiosk_point).order_at_counter().status_code == 302
    order = GuestOrder.objects.get()
    assert order.status == GuestOrder.Status.RECEIVED
    # the kitchen is full: the next guest is asked to wait
    refused = Kiosk(kiosk_point).order_at_counter()
    assert refused.status_code == 409
    assert "The kitchen has many orders right now" in refused.content.decode()

    counter_list = {o.pk for o in waiting_guest_orders(property=order.property)}
    assert order.pk in counter_list  # the counter waits for the guest with the number
    soon = order.created_at + timedelta(minutes=29)
    assert kiosk_orders_expire(now=soon) == 0  # still waiting for the counter
    order = _age(order, timedelta(minutes=31))
    assert kiosk_orders_expire_task() == 1
    order.refresh_from_db()
    assert order.status == GuestOrder.Status.CANCELLED
    # for the staff, in the property's language
    assert order.refusal_reason == (
        "Non payée à temps : la commande est annulée et rien n’a été débité."
    )
    _nothing_fiscal()
    assert AuditEntry.objects.filter(action="pos.kiosk_order.cancelled").count() == 1
    assert order.pk not in {o.pk for o in waiting_guest_orders(property=order.property)}
    assert kiosk_orders_expire() == 0  # once
    # its place at the kitchen is free again
    assert Kiosk(kiosk_point).order_at_counter().status_code == 302
    assert GuestOrder.objects.filter(status=GuestOrder.Status.RECEIVED).count() == 1
    # the guest comes back late: the counter is told, nothing is sold
    with pytest.raises(Conflict, match="cancelled: it was not paid in time"):
        guest_order_pay_at_counter(
            guest_order=order,
            property=order.property,
            terminal=terminal,
            actor=cashier,
            tenders=[TenderInput(method="cash", amount=order.total)],
        )
    _nothing_fiscal()


@pytest.mark.django_db
def test_a_counter_ticket_waits_until_the_end_of_the_service_by_default(hotel, kiosk_point):
    Kiosk(kiosk_point).order_at_counter()
    order = GuestOrder.objects.get()
    outlet = order.outlet
    assert outlet.kiosk_counter_minutes == 0
    today = timezone.localtime(order.created_at, hotel.tz).date()
    noon = datetime.combine(today, time(12), tzinfo=hotel.tz)
    GuestOrder.objects.filter(pk=order.pk).update(created_at=noon)
    order.refresh_from_db()
    # open all day: until midnight
    midnight = datetime.combine(today + timedelta(days=1), time.min, tzinfo=hotel.tz)
    assert kiosk_counter_deadline(order) == midnight
    # the kitchen closes at 22:00: until then
    outlet.kitchen_closes_at = time(22)
    outlet.save()
    order.refresh_from_db()
    closing = datetime.combine(today, time(22), tzinfo=hotel.tz)
    assert kiosk_counter_deadline(order) == closing
    assert kiosk_orders_expire(now=closing - timedelta(minutes=1)) == 0
    assert kiosk_orders_expire(now=closing + timedelta(minutes=1)) == 1
    # a late service (18:00 to 02:00): an order at 20:00 waits until 02:00 the next day
    outlet.opens_at, outlet.kitchen_closes_at = time(18), time(2)
    outlet.save()
    GuestOrder.objects.filter(pk=order.pk).update(
        created_at=noon.replace(hour=20), status=GuestOrder.Status.RECEIVED
    )
    order.refresh_from_db()
    late = datetime.combine(today + timedelta(days=1), time(2), tzinfo=hotel.tz)
    assert kiosk_counter_deadline(order) == late


@pytest.mark.django_db
def test_the_manager_sets_how_long_a_counter_ticket_waits(client, manager, kiosk_point):
    outlet = kiosk_point.outlet
    client.force_login(manager)
    form = {"max_open": "15", "collect_form": "on", "kiosk_counter_minutes": "45"}
    client.post(f"/manage/guest-ordering/outlets/{outlet.pk}/rules/", form)
    outlet.refresh_from_db()
    assert outlet.kiosk_counter_minutes == 45
    bad = client.post(
        f"/manage/guest-ordering/outlets/{outlet.pk}/rules/",
        {**form, "kiosk_counter_minutes": "-3"},
        follow=True,
    )
    assert "Enter how long a kiosk ticket waits for its payment at the counter" in (
        bad.content.decode()
    )
    outlet.refresh_from_db()
    assert outlet.kiosk_counter_minutes == 45


@pytest.mark.django_db
def test_a_card_payment_never_sent_is_withdrawn_and_the_order_cancelled(kiosk_point):
    """The exchange's worker never took the attempt (this test runs no on-commit work: the
    attempt stays queued, as with a worker down)."""
    _pair(kiosk_point)
    kiosk = Kiosk(kiosk_point)
    kiosk.pay_card()
    order = GuestOrder.objects.get()
    tx = CardTransaction.objects.get()
    assert (order.status, tx.status) == ("awaiting_pay", "pending")
    _age(order, CARD_TIMEOUT - timedelta(minutes=1))
    assert kiosk_orders_expire() == 0  # the guest may still be at the terminal
    _age(order, CARD_TIMEOUT + timedelta(minutes=1))
    assert kiosk_orders_expire() == 1
    order.refresh_from_db()
    tx.refresh_from_db()
    assert order.status == GuestOrder.Status.CANCELLED
    assert tx.status == CardTransaction.Status.ABANDONED
    # the worker comes back: nothing goes to the terminal
    assert card_exchange(transaction_id=tx.pk) is None
    tx.refresh_from_db()
    assert tx.sent_at is None
    _nothing_fiscal()
    assert kiosk_orders_expire() == 0


@pytest.mark.django_db
def test_the_kiosks_card_screen_gives_up_by_itself_and_starts_afresh(kiosk_point):
    _pair(kiosk_point)
    kiosk = Kiosk(kiosk_point)
    waiting = kiosk.pay_card()
    page = kiosk.client.get(waiting).content.decode()
    assert 'data-idle-seconds="0"' in page  # never reset while the card may be in
    order = _age(GuestOrder.objects.get(), CARD_TIMEOUT + timedelta(minutes=1))
    back = kiosk.client.get(waiting)
    assert back.status_code == 302 and back["Location"].startswith(kiosk.base)
    home = kiosk.client.get(back["Location"]).content.decode()
    assert "Not paid in time: the order is cancelled and nothing was charged." in home
    assert f'data-idle-seconds="{settings.KIOSK_IDLE_SECONDS}"' in home
    assert "0 items" in home  # the next guest starts with nothing
    order.refresh_from_db()
    assert order.status == GuestOrder.Status.CANCELLED
    _nothing_fiscal()


@pytest.mark.django_db
def test_a_card_approved_before_the_beat_is_kept_and_sold(kiosk_point):
    _pair(kiosk_point)
    Kiosk(kiosk_point).pay_card()
    order = _age(GuestOrder.objects.get(), CARD_TIMEOUT + timedelta(minutes=5))
    tx = CardTransaction.objects.get()
    CardTransaction.objects.filter(pk=tx.pk).update(
        status=CardTransaction.Status.SENT, sent_at=timezone.now()
    )
    card_answer_record(
        transaction_id=tx.pk,
        result=CardResult(status="approved", authorisation="A12345", masked_pan="************4242"),
    )
    assert kiosk_orders_expire() == 0
    order.refresh_from_db()
    assert order.status == GuestOrder.Status.PAID and order.order_id is not None
    assert Ticket.objects.get().total == order.total
    assert Payment.objects.get().terminal_reference == "A12345"


@pytest.mark.django_db
def test_a_card_in_the_terminal_right_now_is_left_to_its_answer(kiosk_point):
    _pair(kiosk_point)
    Kiosk(kiosk_point).pay_card()
    order = _age(GuestOrder.objects.get(), CARD_TIMEOUT + timedelta(minutes=1))
    CardTransaction.objects.update(status=CardTransaction.Status.SENT, sent_at=timezone.now())
    assert kiosk_orders_expire() == 0
    order.refresh_from_db()
    assert order.status == GuestOrder.Status.AWAITING_PAYMENT
    assert CardTransaction.objects.get().status == CardTransaction.Status.SENT


@pytest.mark.django_db
def test_a_ticket_sent_to_the_counter_by_an_unconfirmed_card_is_never_cancelled(kiosk_point):
    _pair(kiosk_point)
    Kiosk(kiosk_point).pay_card()
    order = GuestOrder.objects.get()
    # the terminal never answered: the card may have been charged
    CardTransaction.objects.update(status=CardTransaction.Status.UNKNOWN)
    GuestOrder.objects.filter(pk=order.pk).update(
        status=GuestOrder.Status.RECEIVED, created_at=timezone.now() - timedelta(days=2)
    )
    assert kiosk_orders_expire() == 0
    order.refresh_from_db()
    assert order.status == GuestOrder.Status.RECEIVED


@pytest.mark.django_db(transaction=True)
def test_the_counter_taking_the_payment_at_that_moment_wins(kiosk_point, terminal, cashier):
    kiosk_point.outlet.kiosk_counter_minutes = 5
    kiosk_point.outlet.save()
    Kiosk(kiosk_point).order_at_counter()
    order = _age(GuestOrder.objects.get(), timedelta(minutes=6))
    paying, release = threading.Event(), threading.Event()
    outcome = {}

    def counter():
        from django.db import transaction

        try:
            with transaction.atomic():
                guest_order_pay_at_counter(
                    guest_order=order,
                    property=order.property,
                    terminal=terminal,
                    actor=cashier,
                    tenders=[TenderInput(method="cash", amount=order.total)],
                )
                paying.set()
                release.wait(30)  # the order row stays locked until the beat waits on it
        finally:
            connection.close()

    def beat():
        try:
            outcome["cancelled"] = kiosk_orders_expire()
        finally:
            connection.close()

    cashier_thread = threading.Thread(target=counter)
    cashier_thread.start()
    assert paying.wait(30)
    beat_thread = threading.Thread(target=beat)
    beat_thread.start()
    with connection.cursor() as cursor:
        for _ in range(300):  # until the beat waits on the order's lock
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                break
            threading.Event().wait(0.05)
    release.set()
    cashier_thread.join(30)
    beat_thread.join(30)
    assert outcome == {"cancelled": 0}
    order.refresh_from_db()
    assert order.status == GuestOrder.Status.PAID and order.order_id is not None
    assert Ticket.objects.count() == 1


def test_the_beat_runs_both_every_minute():
    from pos.tasks import collect_kitchen_send_due_task

    kiosk = settings.CELERY_BEAT_SCHEDULE["pos-kiosk-orders-expire"]
    kitchen = settings.CELERY_BEAT_SCHEDULE["pos-collect-to-kitchen"]
    assert kiosk["task"] == kiosk_orders_expire_task.name
    assert kitchen["task"] == collect_kitchen_send_due_task.name
    assert kiosk["schedule"].minute == kitchen["schedule"].minute == set(range(60))


@pytest.mark.django_db
def test_a_cancelled_tickets_page_says_so_in_the_kiosks_language(kiosk_point):
    kiosk = Kiosk(kiosk_point)
    done = kiosk.order_at_counter()["Location"]
    order = _age(GuestOrder.objects.get(), timedelta(days=1))
    assert kiosk_orders_expire() == 1
    page = kiosk.client.get(done.replace("lang=en", "lang=fr")).content.decode()
    assert "Non payée à temps : la commande est annulée et rien n’a été débité." in page
    assert "au comptoir avec ce numéro" not in page  # no longer to pay
    order.refresh_from_db()
    assert order.status == GuestOrder.Status.CANCELLED
