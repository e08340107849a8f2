"""Two phones ordering the last brownie at once (real PostgreSQL, two connections): one
gets it, the other is told it is sold out; and what a QR order costs in SQL statements
next to the same sale made at the counter."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import FolioLine
from inventory.exceptions import SoldOut
from inventory.models import CapacityBucket, Product
from inventory.services.pricing import QuoteLineInput
from pos.guest_menu import guest_menu
from pos.models import GuestOrder
from pos.services.checkout import SaleRequest, sale_checkout
from pos.services.guest_orders import GuestLine, guest_actor, guest_order_place
from tests.concurrency import race


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.mark.django_db(transaction=True)
def test_two_phones_and_the_last_brownie(hotel, room_point, stay_12):
    brownie = Product.objects.get(property=hotel, code="brownie")
    menu = guest_menu(point=room_point)["by_id"]

    def phone(key):
        return lambda: guest_order_place(
            point=room_point,
            lines=[GuestLine(product_id=brownie.pk)],
            client_key=key,
            menu_products=menu,
            confirm="Dupont",
        )

    results = race([phone("phone-a"), phone("phone-b")])
    orders = [r for r in results if isinstance(r, GuestOrder)]
    refused = [r for r in results if isinstance(r, SoldOut)]
    assert len(orders) == 1 and len(refused) == 1, results
    assert CapacityBucket.objects.get(pool=brownie.capacity_pool).sold == 1
    assert FolioLine.objects.filter(folio=stay_12.reservation.folio).count() == 1
    assert GuestOrder.objects.count() == 1
    # the second phone's menu now greys it
    assert brownie.pk in guest_menu(point=room_point)["sold_out"]


@pytest.mark.django_db
def test_a_qr_order_costs_two_statements_more_than_the_counters_sale_and_the_send(
    hotel, room_point, stay_12, terminal, cashier
):
    club = Product.objects.get(property=hotel, code="club-sandwich")
    menu = guest_menu(point=room_point)["by_id"]
    guest_actor()  # cached, as after the first order of the day
    warm = GuestLine(product_id=club.pk)
    guest_order_place(
        point=room_point, lines=[warm], client_key="warm", menu_products=menu, confirm="Dupont"
    )
    with CaptureQueriesContext(connection) as counter:
        sale_checkout(
            SaleRequest(
                property=hotel,
                terminal=room_point.terminal,
                actor=cashier,
                lines=[QuoteLineInput(product_id=club.pk)],
                room_number="12",
                products=menu,
            )
        )
    with CaptureQueriesContext(connection) as qr:
        guest_order_place(
            point=room_point, lines=[warm], client_key="qr", menu_products=menu, confirm="Dupont"
        )
    # two more than the counter's (the open-orders count, the order row), and the tray sent
    # to the stations, which a counter sale is not: its ticket and its dish (two inserts)
    assert len(qr) <= len(counter) + 2 + 2, (len(qr), len(counter))
