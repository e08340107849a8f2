"""The desk's online payments (issue 19, BE-3): per booking the deposit paid, refunded or
declined with its intents; the property's list with the payments that came too late (after
the hold expired) and what to do; a refused refund asked again. Desk and managers only."""

from decimal import Decimal

import pytest

from core.formatting import money
from core.models import OutboxMessage, Role
from pms.models import OnlinePayment, OnlineRefund
from pms.services.booking import booking_hold
from pms.tasks import online_refund_task
from tests.factories.core import make_staff

pytestmark = pytest.mark.django_db
URL = "/frontdesk/online-payments/"


def option(hotel, rooms, day, *, last_name="Dupont", offset=5):
    return booking_hold(
        property=hotel,
        room_type_id=rooms["classique"].pk,
        arrival=day(offset),
        departure=day(offset + 2),
        adults=2,
        children=0,
        first_name="Léa",
        last_name=last_name,
        email="lea@example.fr",
        language="fr",
    )


_seq = iter(range(1, 10_000))


def intent(reservation, *, status="succeeded", amount="72.00", late=False, decline=""):
    n = next(_seq)
    return OnlinePayment.objects.create(
        property=reservation.property,
        reservation=reservation,
        provider="card_online",
        intent_id=f"pi_desk{n:05d}",
        idempotency_key=f"key-desk-{n}",
        amount=Decimal(amount),
        currency="EUR",
        status=status,
        late=late,
        decline_code=decline,
    )


def refund(payment, *, status, amount=None, error=""):
    n = next(_seq)
    return OnlineRefund.objects.create(
        payment=payment,
        amount=Decimal(amount or payment.amount),
        idempotency_key=f"refund-desk-{n}",
        status=status,
        error_message=error,
    )


@pytest.fixture
def desk(client, clerk):
    client.force_login(clerk)
    client.cookies["django_language"] = "fr"
    return client


def test_the_list_flags_a_late_payment_and_says_what_to_do(desk, hotel, rooms, day):
    on_time = option(hotel, rooms, day)
    intent(on_time)
    late_one = option(hotel, rooms, day, last_name="Tardif", offset=9)
    late = intent(late_one, amount="1234.50", late=True)
    refund(late, status="succeeded")
    declined = option(hotel, rooms, day, last_name="Refus", offset=12)
    intent(declined, status="failed", decline="insufficient_funds")

    page = desk.get(URL).content.decode()
    assert page.count('data-testid="online-payment"') == 3
    assert money("1234.50", language="fr") in page  # 1 234,50 €
    assert page.count('data-testid="late"') == 1
    assert "la somme est revenue au client" in page  # what to do, in French
    assert "insufficient_funds" in page and "Refusé" in page

    only_late = desk.get(URL, {"late": "1"}).content.decode()
    assert only_late.count('data-testid="online-payment"') == 1
    assert late_one.reference in only_late and on_time.reference not in only_late


def test_a_refused_refund_is_asked_again_once(desk, hotel, rooms, day, fake_provider):
    res = option(hotel, rooms, day)
    late = intent(res, late=True)
    fake_provider.intents[late.intent_id] = {
        "id": late.intent_id,
        "amount": 7200,
        "currency": "eur",
        "status": "succeeded",
        "latest_charge": None,
    }
    refund(late, status="failed", error="The bank refused.")
    page = desk.get(URL).content.decode()
    assert 'data-testid="refund-failed"' in page and "The bank refused." in page

    response = desk.post(f"{URL}{late.pk}/refund-again/", follow=True)
    assert "est redemandé" in response.content.decode()
    # a double tap asks nothing more: a refund is on its way
    again = desk.post(f"{URL}{late.pk}/refund-again/", follow=True).content.decode()
    assert "déjà en cours" in again
    asked = OnlineRefund.objects.filter(payment=late).exclude(status="failed")
    assert [r.amount for r in asked] == [Decimal("72.00")]
    for message in OutboxMessage.objects.filter(task=online_refund_task.name, status="pending"):
        online_refund_task(**message.kwargs, outbox_id=message.pk)
    assert asked.get().status == "succeeded"
    assert f"Remboursé {money('72.00', language='fr')}" in desk.get(URL).content.decode()
    assert 'data-testid="refund-again"' not in desk.get(URL).content.decode()


def test_nothing_to_ask_again_is_a_clear_error_and_changes_nothing(desk, hotel, rooms, day):
    res = option(hotel, rooms, day)
    paid = intent(res)
    response = desk.post(f"{URL}{paid.pk}/refund-again/", follow=True).content.decode()
    assert "Aucun remboursement de ce paiement n’a été refusé" in response
    assert not OnlineRefund.objects.exists()


def test_another_propertys_payments_are_neither_listed_nor_refunded(
    desk, hotel, other_hotel, rooms, day
):
    from inventory import demo
    from pms.demo import room_types_seed

    demo.seed({"property": other_hotel})
    theirs_rooms = room_types_seed(other_hotel)
    theirs = booking_hold(
        property=other_hotel,
        room_type_id=theirs_rooms["classique"].pk,
        arrival=day(5),
        departure=day(7),
        adults=2,
        children=0,
        first_name="Autre",
        last_name="Hôtel",
        email="x@example.fr",
        language="fr",
    )
    payment = intent(theirs, late=True)
    refund(payment, status="failed")
    assert theirs.reference not in desk.get(URL).content.decode()
    response = desk.post(f"{URL}{payment.pk}/refund-again/", follow=True).content.decode()
    assert "Ce paiement n’existe pas." in response
    assert OnlineRefund.objects.filter(payment=payment).count() == 1


@pytest.mark.parametrize("role", [Role.HOUSEKEEPING, Role.WAITER, Role.ACCOUNTANT])
def test_only_the_desk_and_managers_open_it(client, hotel, role):
    client.force_login(make_staff(hotel, role, username=f"u-{role}"))
    assert client.get(URL).status_code == 403


def test_the_reservation_page_shows_the_deposit_and_its_intents(desk, hotel, rooms, day):
    res = option(hotel, rooms, day)
    intent(res, status="failed", decline="card_declined")
    paid = intent(res, amount="90.00")
    refund(paid, status="succeeded", amount="30.00")
    page = desk.get(f"/frontdesk/reservations/{res.reference}/").content.decode()
    state = page[page.index('data-testid="deposit-state"') :]
    state = state[: state.index("</p>")]
    assert f"Payé en ligne : {money('90.00', language='fr')}" in state
    assert f"remboursé : {money('30.00', language='fr')}" in state
    assert "1 carte refusée" in state
    assert page.count('data-testid="online-payment"') == 2


def test_the_list_costs_the_same_queries_for_1_or_20_payments(
    desk, hotel, rooms, day, django_assert_max_num_queries
):
    first = option(hotel, rooms, day)
    refund(intent(first, late=True), status="succeeded")
    with django_assert_max_num_queries(12) as one:
        desk.get(URL)
    for n in range(19):
        res = option(hotel, rooms, day, last_name=f"N{n}", offset=20 + n * 3)
        refund(intent(res, late=True), status="failed")
    with django_assert_max_num_queries(len(one.captured_queries)):
        desk.get(URL)
