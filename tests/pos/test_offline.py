"""Offline tills (POS-9, story S5) at the service and endpoint level: a device's queue
reaches the journal exactly once, a tampered ticket is refused with a JET event naming the
device while the rest syncs, conflicts never drop a sale, two tablets on a table keep every
line, and every endpoint is scoped to the terminal's property and role."""

import json
import uuid
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from billing.models import Folio, JournalEntry, Payment, Ticket
from billing.services.journal import JET_OFFLINE_PERIOD, JET_OFFLINE_REFUSED, journal_verify
from billing.services.payments import TenderInput
from billing.services.verification import property_verify
from core.models import Role
from core.terminals import COOKIE
from inventory.models import CapacityBucket, CapacityPool, Channel, Product
from inventory.services.pricing import QuoteLineInput, quote
from pms.models import Reservation
from pos.models import (
    OfflineConflict,
    OfflineOperation,
    OfflineTicket,
    Order,
    Table,
    TableTab,
    TabLine,
)
from pos.services.cash import cash_session_open, cash_session_totals
from pos.services.checkout import order_checkout
from pos.services.offline import device_pair, offline_sync, pin_seal, ticket_sign
from pos.services.tables import tab_add_line, tab_send, table_open
from reporting.models import Alert
from reporting.services import alerts_evaluate
from tests.factories.core import PropertyFactory, make_staff
from tests.factories.pos import make_terminal
from tests.factories.screens import terminal_cookie
from tests.factories.stays import make_stay


class Device:
    """A paired device's browser, in Python: numbers, chains and signs like store.js."""

    def __init__(self, device, cashier):
        self.device = device
        self.cashier = cashier
        self.sequence = 0
        self.last_hash = ""

    def sale(self, lines, *, tenders=(), room="", table="", tab_lines=()):
        total = sum(Decimal(price) * quantity for _, quantity, price in lines)
        self.sequence += 1
        ticket = ticket_sign(
            device_id=str(self.device.public_id),
            key=self.device.key,
            previous_hash=self.last_hash,
            ticket={
                "type": "sale",
                "sequence": self.sequence,
                "client_key": str(uuid.uuid4()),
                "sold_at": timezone.now().isoformat(),
                "table": table,
                "covers": 0,
                "room": room,
                "lines": [
                    {"product_id": p.pk, "quantity": q, "unit_price": price}
                    for p, q, price in lines
                ],
                "tenders": [
                    {"method": m, "amount": f"{total:.2f}" if a is None else a, "reference": r}
                    for m, a, r in tenders
                ],
                "total": f"{total:.2f}",
                "cashier": self.cashier.pk,
                "tab_lines": list(tab_lines),
            },
        )
        self.last_hash = ticket["hash"]
        return ticket


@pytest.fixture
def device(hotel, terminal, cashier, catalog):
    return Device(device_pair(terminal=terminal, actor=cashier), cashier)


def void_of(device, line, *, approver, pin, reason="renversée"):
    """A void of a sent line queued offline with the manager's PIN sealed (as store.js)."""
    key = str(uuid.uuid4())
    return {
        "type": "tab.void", "client_key": key, "table_id": line.tab.table_id,
        "line_id": line.pk, "reason": reason, "cashier": device.cashier.pk,
        "approver": approver.pk,
        "pin_sealed": pin_seal(
            key=device.device.key, client_key=key, approver_id=approver.pk, pin=pin
        ),
    }  # fmt: skip


def cash(device, product, price=None, quantity=1):
    return device.sale(
        [(product, quantity, price or str(product.price))], tenders=[("cash", None, "")]
    )


def test_offline_sales_reach_the_journal_once_with_their_device_numbers(
    hotel, device, cashier, terminal, product
):
    # given: a drawer open, and five sales made offline (cash, card, a split bill)
    session = cash_session_open(terminal=terminal, opening_float=Decimal("100.00"), actor=cashier)
    cafe, biere = product("cafe"), product("biere")
    queue = [
        cash(device, cafe),
        cash(device, biere, quantity=2),
        device.sale([(cafe, 1, "2.50")], tenders=[("card", None, "A1B2C3")]),
        device.sale([(biere, 1, "5.00")], tenders=[("cash", None, "")], table="5"),
        device.sale([(cafe, 2, "2.50")], tenders=[("card", None, "ZZ9")], table="5"),
    ]
    # when
    result = offline_sync(device=device.device, actor=cashier, queue=queue)
    # then
    assert [r.status for r in result.results] == ["applied"] * 5
    offline = OfflineTicket.objects.filter(device=device.device).order_by("sequence")
    assert [t.sequence for t in offline] == [1, 2, 3, 4, 5]
    assert Ticket.objects.filter(property=hotel).count() == 5
    receipts = JournalEntry.objects.filter(property=hotel, kind="receipt").order_by("sequence")
    assert [e.payload["offline"]["sequence"] for e in receipts] == [1, 2, 3, 4, 5]
    assert {e.payload["offline"]["device"] for e in receipts} == {str(device.device.public_id)}
    period = JournalEntry.objects.get(property=hotel, chain="jet", code=JET_OFFLINE_PERIOD)
    assert period.payload["count"] == 5 and period.payload["start"] <= period.payload["end"]
    assert journal_verify(property=hotel, chain="fiscal").ok
    assert not property_verify(property=hotel).problems
    # the drawer expects the cash sold offline: 2.50 + 10.00 + 5.00 over the float
    totals = cash_session_totals(session=session)
    assert Decimal(totals["expected_cash"]) == Decimal("117.50")

    # when: the answer was lost and the same queue comes again
    again = offline_sync(device=device.device, actor=cashier, queue=queue)
    # then: the first results, nothing new
    assert [r.status for r in again.results] == ["replayed"] * 5
    assert [r.ticket_number for r in again.results] == [r.ticket_number for r in result.results]
    assert Ticket.objects.filter(property=hotel).count() == 5
    assert Payment.objects.filter(property=hotel).count() == 5


def test_a_tampered_ticket_is_refused_with_a_jet_event_and_the_rest_syncs(
    hotel, device, cashier, product
):
    # given: three sales; the second's amount edited after it was signed
    cafe = product("cafe")
    queue = [cash(device, cafe), cash(device, cafe), cash(device, cafe)]
    queue[1]["lines"][0]["unit_price"] = "0.50"
    queue[1]["tenders"][0]["amount"] = "0.50"
    queue[1]["total"] = "0.50"
    # when
    result = offline_sync(device=device.device, actor=cashier, queue=queue)
    # then
    assert [r.status for r in result.results] == ["applied", "refused", "applied"]
    assert "changed" in result.results[1].reason
    assert Ticket.objects.filter(property=hotel).count() == 2
    event = JournalEntry.objects.get(property=hotel, chain="jet", code=JET_OFFLINE_REFUSED)
    assert event.payload["device"] == str(device.device.public_id)
    assert event.payload["sequence"] == 2
    assert device.device.terminal.name in event.terminal
    assert journal_verify(property=hotel, chain="fiscal").ok


def test_a_ticket_signed_with_another_key_is_refused(hotel, device, cashier, product):
    ticket = cash(device, product("cafe"))
    ticket["signature"] = "0" * 64
    result = offline_sync(device=device.device, actor=cashier, queue=[ticket])
    assert result.results[0].status == "refused"
    assert not Ticket.objects.filter(property=hotel).exists()


def test_a_missing_number_holds_the_later_sales_until_it_arrives(hotel, device, cashier, product):
    first, second = cash(device, product("cafe")), cash(device, product("cafe"))
    result = offline_sync(device=device.device, actor=cashier, queue=[second])
    assert result.results[0].status == "waiting"
    assert not Ticket.objects.exists()
    result = offline_sync(device=device.device, actor=cashier, queue=[first, second])
    assert [r.status for r in result.results] == ["applied", "applied"]


def test_the_last_basket_sold_online_and_offline_gives_two_sales_and_one_alert(
    hotel, device, cashier, terminal, product
):
    # given: one basket left; the online till sells it while the tablet sells it offline
    basket = product("panier-gourmand")
    CapacityPool.objects.filter(pk=basket.capacity_pool_id).update(
        default_capacity=1, hold_back_onsite=0, online_close_at_sold=None
    )
    offline = cash(device, basket)
    online = QuoteLineInput(product_id=basket.pk)
    order_checkout(
        property=hotel,
        terminal=terminal,
        actor=cashier,
        lines=[online],
        tenders=[
            TenderInput(
                method="cash",
                amount=quote(property=hotel, channel=Channel.POS, lines=[online]).total,
            )
        ],
        client_key="online-basket",
    )
    # when
    result = offline_sync(device=device.device, actor=cashier, queue=[offline])
    # then: both sales, the offline unit a conflict outside the count
    assert result.results[0].status == "applied"
    assert result.results[0].conflicts == ["oversold"]
    assert Order.objects.filter(property=hotel, status="paid").count() == 2
    bucket = CapacityBucket.objects.get(pool_id=basket.capacity_pool_id)
    assert bucket.sold <= bucket.capacity
    conflict = OfflineConflict.objects.get(property=hotel)
    assert conflict.kind == "oversold" and conflict.data["quantity"] == 1
    # the manager's alert is raised by the sync itself, not at the next beat
    alert = Alert.objects.get(property=hotel, kind=Alert.Kind.OFFLINE_CONFLICT)
    assert alert.resolved_at is None and alert.data["conflict"] == "oversold"
    # the beat finds the same alert and adds none
    assert not [a for a in alerts_evaluate(property=hotel) if a.kind == "offline"]


def test_an_offline_sale_prints_and_mails_its_device_and_device_number(
    hotel, device, cashier, product, mailoutbox
):
    from devices.rendering import render_text
    from pos.services.receipts import receipt_document_now, receipt_email_send

    queue = [cash(device, product("cafe")), cash(device, product("biere"))]
    offline_sync(device=device.device, actor=cashier, queue=queue)
    second = OfflineTicket.objects.get(device=device.device, sequence=2).order
    printed = render_text(receipt_document_now(ticket=second.ticket, language="en"), columns=48)
    label = device.device.label()
    assert label.split(" · ")[-1] in printed and "device ticket no. 2" in " ".join(printed.split())
    assert receipt_email_send(order_id=second.pk, email="zoe@example.com", language="fr")
    body = " ".join(mailoutbox[0].body.split())
    assert "ticket de l’appareil n° 2" in body or "n° 2" in body


def test_a_price_changed_meanwhile_leaves_the_offline_price(hotel, device, cashier, product):
    cafe = product("cafe")
    ticket = cash(device, cafe, price="2.50")
    Product.objects.filter(pk=cafe.pk).update(price=Decimal("3.00"))
    offline_sync(device=device.device, actor=cashier, queue=[ticket])
    sold = Ticket.objects.get(property=hotel)
    assert sold.total == Decimal("2.50")


def test_a_room_charge_to_a_guest_who_left_goes_to_the_closed_stay_with_an_alert(
    hotel, device, cashier, product
):
    # given: room 12 was in house when the network dropped; the guest checked out since
    stay = make_stay(hotel, room_number="12", status=Reservation.Status.CHECKED_OUT)
    Folio.objects.filter(pk=stay.reservation.folio_id).update(status=Folio.Status.SETTLED)
    ticket = device.sale([(product("biere"), 1, "5.00")], room="12")
    # when
    result = offline_sync(device=device.device, actor=cashier, queue=[ticket])
    # then
    assert result.results[0].status == "applied"
    assert result.results[0].conflicts == ["checked_out"]
    folio = Folio.objects.get(pk=stay.reservation.folio_id)
    assert folio.status == Folio.Status.OPEN and folio.left_open_at is not None
    assert folio.lines.filter(total=Decimal("5.00")).exists()
    assert Alert.objects.filter(property=hotel, kind="offline", resolved_at=None).exists()


def test_a_room_charge_in_house_is_posted_to_the_folio(hotel, device, cashier, product):
    stay = make_stay(hotel, room_number="14")
    ticket = device.sale([(product("biere"), 2, "5.00")], room="14")
    result = offline_sync(device=device.device, actor=cashier, queue=[ticket])
    assert result.results[0].status == "applied" and not result.results[0].conflicts
    assert stay.reservation.folio.lines.filter(total=Decimal("10.00")).exists()


def test_two_tablets_on_one_table_end_with_every_line(
    hotel, device, cashier, terminal, product, manager
):
    # given: table 5 open online with a beer sent to the bar
    table = Table.objects.create(property=hotel, outlet=terminal.outlet, label="5", seats=4)
    tab = table_open(table=table, covers=2, actor=cashier)
    sent = tab_add_line(tab=tab, product=product("biere"), actor=cashier)
    tab_send(tab=tab, actor=cashier)
    # while the other tablet, offline, adds two coffees and voids the beer
    offline = [
        {"type": "tab.add", "client_key": str(uuid.uuid4()), "table_id": table.pk,
         "product_id": product("cafe").pk, "quantity": 1, "cashier": cashier.pk},
        {"type": "tab.add", "client_key": str(uuid.uuid4()), "table_id": table.pk,
         "product_id": product("cafe").pk, "quantity": 1, "cashier": cashier.pk},
        void_of(device, sent, approver=manager, pin="666666"),
    ]  # fmt: skip
    # and the first tablet adds a salad online meanwhile
    tab_add_line(tab=tab, product=product("salade-nicoise"), actor=cashier)
    # when
    offline_sync(device=device.device, actor=cashier, queue=offline)
    offline_sync(device=device.device, actor=cashier, queue=offline)  # a lost answer
    # then: every line, the beer kept as a void
    lines = list(TabLine.objects.filter(tab=tab).order_by("pk"))
    assert [line.product.code for line in lines] == ["biere", "salade-nicoise", "cafe", "cafe"]
    assert lines[0].voided_at is not None and "renversée" in lines[0].void_reason
    assert TableTab.objects.filter(table=table, status="open").count() == 1


def test_a_table_paid_offline_closes_its_tab(hotel, device, cashier, terminal, product):
    table = Table.objects.create(property=hotel, outlet=terminal.outlet, label="6", seats=4)
    tab = table_open(table=table, covers=1, actor=cashier)
    line = tab_add_line(tab=tab, product=product("biere"), actor=cashier)
    ticket = device.sale(
        [(product("biere"), 1, "5.00")], tenders=[("cash", None, "")], table="6",
        tab_lines=[line.pk],
    )  # fmt: skip
    offline_sync(device=device.device, actor=cashier, queue=[ticket])
    tab.refresh_from_db()
    assert tab.status == "closed"


# --- endpoints -------------------------------------------------------------------------


def tablet_client(user, terminal) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.cookies[COOKIE] = terminal_cookie(terminal)
    client.cookies["django_language"] = "en"
    return client


def csrf_of(client) -> str:
    return client.get("/pos/offline/data.json").json()["csrf"]


def test_the_data_endpoint_gives_catalogue_floor_rooms_and_identity(
    hotel, terminal, cashier, catalog
):
    make_stay(hotel, room_number="21", last_name="Lefèvre")
    client = tablet_client(cashier, terminal)
    data = client.get("/pos/offline/data.json").json()
    assert data["identity"]["cashier"] == cashier.pk
    assert {"number": "21", "name": "Lefèvre"} in data["rooms"]
    codes = {p["name_en"] for p in data["catalogue"]["products"]}
    assert "Espresso" in codes and "Provençal gourmet basket" in codes
    assert "Pool day pass" not in codes  # dated capacity: not sold offline


def test_pair_and_sync_over_http_with_csrf(hotel, terminal, cashier, catalog, product):
    client = tablet_client(cashier, terminal)
    token = csrf_of(client)
    assert client.post("/pos/offline/pair/").status_code == 403  # no CSRF token
    paired = client.post("/pos/offline/pair/", HTTP_X_CSRFTOKEN=token).json()
    from pos.models import OfflineDevice

    device = Device(OfflineDevice.objects.get(public_id=paired["device"]), cashier)
    body = json.dumps({"device": paired["device"], "queue": [cash(device, product("cafe"))]})
    response = client.post(
        "/pos/offline/sync/", body, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 200
    assert response.json()["results"][0]["status"] == "applied"


def test_a_device_of_another_property_is_not_found(hotel, device, product, catalog):
    other = PropertyFactory(name="Autre", slug="autre")
    stranger = make_staff(other, Role.CASHIER, username="stranger")
    client = tablet_client(stranger, make_terminal(other))
    token = csrf_of(client)
    body = json.dumps({"device": str(device.device.public_id), "queue": []})
    response = client.post(
        "/pos/offline/sync/", body, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 404


def test_housekeeping_cannot_sync_and_a_waiter_cannot_see_the_manager_screen(
    hotel, terminal, catalog, waiter
):
    maid = make_staff(hotel, Role.HOUSEKEEPING, username="maid")
    assert tablet_client(maid, terminal).get("/pos/offline/data.json").status_code == 403
    assert tablet_client(waiter, terminal).get("/pos/offline/devices/").status_code == 403
    assert (
        'href="/pos/offline/devices/"'
        not in tablet_client(waiter, terminal).get("/pos/tables/").content.decode()
    )


def test_the_manager_finds_the_offline_devices_in_the_menu(hotel, manager):
    client = Client()
    client.force_login(manager)
    client.cookies["django_language"] = "en"
    page = client.get("/manage/catalogue/").content.decode()
    assert 'href="/pos/offline/devices/"' in page and "Offline devices" in page


def test_the_manager_sees_each_device_with_its_syncs_and_conflicts(
    hotel, device, cashier, manager, product
):
    basket = product("panier-gourmand")
    CapacityPool.objects.filter(pk=basket.capacity_pool_id).update(
        default_capacity=0, hold_back_onsite=0, online_close_at_sold=None
    )
    first = cash(device, basket)
    bad = cash(device, product("cafe"))
    bad["total"] = "9.99"
    result = offline_sync(device=device.device, actor=cashier, queue=[first, bad])
    assert [(r.status, r.conflicts) for r in result.results] == [
        ("applied", ["oversold"]),
        ("refused", []),
    ]
    client = Client()
    client.force_login(manager)
    client.cookies["django_language"] = "en"
    page = client.get("/pos/offline/devices/").content.decode()
    assert device.device.terminal.name in page
    assert "Sold meanwhile online" in page
    assert "changed after it was made" in page
    conflict = OfflineConflict.objects.get()
    client.post(f"/pos/offline/conflicts/{conflict.pk}/resolve/")
    conflict.refresh_from_db()
    assert conflict.resolved_at is not None


def test_the_offline_screen_and_worker_are_served(hotel, terminal, cashier, catalog):
    client = tablet_client(cashier, terminal)
    page = client.get("/pos/offline/")
    assert page.status_code == 200
    assert b"What this screen cannot do offline" in page.content
    worker = client.get("/pos/offline/sw.js")
    assert worker["Service-Worker-Allowed"] == "/pos/"
    assert b"/pos/offline/" in worker.content


def test_a_sale_the_server_cannot_apply_is_refused_and_the_next_still_syncs(
    hotel, device, cashier, product
):
    # given: a product deleted from the catalogue since, and a garbled tab event
    gone = Product(pk=999_999, price=Decimal("1.00"))
    queue = [
        device.sale([(gone, 1, "1.00")], tenders=[("cash", None, "")]),
        {"type": "tab.add", "client_key": str(uuid.uuid4()), "table_id": "x", "cashier": "y"},
        cash(device, product("cafe")),
    ]
    # when
    result = offline_sync(device=device.device, actor=cashier, queue=queue)
    # then
    assert [r.status for r in result.results] == ["refused", "refused", "applied"]
    assert Ticket.objects.filter(property=hotel).count() == 1


def test_titres_restaurant_taken_offline_sync_once_as_their_own_tender(
    hotel, device, cashier, product
):
    # given: a salad (18.00) paid 10.00 in paper titres-restaurant and 8.00 cash, and one
    # paid whole with a meal voucher card
    salade = product("salade-nicoise")
    queue = [
        device.sale(
            [(salade, 1, "18.00")], tenders=[("meal_voucher", "10.00", ""), ("cash", "8.00", "")]
        ),
        device.sale([(salade, 1, "18.00")], tenders=[("meal_voucher_card", None, "TR-42")]),
    ]
    # when: synced, and the same queue sent again (an answer lost)
    first = offline_sync(device=device.device, actor=cashier, queue=queue)
    again = offline_sync(device=device.device, actor=cashier, queue=queue)
    # then: two sales, each title its own tender, nothing twice, no conflict
    assert [r.status for r in first.results] == ["applied", "applied"]
    assert [r.status for r in again.results] == ["replayed", "replayed"]
    assert not any(r.conflicts for r in first.results)
    paid = sorted(Payment.objects.filter(property=hotel).values_list("method", "amount"))
    assert paid == [
        ("cash", Decimal("8.00")),
        ("meal_voucher", Decimal("10.00")),
        ("meal_voucher_card", Decimal("18.00")),
    ]
    assert journal_verify(property=hotel, chain="fiscal").ok


def test_titres_restaurant_over_rules_changed_meanwhile_stand_with_a_conflict(
    hotel, device, cashier, product
):
    # given: 18.00 of titres-restaurant taken offline under the 25.00 cap the device kept;
    # the manager lowered the cap to 15.00 since
    ticket = device.sale(
        [(product("salade-nicoise"), 1, "18.00")], tenders=[("meal_voucher", None, "")]
    )
    hotel.meal_voucher_daily_cap = Decimal("15.00")
    hotel.save(update_fields=["meal_voucher_daily_cap"])
    # when
    result = offline_sync(device=device.device, actor=cashier, queue=[ticket])
    # then: the titles were taken, the sale stands, the manager is told
    assert result.results[0].status == "applied"
    assert result.results[0].conflicts == ["title_rule"]
    assert Payment.objects.get(property=hotel).method == "meal_voucher"
    assert Alert.objects.filter(property=hotel, kind="offline", resolved_at=None).exists()


def test_the_kept_data_carries_the_titres_restaurant_rules(hotel, terminal, cashier, catalog):
    hotel.meal_voucher_daily_cap = Decimal("19.00")
    hotel.save(update_fields=["meal_voucher_daily_cap"])
    data = tablet_client(cashier, terminal).get("/pos/offline/data.json").json()
    assert data["titles"]["meal_voucher_cap"] == "19.00"
    assert data["titles"]["meal_voucher_categories"] == ["food"]
    assert "meal_voucher" in data["titles"]["no_change"]
    kinds = {p["name_en"]: p["revenue_category"] for p in data["catalogue"]["products"]}
    assert kinds["Niçoise salad"] == "food" and kinds["Espresso"] != "food"


def sent_line(hotel, terminal, cashier, product, label="7"):
    table = Table.objects.create(property=hotel, outlet=terminal.outlet, label=label, seats=4)
    tab = table_open(table=table, covers=2, actor=cashier)
    line = tab_add_line(tab=tab, product=product("biere"), actor=cashier)
    tab_send(tab=tab, actor=cashier)
    return line


def test_an_offline_void_with_the_managers_pin_is_applied_once_at_sync(
    hotel, device, cashier, terminal, product, manager
):
    # given: a beer sent to the bar, voided offline with the manager's PIN
    line = sent_line(hotel, terminal, cashier, product)
    queue = [void_of(device, line, approver=manager, pin="666666")]
    # when: synced, then the same queue again (a lost answer)
    first = offline_sync(device=device.device, actor=cashier, queue=queue)
    again = offline_sync(device=device.device, actor=cashier, queue=queue)
    # then: voided once, approved by the manager, the sealed PIN not kept
    assert [r.status for r in first.results] == ["applied"]
    assert [r.status for r in again.results] == ["replayed"]
    line.refresh_from_db()
    assert line.voided_at is not None and line.void_approved_by == manager
    assert line.voided_by == cashier and "renversée" in line.void_reason
    operation = OfflineOperation.objects.get(client_key=queue[0]["client_key"])
    assert "pin_sealed" not in operation.payload
    assert not Alert.objects.filter(property=hotel, kind="offline_void").exists()


def test_an_offline_void_with_a_wrong_pin_is_refused_with_an_alert_and_the_rest_syncs(
    hotel, device, cashier, terminal, product, manager
):
    # given: a void with a wrong PIN, another whose entry was moved to another manager,
    # and a sale after them
    line = sent_line(hotel, terminal, cashier, product)
    other = make_staff(hotel, Role.MANAGER, username="other-manager", pin="123456")
    moved = void_of(device, line, approver=manager, pin="666666")
    moved["approver"] = other.pk
    queue = [void_of(device, line, approver=manager, pin="111111"), moved,
             cash(device, product("cafe"))]  # fmt: skip
    # when
    result = offline_sync(device=device.device, actor=cashier, queue=queue)
    # then: both voids refused, the beer stays on the bill, the sale syncs
    assert [r.status for r in result.results] == ["refused", "refused", "applied"]
    assert result.results[0].reason == "Wrong PIN."
    line.refresh_from_db()
    assert line.voided_at is None
    events = JournalEntry.objects.filter(property=hotel, code=JET_OFFLINE_REFUSED)
    assert events.count() == 2
    assert {e.payload["operation"] for e in events} == {"tab.void"}
    assert all(str(device.device.public_id) == e.payload["device"] for e in events)
    alerts = Alert.objects.filter(property=hotel, kind="offline_void", resolved_at=None)
    assert alerts.count() == 2
    assert "Wrong PIN." in alerts.first().data["reason"]
    # a replay adds no event and no alert
    offline_sync(device=device.device, actor=cashier, queue=queue)
    assert events.count() == 2 and alerts.count() == 2
    # and the manager's screen lists the voids refused
    client = Client()
    client.force_login(manager)
    client.cookies["django_language"] = "en"
    page = client.get("/pos/offline/devices/").content.decode()
    assert "Voids refused at sync" in page and "Wrong PIN." in page
