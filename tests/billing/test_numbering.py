"""Gap-free ticket numbers under concurrency (BIL-1)."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction

from billing.models import NumberSequence, Ticket
from billing.services.sequences import sequence_next
from billing.services.tickets import ticket_issue
from inventory.models import Channel
from inventory.services.pricing import QuoteLineInput, quote


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_tickets_get_consecutive_numbers(hotel, catalog, product, waiter):
    # given a quote, and no ticket yet (the sequence row does not even exist)
    quoted = quote(
        property=hotel,
        channel=Channel.POS,
        lines=[QuoteLineInput(product_id=product("cafe").pk, quantity=Decimal("1"))],
    ).lines
    barrier = threading.Barrier(20)
    numbers, errors = [], []

    def issue():
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                ticket = ticket_issue(
                    property=hotel,
                    lines=quoted,
                    cashier=waiter,
                    outlet_name="Bar",
                    terminal_name="Caisse 1",
                    status=Ticket.Status.PAID,
                ).ticket
            numbers.append(ticket.number)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then
    assert errors == []
    assert sorted(numbers) == list(range(1, 21))
    assert NumberSequence.objects.get(property=hotel, series="ticket").next_value == 21
    assert sorted(Ticket.objects.values_list("number", flat=True)) == list(range(1, 21))


@pytest.mark.django_db
def test_a_rolled_back_number_is_given_again(hotel):
    with transaction.atomic():
        assert sequence_next(property=hotel, series="invoice") == 1
        assert sequence_next(property=hotel, series="invoice") == 2
    try:
        with transaction.atomic():
            assert sequence_next(property=hotel, series="invoice") == 3
            raise RuntimeError("sale failed")
    except RuntimeError:
        pass
    with transaction.atomic():
        assert sequence_next(property=hotel, series="invoice") == 3


@pytest.mark.django_db
def test_series_are_per_property(hotel, other_hotel):
    with transaction.atomic():
        assert sequence_next(property=hotel, series="ticket") == 1
        assert sequence_next(property=other_hotel, series="ticket") == 1
