"""Two tills selling the last basket at the same moment: one sale, one SoldOut, no oversell."""

import threading

import pytest
from django.db import connection

from billing.models import Ticket
from inventory.exceptions import SoldOut
from inventory.models import CapacityBucket
from pos.services.checkout import order_checkout
from tests.factories.pos import make_terminal
from tests.pos.helpers import cash, line


@pytest.mark.django_db(transaction=True)
def test_last_basket_cannot_be_sold_twice(hotel, catalog, product, cashier):
    baskets = product("panier-gourmand")
    tills = [make_terminal(hotel, name=f"Caisse {i}") for i in range(2)]
    first = [line(baskets, "11")]
    order_checkout(
        property=hotel, terminal=tills[0], actor=cashier, lines=first, tenders=cash(hotel, first)
    )
    last = [line(baskets)]
    tenders = cash(hotel, last)
    barrier = threading.Barrier(2)
    results = []

    def sell(till):
        try:
            barrier.wait(timeout=10)
            order = order_checkout(
                property=hotel, terminal=till, actor=cashier, lines=last, tenders=tenders
            )
            results.append(order.ticket.number)
        except SoldOut:
            results.append("sold out")
        finally:
            connection.close()

    threads = [threading.Thread(target=sell, args=(till,)) for till in tills]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results, key=str) == [2, "sold out"]
    assert CapacityBucket.objects.get(pool=baskets.capacity_pool).sold == 12
    assert sorted(Ticket.objects.values_list("number", flat=True)) == [1, 2]


@pytest.mark.django_db(transaction=True)
def test_two_tills_asking_for_the_same_receipt_at_once_print_an_original_and_a_duplicate(
    hotel, catalog, product, cashier
):
    from devices.models import Printer, PrintJob
    from pos.services.receipts import receipt_print_request
    from tests.concurrency import race

    tills = []
    for i in range(2):
        till = make_terminal(hotel, name=f"Caisse {i}")
        till.printer = Printer.objects.create(
            property=hotel, code=f"p{i}", name=f"P{i}", connection="file", file_path="/dev/null"
        )
        till.save()
        tills.append(till)
    sale = [line(product("spritz"))]
    order = order_checkout(
        property=hotel, terminal=tills[0], actor=cashier, lines=sale, tenders=cash(hotel, sale)
    )
    results = race(
        [
            lambda till=till: receipt_print_request(
                terminal=till, ticket=order.ticket, actor=cashier
            )
            for till in tills
        ]
    )
    assert all(isinstance(r, PrintJob) for r in results), results  # neither till gets an error
    jobs = list(PrintJob.objects.filter(kind="receipt").order_by("pk"))
    assert [j.is_duplicate for j in jobs] == [False, True]
    assert {j.printer_id for j in jobs} == {t.printer_id for t in tills}
    assert jobs[1].reprint_of_id == jobs[0].pk
