from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import FolioLine, Payment, Ticket
from core.models import Role
from inventory.models import CapacityBucket
from pos.models import Order
from tests.factories.core import make_staff
from tests.pos.helpers import snapshot

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def cart_key(client, hotel):
    return client.session[f"pos_cart:{hotel.pk}"]["client_key"]


def test_counter_page_shows_categories_quick_keys_and_slots(till, product):
    # when
    page = till.get("/pos/counter/")
    # then
    assert page.status_code == 200
    html = page.content.decode()
    assert "Quick keys" in html
    assert "Shop" in html  # a category tile
    spa = till.get(f"/pos/counter/?category={product('massage-60').category_id}", **HX)
    assert spa.status_code == 200
    assert "10:00" in spa.content.decode() and "2 left" in spa.content.decode()
    assert "Room nights" not in html and "Classique night" not in html


def test_barcode_sale_paid_in_cash_shows_the_change(till, hotel, product):
    # given
    coffee = product("cafe")
    # when
    scanned = till.post("/pos/counter/scan/", {"barcode": coffee.ean13 + "\n"}, **HX)
    till.post("/pos/counter/scan/", {"barcode": coffee.ean13}, **HX)
    key = cart_key(till, hotel)
    paid = till.post(
        "/pos/counter/pay/", {"client_key": key, "action": "cash", "tendered": "10"}, **HX
    )
    # then
    assert scanned.status_code == 200 and "Espresso" in scanned.content.decode()
    order = Order.objects.get(client_key=key)
    assert order.status == Order.Status.PAID
    assert paid["HX-Redirect"] == f"/pos/counter/receipt/{order.pk}/"
    payment = Payment.objects.get(ticket=order.ticket)
    assert payment.amount == order.ticket.total == Decimal("5.00")
    assert payment.change == Decimal("5.00")
    receipt = till.get(paid["HX-Redirect"]).content.decode()
    assert "Change due:" in receipt and "5.00" in receipt
    assert f"pos_cart:{hotel.pk}" not in till.session
    # in French, with French typography's space before the colon
    till.cookies["django_language"] = "fr"
    assert "Monnaie à rendre : <strong" in till.get(paid["HX-Redirect"]).content.decode()


def test_a_double_tap_sells_once(till, hotel, product):
    # given
    till.post("/pos/counter/add/", {"product_id": product("cafe").pk}, **HX)
    key = cart_key(till, hotel)
    # when
    first = till.post("/pos/counter/pay/", {"client_key": key, "action": "cash"}, **HX)
    second = till.post("/pos/counter/pay/", {"client_key": key, "action": "cash"}, **HX)
    # then
    assert first["HX-Redirect"] == second["HX-Redirect"]
    assert Order.objects.count() == 1 and Ticket.objects.count() == 1


def test_unknown_barcode_is_shown_on_screen(till, hotel):
    # given
    before = snapshot()
    # when
    response = till.post("/pos/counter/scan/", {"barcode": "3760000009999"}, **HX)
    # then
    assert response.status_code == 200
    assert "Unknown barcode 3760000009999." in response.content.decode()
    assert till.session[f"pos_cart:{hotel.pk}"]["lines"] == []
    assert snapshot() == before


def test_card_needs_a_terminal_reference_and_split_tender_works(till, hotel, product):
    # given
    till.post("/pos/counter/add/", {"product_id": product("cafe").pk, "quantity": "4"}, **HX)
    key = cart_key(till, hotel)
    before = snapshot()
    # when
    refused = till.post("/pos/counter/pay/", {"client_key": key, "action": "card"}, **HX)
    # then
    assert "Enter the card terminal reference." in refused.content.decode()
    assert snapshot() == before
    # when
    split = till.post(
        "/pos/counter/pay/",
        {
            "client_key": key,
            "action": "split",
            "cash_amount": "4",
            "tendered": "5",
            "card_reference": "AUTH-778",
        },
        **HX,
    )
    # then
    order = Order.objects.get(client_key=key)
    assert split["HX-Redirect"].endswith(f"/{order.pk}/")
    payments = {p.method: p for p in Payment.objects.filter(ticket=order.ticket)}
    assert payments["cash"].amount == Decimal("4.00") and payments["cash"].change == Decimal("1.00")
    assert payments["card"].amount == Decimal("6.00")
    assert payments["card"].terminal_reference == "AUTH-778"


def test_charge_to_a_room_without_guest_is_refused_on_screen(till, hotel, product):
    # given
    till.post("/pos/counter/add/", {"product_id": product("cafe").pk}, **HX)
    key = cart_key(till, hotel)
    before = snapshot()
    # when
    response = till.post(
        "/pos/counter/pay/", {"client_key": key, "action": "room", "room_number": "999"}, **HX
    )
    # then
    assert response.status_code == 200
    assert "Room 999 has no guest in house." in response.content.decode()
    assert snapshot() == before
    assert FolioLine.objects.count() == 0


def test_a_full_slot_is_sold_out_on_screen(till, hotel, product):
    # given: the 10:00 spa slot has 2 cabins
    massage = product("massage-60")
    for _ in range(2):
        till.post("/pos/counter/add/", {"product_id": massage.pk, "slot_time": "10:00"}, **HX)
    # when
    third = till.post("/pos/counter/add/", {"product_id": massage.pk, "slot_time": "10:00"}, **HX)
    no_slot = till.post("/pos/counter/add/", {"product_id": massage.pk}, **HX)
    # then
    assert "sold out" in third.content.decode()
    assert "Choose a time slot." in no_slot.content.decode()
    assert till.session[f"pos_cart:{hotel.pk}"]["lines"][0]["quantity"] == "2"
    key = cart_key(till, hotel)
    till.post("/pos/counter/pay/", {"client_key": key, "action": "card", "card_reference": "A1"})
    assert CapacityBucket.objects.get(pool=massage.capacity_pool).sold == 2


def test_unbound_device_cannot_sell(client, cashier, catalog, hotel, product):
    # given
    client.force_login(cashier)
    client.post("/pos/counter/add/", {"product_id": product("cafe").pk}, **HX)
    key = cart_key(client, hotel)
    before = snapshot()
    # when
    response = client.post("/pos/counter/pay/", {"client_key": key, "action": "cash"}, **HX)
    # then
    assert "This device is not bound to a terminal." in response.content.decode()
    assert snapshot() == before


def test_products_of_another_property_are_not_sold(till, other_hotel, hotel):
    # given
    from inventory import demo

    demo.seed({"property": other_hotel})
    from inventory.models import Product

    foreign = Product.objects.get(property=other_hotel, code="cafe")
    # when
    response = till.post("/pos/counter/add/", {"product_id": foreign.pk}, **HX)
    bad = till.post("/pos/counter/add/", {"product_id": "abc"}, **HX)
    # then
    assert "No such product." in response.content.decode()
    assert "No such product." in bad.content.decode()
    assert till.session[f"pos_cart:{hotel.pk}"]["lines"] == []


def test_staff_without_pos_sell_is_forbidden(client, hotel, catalog):
    client.force_login(make_staff(hotel, Role.HOUSEKEEPING, username="hk"))
    assert client.get("/pos/counter/").status_code == 403
    assert client.post("/pos/counter/pay/", {}).status_code == 403


def test_receipt_of_another_property_is_not_found(till, other_hotel):
    assert till.get("/pos/counter/receipt/999999/").status_code == 404


def paid_sale(till, hotel, product):
    till.post("/pos/counter/add/", {"product_id": product("cafe").pk}, **HX)
    key = cart_key(till, hotel)
    till.post("/pos/counter/pay/", {"client_key": key, "action": "cash"}, **HX)
    return Order.objects.get(client_key=key)


def test_refund_needs_a_managers_pin(till, hotel, product, manager):
    # given
    order = paid_sale(till, hotel, product)
    url = f"/pos/counter/receipt/{order.pk}/"
    page = till.get(url).content.decode()
    assert 'name="pin"' in page
    before = snapshot()
    # when: a wrong PIN
    wrong = till.post(
        url + "refund/", {"reason": "Erreur", "approver": manager.pk, "pin": "000000"}, follow=True
    )
    # then
    assert wrong.status_code == 200 and 'class="msg-error"' in wrong.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    after = snapshot()
    assert {k: v for k, v in after.items() if k != "audit"} == {
        k: v for k, v in before.items() if k != "audit"
    }  # only the failed-PIN audit entry
    # when: the manager's PIN
    done = till.post(
        url + "refund/", {"reason": "Erreur", "approver": manager.pk, "pin": "666666"}, follow=True
    )
    # then
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED and order.refunded_by == manager
    assert "The sale is refunded." in done.content.decode()
    assert Payment.objects.filter(ticket=order.ticket, amount__lt=0).count() == 1
    again = till.post(
        url + "refund/", {"reason": "Erreur", "approver": manager.pk, "pin": "666666"}, follow=True
    )
    assert "already been refunded" in again.content.decode()


def test_refund_approver_must_be_a_manager(till, hotel, product, cashier):
    # given
    order = paid_sale(till, hotel, product)
    waiter = make_staff(hotel, Role.WAITER, username="w2", pin="1234")
    # when
    response = till.post(
        f"/pos/counter/receipt/{order.pk}/refund/",
        {"reason": "x", "approver": waiter.pk, "pin": "1234"},
        follow=True,
    )
    # then
    assert "Choose the manager who approves." in response.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_a_refunded_sale_reads_refunded_everywhere_and_gives_no_change(
    till, client, hotel, product, manager, terminal, staff_of
):
    from devices.documents import ReceiptDocument
    from devices.models import Printer, PrintJob
    from pos.services.receipts import receipt_print_request

    terminal.printer = Printer.objects.create(
        property=hotel, code="bar", name="Bar", connection="file", file_path="/dev/null"
    )
    terminal.save()
    till.post("/pos/counter/add/", {"product_id": product("cafe").pk}, **HX)
    key = cart_key(till, hotel)
    till.post("/pos/counter/pay/", {"client_key": key, "action": "cash", "tendered": "10"}, **HX)
    order = Order.objects.get(client_key=key)
    url = f"/pos/counter/receipt/{order.pk}/"
    receipt_print_request(terminal=terminal, ticket=order.ticket, actor=manager)  # original
    till.post(url + "refund/", {"reason": "Erreur", "approver": manager.pk, "pin": "666666"})
    # the receipt screen: refunded, the refund listed, no change to give
    page = till.get(url).content.decode()
    assert 'data-testid="refunded"' in page and "Change due" not in page
    assert "Refund · Cash" in page
    # the reprinted receipt: a duplicate that shows the refund and gives no change
    copy = receipt_print_request(terminal=terminal, ticket=order.ticket, actor=manager)
    document = ReceiptDocument.from_json(copy.document)
    assert document.is_duplicate and document.change == 0
    assert [p.amount for p in document.payments] == [Decimal("2.50"), Decimal("-2.50")]
    assert any("REFUNDED" in line for line in document.footer)
    original = PrintJob.objects.get(pk=copy.reprint_of_id)
    assert ReceiptDocument.from_json(original.document).change == Decimal("7.50")
    # a copy asked from the printers' screen (devices) is the sale as it stands too
    from devices.services import receipt_reprint

    again = ReceiptDocument.from_json(receipt_reprint(print_job=original, actor=manager).document)
    assert again.reprint_count == 2 and again.change == 0
    assert any("REFUNDED" in line for line in again.footer)
    # the accountant's list of receipts: "Refunded", not "Paid"
    client.force_login(staff_of(hotel, Role.ACCOUNTANT, username="compta"))
    day = order.ticket.business_date.isoformat()
    listing = client.get(
        reverse("billing:accounting"), {"start": day, "end": day, "documents": "tickets"}
    ).content.decode()
    state = listing[listing.index('data-testid="ticket-state"') :]
    assert state[: state.index("</td>")].endswith("Refunded")
