"""Waiter tablet beyond the basics: split bills, tenders and tips, approvals with a manager's
PIN, courses and fire, transfer and merge, the in-house guest, and query counts."""

from decimal import Decimal

import pytest

from billing.models import Payment, Ticket
from core.models import AuditEntry
from pos.models import KitchenTicket, Order, TableTab, TabLine, TabPart
from tests.pos.helpers import required_choices

pytestmark = pytest.mark.django_db


def open_tab(client, table, covers=2) -> TableTab:
    client.post(f"/pos/tables/{table.pk}/open/", {"covers": covers})
    return TableTab.objects.get(table=table, status=TableTab.Status.OPEN)


def add(client, tab, product, **extra):
    """Add `product`, its required choices answered (the rib-eye's cooking)."""
    data = {"product_id": product.pk, **required_choices(product), **extra}
    return client.post(f"/pos/tabs/{tab.pk}/add/", data)


def line_of(tab, code) -> TabLine:
    return TabLine.objects.get(tab=tab, product__code=code)


def error_of(response) -> str:
    return response.content.decode()


# --- split the bill ------------------------------------------------------------------------


def test_split_by_item_pays_each_part_then_closes(tablet, tables, product):
    # given: a rib-eye (29) and two beers (10)
    tab = open_tab(tablet, tables["5"])
    add(tablet, tab, product("entrecote"))
    add(tablet, tab, product("biere"), quantity="2")
    # when: the first guest pays the rib-eye by card
    first = tablet.post(
        f"/pos/tabs/{tab.pk}/pay/",
        {"split": "items", "line": [line_of(tab, "entrecote").pk], "action": "card",
         "card_reference": "TPE-1", "pay_key": "k1"},
    )  # fmt: skip
    # then: one part paid, the table stays open with 10.00 left
    assert first.status_code == 302 and first["Location"] == f"/pos/tabs/{tab.pk}/"
    tab.refresh_from_db()
    assert tab.status == TableTab.Status.OPEN
    page = tablet.get(f"/pos/tabs/{tab.pk}/").content.decode()
    assert 'data-testid="balance">€10.00' in page
    # when: the second pays the rest in cash
    second = tablet.post(
        f"/pos/tabs/{tab.pk}/pay/",
        {"split": "full", "action": "cash", "tendered": "20", "pay_key": "k2"},
    )
    # then: two sales, two tickets; the table is closed
    orders = list(Order.objects.order_by("pk"))
    assert [o.ticket.total for o in orders] == [Decimal("29.00"), Decimal("10.00")]
    assert second["Location"] == f"/pos/counter/receipt/{orders[1].pk}/"
    assert Payment.objects.get(method="cash").change == Decimal("10.00")
    tab.refresh_from_db()
    assert tab.status == TableTab.Status.CLOSED and tab.order == orders[1]
    assert TabLine.objects.filter(paid_part__isnull=True).count() == 0


def test_split_by_cover_parts_sum_exactly_and_keep_vat_rates(tablet, tables, product):
    # given: 29 + 18 + 5 = 52.00, split in 3
    tab = open_tab(tablet, tables["5"], covers=3)
    for code in ("entrecote", "salade-nicoise", "biere"):
        add(tablet, tab, product(code))
    tablet.post(f"/pos/tabs/{tab.pk}/split/", {"parts": "3"})
    # when: three shares, each by card
    for i in range(3):
        tablet.post(
            f"/pos/tabs/{tab.pk}/pay/",
            {"split": "cover", "action": "card", "card_reference": f"TPE-{i}",
             "pay_key": f"share-{i}"},
        )  # fmt: skip
    # then: 17.33 + 17.33 + 17.34 (the last part absorbs the cent), VAT per line's rate
    totals = [o.ticket.total for o in Order.objects.order_by("pk")]
    assert totals == [Decimal("17.33"), Decimal("17.33"), Decimal("17.34")]
    assert TabPart.objects.filter(kind="cover").count() == 3
    beer_total = sum(
        (
            line.total
            for t in Ticket.objects.all()
            for line in t.lines.all()
            if line.product.code == "biere"
        ),
        Decimal("0"),
    )
    assert beer_total == Decimal("5.00")
    assert {line.vat_rate for line in Ticket.objects.first().lines.all()} == {
        Decimal("10.00"),
        Decimal("20.00"),
    }
    tab.refresh_from_db()
    assert tab.status == TableTab.Status.CLOSED


def test_split_by_amount_and_an_amount_above_the_balance_is_refused(tablet, tables, product):
    tab = open_tab(tablet, tables["5"])
    add(tablet, tab, product("entrecote"))
    add(tablet, tab, product("salade-nicoise"))
    # when: 60.00 of a 47.00 bill
    too_much = tablet.post(
        f"/pos/tabs/{tab.pk}/pay/",
        {"split": "amount", "amount": "60", "action": "cash", "pay_key": "a0"},
        follow=True,
    )
    # then
    assert "€60.00 is more than what is left to pay (€47.00)." in error_of(too_much)
    assert Order.objects.count() == 0
    # when: 20.00, then the rest
    tablet.post(
        f"/pos/tabs/{tab.pk}/pay/",
        {"split": "amount", "amount": "20,00", "action": "cash", "pay_key": "a1"},
    )
    tablet.post(f"/pos/tabs/{tab.pk}/pay/", {"action": "cash", "pay_key": "a2"})
    # then
    assert [o.ticket.total for o in Order.objects.order_by("pk")] == [
        Decimal("20.00"),
        Decimal("27.00"),
    ]
    tab.refresh_from_db()
    assert tab.status == TableTab.Status.CLOSED


def test_a_double_tap_on_pay_sells_the_part_once(tablet, tables, product):
    tab = open_tab(tablet, tables["5"])
    add(tablet, tab, product("entrecote"))
    add(tablet, tab, product("biere"))
    data = {"split": "amount", "amount": "10", "action": "cash", "pay_key": "same"}
    tablet.post(f"/pos/tabs/{tab.pk}/pay/", data)
    tablet.post(f"/pos/tabs/{tab.pk}/pay/", data)
    assert Order.objects.count() == 1 and TabPart.objects.count() == 1
    assert Payment.objects.get().amount == Decimal("10.00")


# --- tenders and tips ----------------------------------------------------------------------


def test_card_with_tip_books_the_tip_apart_from_the_sale(tablet, tables, product):
    tab = open_tab(tablet, tables["5"])
    add(tablet, tab, product("entrecote"))
    tablet.post(
        f"/pos/tabs/{tab.pk}/pay/",
        {"action": "card", "card_reference": "TPE-7", "tip": "3", "pay_key": "t1"},
    )
    ticket = Order.objects.get().ticket
    assert ticket.total == Decimal("29.00") and ticket.tip == Decimal("3.00")
    assert Payment.objects.get().amount == Decimal("32.00")
    assert sum(v.gross for v in ticket.vat_lines.all()) == Decimal("29.00")
    # and the accountant sees the tip on the staff tips account, not in revenue
    from billing.services.accounting import daily_entries

    entries = daily_entries(property=ticket.property, day=ticket.business_date)
    sales = next(e for e in entries if e.journal == "VE")
    by_account = {x.account: (x.debit, x.credit) for x in sales.lines}
    assert by_account["411100"] == (Decimal("32.00"), Decimal("0"))
    assert by_account["428600"] == (Decimal("0"), Decimal("3.00"))
    revenue_and_vat = sum((x.credit for x in sales.lines if x.account != "428600"), Decimal("0"))
    assert revenue_and_vat == Decimal("29.00")


def test_a_tip_in_cash_or_on_a_room_charge_is_refused(tablet, tables, product):
    tab = open_tab(tablet, tables["5"])
    add(tablet, tab, product("entrecote"))
    response = tablet.post(
        f"/pos/tabs/{tab.pk}/pay/", {"action": "cash", "tip": "2", "pay_key": "t2"}, follow=True
    )
    assert "A tip is added to a card payment." in error_of(response)
    assert Order.objects.count() == 0


def test_several_tenders_cash_voucher_and_card(tablet, tables, product):
    tab = open_tab(tablet, tables["5"])
    add(tablet, tab, product("entrecote"))
    add(tablet, tab, product("salade-nicoise"))
    tablet.post(
        f"/pos/tabs/{tab.pk}/pay/",
        {"action": "several", "cash_amount": "10", "tendered": "20", "voucher_amount": "15",
         "voucher_reference": "BON-42", "card_reference": "TPE-3", "pay_key": "s1"},
    )  # fmt: skip
    payments = {p.method: p for p in Payment.objects.all()}
    assert payments["cash"].amount == Decimal("10.00")
    assert payments["cash"].change == Decimal("10.00")
    assert payments["voucher"].amount == Decimal("15.00")
    assert payments["voucher"].terminal_reference == "BON-42"
    assert payments["card"].amount == Decimal("22.00")


def test_voucher_needs_its_code(tablet, tables, product):
    tab = open_tab(tablet, tables["5"])
    add(tablet, tab, product("biere"))
    response = tablet.post(
        f"/pos/tabs/{tab.pk}/pay/", {"action": "voucher", "pay_key": "v1"}, follow=True
    )
    assert "Enter the voucher code." in error_of(response)
    tablet.post(
        f"/pos/tabs/{tab.pk}/pay/",
        {"action": "voucher", "voucher_reference": "BON-1", "pay_key": "v2"},
    )
    assert Payment.objects.get().method == "voucher"


# --- approvals -----------------------------------------------------------------------------


def sent_line(tablet, tables, product, code="entrecote"):
    tab = open_tab(tablet, tables["5"])
    add(tablet, tab, product(code))
    tablet.post(f"/pos/tabs/{tab.pk}/send/")
    return tab, line_of(tab, code)


def test_void_after_send_needs_a_manager_pin_and_a_reason(tablet, tables, product, manager):
    tab, line = sent_line(tablet, tables, product)
    url = f"/pos/tabs/{tab.pk}/lines/{line.pk}/void/"
    # when: no reason, then a wrong PIN
    no_reason = tablet.post(url, {"approver": manager.pk, "pin": "666666"}, follow=True)
    wrong = tablet.post(
        url, {"reason": "Cold", "approver": manager.pk, "pin": "123456"}, follow=True
    )
    # then: refused, nothing voided
    assert "Give a reason for the void." in error_of(no_reason)
    assert "Wrong PIN." in error_of(wrong)
    line.refresh_from_db()
    assert line.voided_at is None
    # when: the right PIN
    tablet.post(url, {"reason": "Cold", "approver": manager.pk, "pin": "666666"})
    # then: voided, off the bill, in the audit trail with both people
    line.refresh_from_db()
    assert line.voided_at is not None and line.void_approved_by == manager
    entry = AuditEntry.objects.get(action="pos.table.line_voided")
    assert entry.actor == manager and entry.data["reason"] == "Cold"
    assert entry.data["requested_by"] == line.voided_by_id
    page = tablet.get(f"/pos/tabs/{tab.pk}/").content.decode()
    assert 'data-testid="total">€0.00' in page


def test_wrong_pin_is_shown_in_french_for_a_french_waiter(tablet, tables, product, manager):
    tab, line = sent_line(tablet, tables, product)
    tablet.cookies["django_language"] = "fr"
    response = tablet.post(
        f"/pos/tabs/{tab.pk}/lines/{line.pk}/void/",
        {"reason": "Froid", "approver": manager.pk, "pin": "000000"},
        follow=True,
    )
    assert "Code PIN erroné." in error_of(response)


def test_an_unsent_line_is_removed_not_voided(tablet, tables, product, manager):
    tab = open_tab(tablet, tables["5"])
    add(tablet, tab, product("entrecote"))
    line = line_of(tab, "entrecote")
    response = tablet.post(
        f"/pos/tabs/{tab.pk}/lines/{line.pk}/void/",
        {"reason": "x", "approver": manager.pk, "pin": "666666"},
        follow=True,
    )
    assert "This item was not sent yet: remove it instead." in error_of(response)


def test_a_line_with_a_share_paid_cannot_be_removed(tablet, tables, product):
    """20.00 paid by amount is spread over the lines: removing one of them would take money
    already paid off the bill."""
    tab = open_tab(tablet, tables["5"])
    add(tablet, tab, product("entrecote"))
    add(tablet, tab, product("salade-nicoise"))
    tablet.post(
        f"/pos/tabs/{tab.pk}/pay/",
        {"split": "amount", "amount": "20", "action": "cash", "pay_key": "r1"},
    )
    line = line_of(tab, "entrecote")
    page = tablet.get(f"/pos/tabs/{tab.pk}/").content.decode()
    assert f'data-testid="remove-{line.pk}"' not in page
    response = tablet.post(f"/pos/tabs/{tab.pk}/lines/{line.pk}/remove/", follow=True)
    assert "This item is already paid." in error_of(response)
    assert TabLine.objects.filter(tab=tab).count() == 2
    # the rest is still what the two lines leave
    tablet.post(f"/pos/tabs/{tab.pk}/pay/", {"action": "cash", "pay_key": "r2"})
    assert Order.objects.order_by("pk").last().ticket.total == Decimal("27.00")


def test_an_unsent_line_without_a_share_paid_is_removed(tablet, tables, product):
    tab = open_tab(tablet, tables["5"])
    add(tablet, tab, product("entrecote"))
    line = line_of(tab, "entrecote")
    page = tablet.get(f"/pos/tabs/{tab.pk}/").content.decode()
    assert f'data-testid="remove-{line.pk}"' in page
    tablet.post(f"/pos/tabs/{tab.pk}/lines/{line.pk}/remove/")
    assert not TabLine.objects.filter(tab=tab).exists()


def test_discount_beyond_the_waiters_limit_needs_a_manager_pin(tablet, tables, product,
                                                                manager):  # fmt: skip
    tab = open_tab(tablet, tables["5"])
    add(tablet, tab, product("entrecote"))
    line = line_of(tab, "entrecote")
    url = f"/pos/tabs/{tab.pk}/lines/{line.pk}/discount/"
    # when: 10 % is within a waiter's limit
    tablet.post(url, {"percent": "10"})
    line.refresh_from_db()
    assert line.discount_percent == Decimal("10.00")
    # when: 50 % with a wrong PIN, then the right one
    wrong = tablet.post(
        url, {"percent": "50", "approver": manager.pk, "pin": "111111"}, follow=True
    )
    assert "Wrong PIN." in error_of(wrong)
    line.refresh_from_db()
    assert line.discount_percent == Decimal("10.00")
    tablet.post(url, {"percent": "50", "approver": manager.pk, "pin": "666666"})
    line.refresh_from_db()
    assert line.discount_percent == Decimal("50.00")
    assert AuditEntry.objects.filter(action="pos.table.line_discounted", actor=manager).exists()
    # then: the bill is charged at the discounted price
    tablet.post(f"/pos/tabs/{tab.pk}/pay/", {"action": "cash", "pay_key": "d1"})
    assert Order.objects.get().ticket.total == Decimal("14.50")


# --- courses -------------------------------------------------------------------------------


def test_send_holds_later_courses_and_fire_sends_them(tablet, tables, product):
    tab = open_tab(tablet, tables["5"])
    add(tablet, tab, product("salade-nicoise"), course="1")
    add(tablet, tab, product("entrecote"), course="2")
    add(tablet, tab, product("creme-brulee"), course="3")
    # when
    tablet.post(f"/pos/tabs/{tab.pk}/send/")
    # then: only the starters went; mains and desserts are held
    assert list(KitchenTicket.objects.values_list("course", flat=True)) == [1]
    page = tablet.get(f"/pos/tabs/{tab.pk}/").content.decode()
    assert "Fire Mains" in page and "held" in page
    # when: fire the next course
    tablet.post(f"/pos/tabs/{tab.pk}/send/", {"action": "fire"})
    # then: the mains go; the display names the course
    ticket = KitchenTicket.objects.get(course=2)
    assert list(ticket.lines.values_list("product__code", flat=True)) == ["entrecote"]
    display = tablet.get("/pos/kitchen/kitchen/").content.decode()
    assert "Mains" in display and "Starters" in display
    assert TabLine.objects.get(product__code="creme-brulee").kitchen_ticket is None
    tablet.post(f"/pos/tabs/{tab.pk}/send/", {"action": "fire"})
    nothing = tablet.post(f"/pos/tabs/{tab.pk}/send/", {"action": "fire"}, follow=True)
    assert "No course is waiting to be fired." in error_of(nothing)
    assert KitchenTicket.objects.count() == 3


# --- transfer and merge ----------------------------------------------------------------------


def test_transfer_to_a_free_table_and_not_onto_an_open_one(tablet, tables, product):
    tab = open_tab(tablet, tables["5"])
    add(tablet, tab, product("entrecote"))
    tablet.post(f"/pos/tabs/{tab.pk}/send/")
    other = open_tab(tablet, tables["7"])
    # when
    refused = tablet.post(f"/pos/tabs/{tab.pk}/move/", {"table": tables["7"].pk}, follow=True)
    tablet.post(f"/pos/tabs/{tab.pk}/move/", {"table": tables["6"].pk})
    # then
    assert "Table 7 is already open: merge instead." in error_of(refused)
    tab.refresh_from_db()
    assert tab.table == tables["6"] and other.table == tables["7"]
    assert KitchenTicket.objects.get().tab == tab
    entry = AuditEntry.objects.get(action="pos.table.transferred")
    assert entry.data == {"from": "5", "to": "6"}


def test_merge_moves_lines_covers_and_tickets(tablet, tables, product):
    a = open_tab(tablet, tables["5"], covers=2)
    add(tablet, a, product("entrecote"))
    tablet.post(f"/pos/tabs/{a.pk}/send/")
    b = open_tab(tablet, tables["6"], covers=3)
    add(tablet, b, product("biere"))
    # when
    response = tablet.post(f"/pos/tabs/{a.pk}/move/", {"action": "merge", "target_tab": b.pk})
    # then
    assert response["Location"] == f"/pos/tabs/{b.pk}/"
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.status == TableTab.Status.CLOSED and b.covers == 5
    assert set(b.lines.values_list("product__code", flat=True)) == {"entrecote", "biere"}
    assert KitchenTicket.objects.get().tab == b
    assert AuditEntry.objects.filter(action="pos.table.merged").count() == 1
    assert tablet.post(f"/pos/tables/{tables['5'].pk}/open/", {"covers": 2}).status_code == 302


# --- the in-house guest --------------------------------------------------------------------


@pytest.fixture
def room12_guest(hotel, rooms, book):
    from pms.services.rooms import room_create
    from pms.services.stays import reservation_check_in

    room = room_create(room_type=rooms["classique"], number="12", floor=0)
    res = book("classique", nights=2, last_name="Douze")
    reservation_check_in(reservation=res, assignments={res.rooms.get().pk: room.pk})
    return res


def test_attach_an_in_house_guest_shows_history_and_suggestions(tablet, tables, product,
                                                                room12_guest):  # fmt: skip
    # given: the guest had a spritz at the bar before
    earlier = open_tab(tablet, tables["6"])
    add(tablet, earlier, product("spritz"))
    tablet.post(f"/pos/tabs/{earlier.pk}/guest/", {"reservation": room12_guest.reference})
    # the first tap asks to confirm the guest's name; the answer charges the room
    question = tablet.post(
        f"/pos/tabs/{earlier.pk}/pay/", {"action": "room", "room_number": "12", "pay_key": "g1"}
    ).content.decode()
    assert 'data-testid="room-confirm"' in question and "Douze" in question
    assert not Order.objects.exists()
    tablet.post(
        f"/pos/tabs/{earlier.pk}/pay/",
        {"action": "room", "room_number": "12", "pay_key": "g1", "room_confirmed": "1"},
    )
    tab = open_tab(tablet, tables["5"])
    # when: search by room number, then attach
    found = tablet.get(f"/pos/tabs/{tab.pk}/?guest_q=12").content.decode()
    assert f'data-testid="attach-{room12_guest.reference}"' in found
    tablet.post(f"/pos/tabs/{tab.pk}/guest/", {"reservation": room12_guest.reference})
    # then
    page = tablet.get(f"/pos/tabs/{tab.pk}/").content.decode()
    assert "Douze" in page and "Often orders Spritz" in page
    assert f"Stay {room12_guest.reference}" in page
    assert Order.objects.get().guest == room12_guest.guest
    third = open_tab(tablet, tables["7"])
    nobody = tablet.get(f"/pos/tabs/{third.pk}/?guest_q=Nobody").content.decode()
    assert "No in-house guest matches" in nobody


def test_a_guest_not_in_house_cannot_be_attached(tablet, tables, book):
    res = book("classique", nights=1, last_name="Futur", offset=3)
    tab = open_tab(tablet, tables["5"])
    response = tablet.post(
        f"/pos/tabs/{tab.pk}/guest/", {"reservation": res.reference}, follow=True
    )
    assert "This guest is not in house." in error_of(response)
    tab.refresh_from_db()
    assert tab.guest_id is None


# --- query counts --------------------------------------------------------------------------


def test_tab_screen_and_add_item_query_counts(tablet, tables, product,
                                              django_assert_max_num_queries):  # fmt: skip
    tab = open_tab(tablet, tables["5"])
    for code in ("entrecote", "salade-nicoise", "biere", "creme-brulee", "spritz"):
        add(tablet, tab, product(code))
    tablet.post(f"/pos/tabs/{tab.pk}/send/")
    # the menu and the prices quoted when the items were added are cached: the page reads the
    # tab, its lines and parts, the managers and the tables to move to, whatever its size
    with django_assert_max_num_queries(10):
        assert tablet.get(f"/pos/tabs/{tab.pk}/").status_code == 200
    with django_assert_max_num_queries(9):
        add(tablet, tab, product("cafe"))
    with django_assert_max_num_queries(10):
        assert tablet.get(f"/pos/tabs/{tab.pk}/").status_code == 200
    with django_assert_max_num_queries(6):
        assert tablet.get("/pos/tables/").status_code == 200


def test_send_and_pay_query_counts(tablet, tables, product, django_assert_max_num_queries):
    tab = open_tab(tablet, tables["5"])
    # dishes without a modifier (a cooking chosen costs the quote its modifier rows, once)
    for code in ("loup", "salade-nicoise", "biere", "creme-brulee", "spritz"):
        add(tablet, tab, product(code))
    # two stations, no printer: the tickets in one INSERT and their lines in one UPDATE
    with django_assert_max_num_queries(9):
        tablet.post(f"/pos/tabs/{tab.pk}/send/")
    # 15 of them are the sale itself (order_checkout: ticket, lines, VAT, journal, payment),
    # without a savepoint of its own or a price read (prices are cached per product); one
    # is the property's webhook subscriptions, read on this first sale and cached after
    with django_assert_max_num_queries(28):
        response = tablet.post(f"/pos/tabs/{tab.pk}/pay/", {"action": "cash", "pay_key": "k1"})
    order = Order.objects.get(tab=tab)
    assert response["Location"] == f"/pos/counter/receipt/{order.pk}/"
    # one of them reads what is left of each line to refund (the refund form's quantities)
    with django_assert_max_num_queries(9):
        assert tablet.get(response["Location"]).status_code == 200


def test_tab_shows_a_new_price_at_once(tablet, tables, product):
    """The tab page keeps the prices it quoted, until the catalog changes."""
    tab = open_tab(tablet, tables["5"])
    entrecote = product("entrecote")
    add(tablet, tab, entrecote)
    page = tablet.get(f"/pos/tabs/{tab.pk}/").content.decode()
    assert f'data-testid="total">€{entrecote.price:.2f}' in page
    entrecote.price = Decimal("31.40")
    entrecote.save()
    page = tablet.get(f"/pos/tabs/{tab.pk}/").content.decode()
    assert 'data-testid="total">€31.40' in page
    response = tablet.post(f"/pos/tabs/{tab.pk}/pay/", {"action": "cash", "pay_key": "k2"})
    assert response.status_code == 302
    assert Order.objects.get(tab=tab).ticket.total == Decimal("31.40")


# --- receipt on paper ----------------------------------------------------------------------


def test_receipt_printed_on_request_then_as_numbered_duplicates(tablet, tables, product, terminal,
                                                                 hotel):  # fmt: skip
    """Paper only when asked (loi AGEC); a second tap, or a second guest asking, prints a
    copy marked DUPLICATA with its number (NF525), never a second original nor an error."""
    from devices.models import Printer, PrintJob

    terminal.printer = Printer.objects.create(
        property=hotel, code="salle", name="Salle", connection="file", file_path="/dev/null"
    )
    terminal.save()
    tab = open_tab(tablet, tables["5"])
    add(tablet, tab, product("entrecote"))
    tablet.post(f"/pos/tabs/{tab.pk}/pay/", {"action": "cash", "pay_key": "p1"})
    order = Order.objects.get(tab=tab)
    assert not PrintJob.objects.filter(kind="receipt").exists()
    first = tablet.post(f"/pos/receipts/{order.pk}/print/", follow=True)
    second = tablet.post(f"/pos/receipts/{order.pk}/print/", follow=True)
    third = tablet.post(f"/pos/receipts/{order.pk}/print/", follow=True)
    assert first.status_code == second.status_code == third.status_code == 200
    assert "The receipt is printing." in first.content.decode()
    assert "A copy of the receipt (duplicate) is printing." in second.content.decode()
    jobs = list(PrintJob.objects.filter(kind="receipt").order_by("pk"))
    assert [(j.is_duplicate, j.open_drawer) for j in jobs] == [(False, False), (True, False),
                                                               (True, False)]  # fmt: skip
    assert len(jobs[0].document["payments"]) == 1  # the original shows the tender
    assert [j.document["fiscal"]["reprint_count"] for j in jobs] == [0, 1, 2]
    assert jobs[1].reprint_of_id == jobs[2].reprint_of_id == jobs[0].pk


# --- receipt by e-mail ---------------------------------------------------------------------


def test_receipt_e_mailed_after_commit_by_the_task(tablet, tables, product, mailoutbox,
                                                   django_capture_on_commit_callbacks):  # fmt: skip
    from pos.tasks import receipt_email_task

    tab = open_tab(tablet, tables["5"])
    add(tablet, tab, product("entrecote"))
    tablet.post(f"/pos/tabs/{tab.pk}/pay/", {"action": "cash", "pay_key": "e1"})
    order = Order.objects.get()
    # when: a bad address, then a good one (the task is enqueued on commit)
    bad = tablet.post(f"/pos/receipts/{order.pk}/email/", {"email": "nope"}, follow=True)
    assert "“nope” is not a valid e-mail address." in error_of(bad)
    with django_capture_on_commit_callbacks() as callbacks:
        tablet.post(f"/pos/receipts/{order.pk}/email/", {"email": "camille@example.com"})
    assert len(callbacks) == 1 and mailoutbox == []
    # then: the worker sends it
    receipt_email_task.run(order.pk, "camille@example.com", "en")
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["camille@example.com"]
    assert str(order.ticket) in mailoutbox[0].subject and "29" in mailoutbox[0].body
    assert AuditEntry.objects.filter(action="pos.receipt.emailed").count() == 1


def test_a_gift_card_pays_part_of_the_tab_and_a_wrong_code_is_explained(tablet, tables, product):
    from crm.models import GiftCard
    from crm.services.gift_cards import gift_card_issue

    gift = gift_card_issue(
        property=tables["5"].property, amount=Decimal("10.00"), kind="multi_purpose", source="t"
    )
    tab = open_tab(tablet, tables["5"])
    add(tablet, tab, product("entrecote"))
    wrong = tablet.post(
        f"/pos/tabs/{tab.pk}/pay/",
        {"action": "gift_card", "gift_card_code": "WRONG", "pay_key": "g0"},
        follow=True,
    )
    assert "No gift card or voucher has this code here." in error_of(wrong)
    tablet.post(
        f"/pos/tabs/{tab.pk}/pay/",
        {"action": "gift_card", "split": "amount", "amount": "10", "pay_key": "g1",
         "gift_card_code": gift.code},
    )  # fmt: skip
    gift.refresh_from_db()
    assert gift.balance == 0 and gift.status == GiftCard.Status.USED
    assert Payment.objects.get().method == "gift_card"


def test_the_guests_allergies_are_on_the_tab_once_attached(tablet, tables, room12_guest):
    from crm.models import Guest

    Guest.objects.filter(pk=room12_guest.guest_id).update(allergies="Arachides", diet="Végétarien")
    tab = open_tab(tablet, tables["5"])
    assert 'data-testid="tab-allergies"' not in tablet.get(f"/pos/tabs/{tab.pk}/").content.decode()
    tablet.post(f"/pos/tabs/{tab.pk}/guest/", {"reservation": room12_guest.reference})
    page = tablet.get(f"/pos/tabs/{tab.pk}/").content.decode()
    assert "Allergies: Arachides" in page and "Diet: Végétarien" in page


def test_the_waiter_records_the_guests_opt_in_as_read_to_them(tablet, tables, room12_guest):
    from crm.models import Consent

    tab = open_tab(tablet, tables["5"])
    tablet.post(f"/pos/tabs/{tab.pk}/guest/", {"reservation": room12_guest.reference})
    assert 'data-testid="guest-opt-in"' in tablet.get(f"/pos/tabs/{tab.pk}/").content.decode()
    tablet.post(f"/pos/tabs/{tab.pk}/guest/consent/")
    consent = Consent.objects.get(guest=room12_guest.guest)
    assert consent.source == "pos" and "unsubscribe" in consent.wording
    assert 'data-testid="guest-opt-in"' not in tablet.get(f"/pos/tabs/{tab.pk}/").content.decode()
    other = open_tab(tablet, tables["6"])
    response = tablet.post(f"/pos/tabs/{other.pk}/guest/consent/", follow=True)
    assert "Attach the guest first." in response.content.decode()
    assert Consent.objects.count() == 1


def test_an_attached_guest_pays_with_points_on_the_tab(tablet, tables, product, room12_guest):
    from crm.models import LoyaltyEarnRule, LoyaltyProgram
    from crm.services.loyalty import loyalty_balance, loyalty_earn

    program = LoyaltyProgram.objects.create(
        organization=room12_guest.property.organization, point_value=Decimal("0.10")
    )
    LoyaltyEarnRule.objects.create(program=program, revenue_category="food", points_per_euro=1)
    guest = room12_guest.guest
    loyalty_earn(guest=guest, spend=[("food", Decimal("1000"))], key="seed")
    tab = open_tab(tablet, tables["5"])
    add(tablet, tab, product("biere"))
    tablet.post(f"/pos/tabs/{tab.pk}/guest/", {"reservation": room12_guest.reference})
    tablet.post(f"/pos/tabs/{tab.pk}/pay/", {"action": "loyalty", "pay_key": "l1"})
    payment = Payment.objects.get()
    assert payment.method == "loyalty"
    assert loyalty_balance(guest=guest) == 1000 - int(payment.amount / Decimal("0.10"))


def test_a_gift_card_sold_shows_its_code_on_the_receipt_and_the_printed_original(
    tablet, terminal, product, waiter
):
    from devices.models import Printer, PrintJob
    from inventory.models import Product
    from pos.services.checkout import order_checkout
    from tests.pos.helpers import line

    terminal.printer = Printer.objects.create(
        property=terminal.property, code="p1", name="P1", connection="file", file_path="/dev/null"
    )
    terminal.save()
    card_product = Product.objects.create(
        property=terminal.property,
        code="carte-cadeau-30",
        name_fr="Carte cadeau 30 €",
        price=Decimal("30.00"),
        vat_rate=Decimal("0.00"),
        revenue_category="voucher",
        gift_card_kind="multi_purpose",
    )
    from billing.services.payments import TenderInput

    order = order_checkout(
        property=terminal.property,
        terminal=terminal,
        actor=waiter,
        lines=[line(card_product)],
        tenders=[TenderInput(method="cash", amount=Decimal("30.00"))],
        print_receipt=True,
    )
    from crm.models import GiftCard
    from crm.selectors import formatted_code

    code = formatted_code(GiftCard.objects.get().code)
    page = tablet.get(f"/pos/counter/receipt/{order.pk}/").content.decode()
    assert f"Gift card {code}: 30.00 €" in page
    printed = PrintJob.objects.get(kind="receipt").document
    assert code in str(printed)
