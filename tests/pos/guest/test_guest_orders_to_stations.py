"""A guest's order sold at once reaches the stations like a table's send: a room's tray
charged to the folio or paid by card, a kiosk's ticket paid at the counter. The cook sees
"Chambre 12" (or the kiosk's number) on the kitchen display, the station printer prints it,
the guest's page follows the bump; the tray's delivery fee cooks nothing; a replay sends once."""

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from billing.models import Payment
from billing.services.payments import TenderInput
from devices.models import Printer, PrintJob
from inventory.models import Category, Product
from pos.guest_menu import guest_menu
from pos.models import GuestOrder, KitchenTicket, StationPrinter, TabLine
from pos.services.guest_orders import (
    GuestLine,
    guest_order_pay_at_counter,
    guest_order_place,
    guest_order_progress,
)
from pos.services.tables import kitchen_ticket_bump
from tests.factories.catalogue import make_product

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


def _place(point, lines, key="k1"):
    return guest_order_place(
        point=point,
        lines=lines,
        client_key=key,
        menu_products=guest_menu(point=point)["by_id"],
        confirm="Dupont",
    )


def _club(hotel):
    return Product.objects.get(property=hotel, code="club-sandwich")


def test_a_rooms_tray_is_on_the_kitchen_display_and_follows_the_bump(
    client, hotel, room_point, stay_12, cashier
):
    fee = make_product(hotel, "livraison", "Livraison en chambre", "4.00")
    room_point.outlet.room_service_fee = fee
    room_point.outlet.save()
    order = _place(room_point, [GuestLine(product_id=_club(hotel).pk, quantity=2)])
    assert order.status == GuestOrder.Status.CHARGED
    ticket = KitchenTicket.objects.get()
    assert (ticket.station, ticket.tab, ticket.guest_order) == ("kitchen", None, order)
    # the dishes only: the delivery fee is on the folio, not on the cook's ticket
    assert [(line.product.code, line.quantity) for line in ticket.lines.all()] == [
        ("club-sandwich", Decimal("2"))
    ]
    assert guest_order_progress(order) == "in_preparation"

    client.force_login(cashier)
    client.cookies["django_language"] = "fr"
    page = client.get("/pos/kitchen/kitchen/").content.decode()
    assert "Chambre 12" in page and "Club sandwich" in page
    assert f'data-testid="ticket-{ticket.pk}"' in page

    kitchen_ticket_bump(ticket=ticket, actor=order.decided_by or ticket.sent_by)
    assert guest_order_progress(order) == "ready"
    # the same page's key again: the first order, nothing sent twice
    assert _place(room_point, [GuestLine(product_id=_club(hotel).pk, quantity=2)]).pk == order.pk
    assert KitchenTicket.objects.count() == 1 and TabLine.objects.count() == 1


def test_the_station_printer_prints_the_rooms_tray(hotel, room_point, stay_12, tmp_path):
    printer = Printer.objects.create(
        property=hotel, code="cuisine", name="Cuisine", connection="file", file_path=str(tmp_path)
    )
    StationPrinter.objects.create(property=hotel, station="kitchen", printer=printer)
    _place(room_point, [GuestLine(product_id=_club(hotel).pk)])
    job = PrintJob.objects.get()
    assert (job.kind, job.printer) == ("kitchen", printer)
    assert job.document["place"] == "Chambre 12"  # the property's language, not the phone's
    assert [item["name"] for item in job.document["items"]] == ["Club sandwich"]


def test_a_kiosk_ticket_paid_at_the_counter_goes_to_the_kitchen_and_the_bar(
    hotel, kiosk_point, terminal, cashier
):
    croissant = Product.objects.get(property=hotel, code="croissant")
    coca = Product.objects.get(property=hotel, code="coca")
    order = guest_order_place(
        point=kiosk_point,
        lines=[GuestLine(product_id=croissant.pk), GuestLine(product_id=coca.pk)],
        client_key="kiosk-1",
        menu_products=guest_menu(point=kiosk_point)["by_id"],
    )
    assert not KitchenTicket.objects.exists()  # not paid yet: nothing is cooked
    paid = guest_order_pay_at_counter(
        guest_order=order,
        property=hotel,
        terminal=terminal,
        actor=cashier,
        tenders=[TenderInput(method=Payment.Method.CASH, amount=order.total)],
    )
    assert paid.status == GuestOrder.Status.PAID
    stations = {t.station: t for t in KitchenTicket.objects.filter(guest_order=order)}
    assert set(stations) == {"kitchen", "bar"}
    assert [line.product_id for line in stations["bar"].lines.all()] == [coca.pk]
    assert stations["kitchen"].sent_by == cashier
    with translation.override("fr"):
        assert order.place() == f"Borne · {order.number}"


def test_sending_a_tray_costs_the_same_statements_for_one_dish_or_three(hotel, room_point, stay_12):
    desserts = Category.objects.get(property=hotel, name_fr="Desserts")
    tart = make_product(hotel, "tarte", "Tarte fine aux pommes", "8.00", category=desserts)
    _place(room_point, [GuestLine(product_id=_club(hotel).pk)], key="warm")
    with CaptureQueriesContext(connection) as one:
        _place(room_point, [GuestLine(product_id=_club(hotel).pk)], key="one")
    with CaptureQueriesContext(connection) as three:
        _place(
            room_point,
            [
                GuestLine(product_id=_club(hotel).pk, quantity=2),
                GuestLine(product_id=tart.pk),
            ],
            key="three",
        )
    assert len(three) == len(one), (len(one), len(three))
    assert TabLine.objects.filter(guest_order__client_key="three").count() == 2
