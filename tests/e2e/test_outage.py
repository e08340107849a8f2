"""Story S5, the outage, in real Chromium: two tablets lose the network (Playwright's
`context.set_offline(True)`), keep selling on the offline screen the service worker serves,
survive a reload and a closed tab, and when the network returns every sale reaches the
server exactly once, in each device's numbering, with the journal verifying. Also: the last
basket sold online and offline, two tablets on one table, and a ticket edited in IndexedDB."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from billing.models import JournalEntry, Ticket
from billing.services.journal import JET_OFFLINE_PERIOD, JET_OFFLINE_REFUSED, journal_verify
from billing.services.payments import TenderInput
from billing.services.verification import property_verify
from core.models import Role
from inventory.models import CapacityBucket, CapacityPool, Channel
from inventory.services.pricing import QuoteLineInput, quote
from pos.models import OfflineConflict, OfflineTicket, Order, Table, TabLine
from pos.services.cash import cash_session_open, cash_session_totals
from pos.services.checkout import order_checkout
from pos.services.tables import tab_add_line, tab_send, table_open
from reporting.models import Alert
from reporting.services import alerts_evaluate
from tests.browser import signed_in_pages
from tests.e2e.test_browser import _async_unsafe, browser  # noqa: F401  (browser fixtures)
from tests.factories.core import make_staff
from tests.factories.pos import make_terminal
from tests.factories.stays import make_stay

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAIRED = "() => window.AubergeOffline && window.AubergeOffline.getMeta('device').then(d => !!d)"
KEPT = "() => window.AubergeOffline && window.AubergeOffline.getMeta('data').then(d => !!d)"
WORKER = "() => navigator.serviceWorker.ready.then(r => !!r.active)"


@pytest.fixture
def tablets(browser, live_server):  # noqa: F811
    """tablet(user, terminal) -> (context, page): a tablet on the till, in English, once its
    device is paired, its data kept and its service worker active. Fails on any CSP
    violation."""
    with signed_in_pages(browser, live_server.url) as signed_in:

        def make(user, terminal):
            page = signed_in(user, terminal)
            page.goto(f"{live_server.url}/pos/counter/")
            until(page, WORKER)
            until(page, PAIRED)
            until(page, KEPT)
            # the worker keeps the offline screen when it installs; this visit makes sure
            page.goto(f"{live_server.url}/pos/offline/")
            page.wait_for_selector("#offline-app[data-loaded=true]")
            return page.context, page

        yield make


def go_offline(context, page):
    context.set_offline(True)
    page.wait_for_selector("[data-testid=offline-banner][data-state=offline]")


def open_offline_screen(page, url):
    page.goto(f"{url}/pos/offline/")
    page.wait_for_selector("#offline-app[data-loaded=true]")


def sell(page, products, method="cash", *, table=None, tendered="", reference="", room=""):
    """One sale on the offline screen; returns its device number once it is kept."""
    page.click(f"[data-testid=offline-table-{table}]" if table else "[data-table-id='0']")
    for product in products:
        page.click(f"[data-testid=offline-product-{product.pk}]")
    before = page.get_attribute("[data-testid=offline-receipt]", "data-sequence") or "0"
    if method == "cash":
        page.fill("[data-testid=offline-tendered]", tendered)
        page.click("[data-testid=offline-pay-cash]")
    elif method == "card":
        page.fill("[data-testid=offline-card-ref]", reference)
        page.click("[data-testid=offline-pay-card]")
    else:
        page.select_option("[data-testid=offline-room]", room)
        page.click("[data-testid=offline-pay-room]")
    page.wait_for_function(
        "(before) => { const r = document.querySelector('[data-testid=offline-receipt]');"
        " return r && r.dataset.sequence && r.dataset.sequence !== before; }",
        arg=before,
    )
    return int(page.get_attribute("[data-testid=offline-receipt]", "data-sequence"))


def until(page, script: str, arg=None) -> None:
    """Wait until the promise `script` returns resolves to a truthy value (polled: Playwright's
    wait_for_function does not wait for promises)."""
    for _ in range(200):
        if page.evaluate(script, arg):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"never true: {script}")


def wait_synced(page):
    until(page, "() => window.AubergeOffline.pendingCount().then(n => n === 0)")


def price(hotel, product) -> Decimal:
    """Today's POS price (what the offline catalogue shows)."""
    line = QuoteLineInput(product_id=product.pk)
    return quote(property=hotel, channel=Channel.POS, lines=[line]).lines[0].unit_price


@pytest.fixture
def terrace(hotel, catalog):
    terminal_a = make_terminal(hotel, outlet_code="terrasse", outlet_name="Terrasse", name="T1")
    terminal_b = make_terminal(hotel, outlet_code="terrasse", outlet_name="Terrasse", name="T2")
    for i, label in enumerate(["5", "6"], start=1):
        Table.objects.create(
            property=hotel, outlet=terminal_a.outlet, label=label, seats=4, pos_x=i, pos_y=1
        )
    return {
        "a": terminal_a,
        "b": terminal_b,
        "nora": make_staff(hotel, Role.CASHIER, username="nora"),
        "paul": make_staff(hotel, Role.BARTENDER, username="paul"),
    }


def test_story_s5_twenty_sales_offline_reach_the_server_exactly_once(
    tablets, live_server, hotel, terrace, product
):
    # given: a drawer open on tablet A, room 12 in house, both tablets ready
    session = cash_session_open(
        terminal=terrace["a"], opening_float=Decimal("50.00"), actor=terrace["nora"]
    )
    make_stay(hotel, room_number="12", last_name="Dupont")
    context_a, a = tablets(terrace["nora"], terrace["a"])
    context_b, b = tablets(terrace["paul"], terrace["b"])
    cafe, biere, salade = product("cafe"), product("biere"), product("salade-nicoise")
    a.reload()  # the rooms in house are kept by the tablet's next visit
    a.wait_for_selector("#offline-app[data-loaded=true]")
    # when: the network drops
    go_offline(context_a, a)
    go_offline(context_b, b)
    # the banner follows the drop within seconds (it showed the last sync's line just before)
    expect(a.locator("[data-testid=offline-banner]")).to_contain_text("Offline")
    # tablet A: cash, card, a room charge, a split bill; reloaded mid-way
    assert sell(a, [cafe], tendered="10") == 1
    change = Decimal("10") - price(hotel, cafe)
    assert f"€{change:.2f}" in a.inner_text("[data-testid=offline-receipt]")
    sell(a, [biere, biere])
    sell(a, [cafe], "card", reference="CB-0001")
    a.reload()
    a.wait_for_selector("#offline-app[data-loaded=true]")
    assert "3 sales waiting" in a.inner_text("[data-testid=offline-banner]")
    sell(a, [salade])
    sell(a, [biere], "room", room="12")
    sell(a, [cafe, cafe])
    sell(a, [biere], "card", reference="CB-0002")
    sell(a, [cafe])
    # the split bill at table 5: the salad in cash, the beers by card
    a.click("[data-testid=offline-table-5]")
    for item in (salade, biere, biere):
        a.click(f"[data-testid=offline-product-{item.pk}]")
    a.check("[data-testid=offline-lines] li:has-text('Niçoise') input")
    a.click("[data-testid=offline-pay-cash]")
    a.wait_for_selector("[data-testid=offline-receipt][data-sequence='9']")
    a.fill("[data-testid=offline-card-ref]", "CB-0003")
    a.click("[data-testid=offline-pay-card]")
    a.wait_for_selector("[data-testid=offline-receipt][data-sequence='10']")
    # tablet B: five sales, its tab closed and opened again, five more
    for _ in range(5):
        sell(b, [biere])
    b.close()
    b = context_b.new_page()
    b.set_default_timeout(20000)
    open_offline_screen(b, live_server.url)
    assert "5 sales waiting" in b.inner_text("[data-testid=offline-banner]")
    for i in range(3):
        sell(b, [cafe])
    sell(b, [cafe], "card", reference="CB-B1")
    assert sell(b, [salade], "card", reference="CB-B2") == 10
    assert not Ticket.objects.filter(property=hotel).exists()

    # then: the network returns and every sale reaches the server
    context_a.set_offline(False)
    context_b.set_offline(False)
    wait_synced(a)
    wait_synced(b)
    applied = OfflineTicket.objects.filter(property=hotel, status="applied")
    assert applied.count() == 20
    for terminal in (terrace["a"], terrace["b"]):
        numbers = applied.filter(device__terminal=terminal).order_by("sequence")
        assert list(numbers.values_list("sequence", flat=True)) == list(range(1, 11))
    assert Ticket.objects.filter(property=hotel).count() == 20
    receipts = JournalEntry.objects.filter(property=hotel, kind="receipt")
    assert receipts.count() == 20
    assert all(e.payload["offline"]["sequence"] for e in receipts)
    assert JournalEntry.objects.filter(property=hotel, code=JET_OFFLINE_PERIOD).count() == 2
    assert journal_verify(property=hotel, chain="fiscal").ok
    assert not property_verify(property=hotel).problems
    assert Order.objects.filter(property=hotel, status="charged_to_room").count() == 1
    # tablet A's cash: 4 coffees, 2 beers and 2 salads over the float of 50
    cash_sold = 4 * price(hotel, cafe) + 2 * price(hotel, biere) + 2 * price(hotel, salade)
    totals = cash_session_totals(session=session)
    assert Decimal(totals["expected_cash"]) == Decimal("50.00") + cash_sold
    a.wait_for_selector("[data-testid=offline-banner]:has-text('Every sale made offline')")

    # when: the answer to the upload was lost (the tablet still thinks all are pending)
    a.evaluate(
        "() => window.AubergeOffline.db.queue.toCollection().modify({state: 'pending'})"
        ".then(() => window.AubergeOfflineBanner.sync())"
    )
    wait_synced(a)
    # then: the first results, nothing twice
    assert Ticket.objects.filter(property=hotel).count() == 20
    assert OfflineTicket.objects.filter(property=hotel).count() == 20


def test_the_last_basket_sold_online_and_offline(tablets, hotel, terrace, product):
    # given: one basket left
    basket = product("panier-gourmand")
    CapacityPool.objects.filter(pk=basket.capacity_pool_id).update(
        default_capacity=1, hold_back_onsite=0, online_close_at_sold=None
    )
    context, page = tablets(terrace["nora"], terrace["a"])
    go_offline(context, page)
    # when: the tablet sells it offline while the shop's till sells it online
    sell(page, [basket], tendered="50")
    line = QuoteLineInput(product_id=basket.pk)
    order_checkout(
        property=hotel,
        terminal=terrace["b"],
        actor=terrace["paul"],
        lines=[line],
        tenders=[
            TenderInput(
                method="cash", amount=quote(property=hotel, channel=Channel.POS, lines=[line]).total
            )
        ],
        client_key="online-last-basket",
    )
    context.set_offline(False)
    wait_synced(page)
    # then: both sales, one conflict alert, capacity never below zero
    assert Order.objects.filter(property=hotel, status="paid").count() == 2
    bucket = CapacityBucket.objects.get(pool_id=basket.capacity_pool_id)
    assert 0 <= bucket.capacity - bucket.sold
    assert OfflineConflict.objects.filter(property=hotel, kind="oversold").count() == 1
    # the sync raised the manager's alert itself; the periodic check adds no second one
    assert Alert.objects.filter(property=hotel, kind="offline").count() == 1
    assert [a.kind for a in alerts_evaluate(property=hotel)].count("offline") == 0
    assert Alert.objects.filter(property=hotel, kind="offline").count() == 1


def test_two_tablets_on_one_table_end_with_every_line(tablets, hotel, terrace, product):
    # given: table 5 open with a coffee, tablet B offline
    table = Table.objects.get(property=hotel, label="5")
    tab = table_open(table=table, covers=2, actor=terrace["nora"])
    tab_add_line(tab=tab, product=product("cafe"), actor=terrace["nora"])
    context, page = tablets(terrace["paul"], terrace["b"])
    go_offline(context, page)
    # when: tablet B adds two beers offline while tablet A adds a salad online
    page.click("[data-testid=offline-table-5]")
    page.click(f"[data-testid=offline-product-{product('biere').pk}]")
    page.click(f"[data-testid=offline-product-{product('biere').pk}]")
    expect(page.locator("[data-testid=offline-line]")).to_have_count(3)
    tab_add_line(tab=tab, product=product("salade-nicoise"), actor=terrace["nora"])
    context.set_offline(False)
    wait_synced(page)
    # then
    codes = sorted(TabLine.objects.filter(tab=tab).values_list("product__code", flat=True))
    assert codes == ["biere", "biere", "cafe", "salade-nicoise"]


def test_a_ticket_edited_in_indexeddb_is_refused_and_the_rest_syncs(
    tablets, hotel, terrace, product
):
    context, page = tablets(terrace["nora"], terrace["a"])
    go_offline(context, page)
    for _ in range(3):
        sell(page, [product("biere")])
    # when: someone lowers the second sale's amount in the browser's database
    page.evaluate(
        """() => new Promise((resolve, reject) => {
          const open = indexedDB.open('auberge-offline');
          open.onerror = reject;
          open.onsuccess = () => {
            const tx = open.result.transaction('queue', 'readwrite');
            const store = tx.objectStore('queue');
            store.openCursor().onsuccess = (e) => {
              const cursor = e.target.result;
              if (!cursor) { return; }
              const sale = cursor.value;
              if (sale.sequence === 2) {
                sale.total = '1.00'; sale.tenders[0].amount = '1.00';
                sale.lines[0].unit_price = '1.00';
                cursor.update(sale);
              }
              cursor.continue();
            };
            tx.oncomplete = () => { open.result.close(); resolve(true); };
          };
        })"""
    )
    context.set_offline(False)
    page.wait_for_selector("[data-testid=offline-banner]:has-text('1 refused')")
    # then
    statuses = dict(OfflineTicket.objects.filter(property=hotel).values_list("sequence", "status"))
    assert statuses == {1: "applied", 2: "refused", 3: "applied"}
    event = JournalEntry.objects.get(property=hotel, code=JET_OFFLINE_REFUSED)
    assert "T1" in event.terminal and event.payload["sequence"] == 2
    assert Ticket.objects.filter(property=hotel).count() == 2
    assert journal_verify(property=hotel, chain="fiscal").ok


def test_titres_restaurant_offline_follow_the_rules_and_sync(tablets, hotel, terrace, product):
    # given: a tablet offline with a salad (18.00) and a beer on the order
    salade, biere = product("salade-nicoise"), product("biere")
    context, page = tablets(terrace["nora"], terrace["a"])
    go_offline(context, page)
    page.click("[data-table-id='0']")
    page.click(f"[data-testid=offline-product-{salade.pk}]")
    page.click(f"[data-testid=offline-product-{biere.pk}]")
    error = page.locator("[data-testid=offline-error]")
    # when: 20.00 of paper for the whole order: more than the food, and no change on paper
    page.fill("[data-testid=offline-title-amount]", "20")
    page.click("[data-testid=offline-pay-meal-voucher]")
    # then: refused with the rule, nothing kept
    expect(error).to_contain_text("food only: at most €18.00")
    page.fill("[data-testid=offline-title-amount]", "30")
    page.click("[data-testid=offline-pay-meal-voucher]")
    expect(error).to_contain_text("No change is given")
    assert page.evaluate("() => window.AubergeOffline.pendingCount()") == 0
    # when: 15.00 of paper, the rest (8.00) in cash from a 10.00 note
    page.fill("[data-testid=offline-title-amount]", "15")
    page.fill("[data-testid=offline-tendered]", "10")
    page.click("[data-testid=offline-pay-meal-voucher]")
    expect(page.locator("[data-testid=offline-receipt]")).to_contain_text("Change €2.00")
    context.set_offline(False)
    wait_synced(page)
    # then: one sale, the titles as their own tender beside the cash
    order = Order.objects.get(property=hotel, status="paid")
    paid = sorted(order.ticket.payments.values_list("method", "amount"))
    assert paid == [("cash", Decimal("8.00")), ("meal_voucher", Decimal("15.00"))]


QUEUE = "() => window.AubergeOffline.db.queue.toArray()"


def test_an_offline_void_needs_the_managers_pin_checked_at_sync(tablets, hotel, terrace, product):
    # given: table 5 with a beer sent to the bar; a manager; the tablet offline
    manager = make_staff(hotel, Role.MANAGER, username="claire", pin="666666")
    table = Table.objects.get(property=hotel, label="5")
    tab = table_open(table=table, covers=2, actor=terrace["nora"])
    line = tab_add_line(tab=tab, product=product("biere"), actor=terrace["nora"])
    tab_send(tab=tab, actor=terrace["nora"])
    context, page = tablets(terrace["nora"], terrace["a"])
    go_offline(context, page)
    page.click("[data-testid=offline-table-5]")
    void = page.locator("[data-testid=offline-line] button")
    # when: voided without a manager's PIN
    void.click()
    # then: refused on the device
    expect(page.locator("[data-testid=offline-error]")).to_contain_text("manager approves")
    # when: the manager chosen and their PIN typed
    page.click("[data-testid=offline-void-approval] summary")
    page.select_option("[data-testid=offline-approver]", str(manager.pk))
    page.fill("[data-testid=offline-pin]", "666666")
    # (the screen with the approval open fits a portrait tablet)
    page.set_viewport_size({"width": 768, "height": 1024})
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    void.click()
    until(page, "() => window.AubergeOffline.pendingCount().then(n => n === 1)")
    # then: only the sealed PIN is kept, and the PIN field is emptied
    queued = page.evaluate(QUEUE)
    assert queued[0]["approver"] == manager.pk and queued[0]["pin_sealed"]
    assert "666666" not in str(queued)
    assert page.input_value("[data-testid=offline-pin]") == ""
    # when: the network is back
    context.set_offline(False)
    wait_synced(page)
    # then: voided once, approved by the manager; the sealed PIN gone from the device
    line.refresh_from_db()
    assert line.voided_at is not None and line.void_approved_by == manager
    assert "pin_sealed" not in page.evaluate(QUEUE)[0]
