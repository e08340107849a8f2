"""The staff screens measured as a waiter in a rush uses them (issue 20), in real Chromium
against the live server: taps counted for the common tasks and held to their budget,
screenshots of every staff screen at the three sizes (tablet portrait and landscape, a
runner's phone), and axe-core on each screen with no serious or critical violation.

A tap is a click, a check or one field typed in (the card terminal's reference, a room
number). The README reports the counts this test measures."""

import json
import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from pos.models import KitchenTicket, Order, Table, TableTab, TabPart
from tests.browser import chromium, signed_in_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "screens"
AXE = Path(settings.BASE_DIR) / "static" / "vendor" / "axe-core" / "axe.min.js"
SIZES = [(768, 1024), (1024, 768), (390, 844)]
TABLET = (768, 1024)
BUDGETS = {"beers_and_croque_cash": 9, "two_courses": 8, "split_by_cover_card": 12, "spa_room": 7}
MEASURED: dict[str, int] = {}


@pytest.fixture(scope="module")
def _async_unsafe():
    """Playwright's sync API runs an event loop in this thread; the ORM calls of these tests
    are plain synchronous calls. Set for this module only (restored afterwards)."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="module")
def browser(_async_unsafe):
    with chromium() as browser:
        yield browser


@pytest.fixture
def open_as(browser, live_server):
    """open_as(user, terminal=None, size=TABLET) -> a page signed in as `user`, in English;
    the test fails on any Content-Security-Policy violation of its pages."""
    with signed_in_pages(browser, live_server.url) as make:
        yield lambda user, terminal=None, size=TABLET: make(user, terminal, size=size)


class Taps:
    """Counts what the waiter's finger does: each click, check or field typed is one tap."""

    def __init__(self, page):
        self.page, self.count = page, 0

    def tap(self, selector: str) -> None:
        self.count += 1
        self.page.click(selector)

    def type(self, selector: str, text: str) -> None:
        self.count += 1
        self.page.fill(selector, text)


def category(page, name_en: str) -> str:
    return f"[data-testid=categories] >> text={name_en}"


@pytest.fixture
def restaurant(hotel, catalog, terminal):
    """Tables 1 to 8 on the tablet's outlet, 4 seats each."""
    return {
        str(n): Table.objects.create(
            property=hotel, outlet=terminal.outlet, label=str(n), seats=4, pos_x=n, pos_y=1
        )
        for n in range(1, 9)
    }


def _open(page, live_server, table: str) -> None:
    page.goto(f"{live_server.url}/pos/tables/")
    page.click(f"[data-testid=table-{table}] [data-testid=open]")
    page.wait_for_selector("[data-testid=tab]")


def test_two_beers_and_a_croque_at_table_4_sent_and_paid_in_cash(
    open_as, live_server, restaurant, terminal, waiter
):
    page = open_as(waiter, terminal)
    page.goto(f"{live_server.url}/pos/tables/")
    taps = Taps(page)
    taps.tap("[data-testid=table-4] [data-testid=open]")
    page.wait_for_selector("[data-testid=categories]")
    taps.tap(category(page, "Cocktails"))
    page.wait_for_selector("[data-testid=menu-biere]")
    taps.tap("[data-testid=menu-biere]")
    page.wait_for_selector("[data-testid=tab] >> text=Draught beer")
    taps.tap("[data-testid=menu-biere]")
    page.wait_for_selector("[data-testid=total] >> text=€10.00")
    taps.tap(category(page, "Main courses"))
    page.wait_for_selector("[data-testid=menu-croque]")
    taps.tap("[data-testid=menu-croque]")
    page.wait_for_selector("[data-testid=total] >> text=€22.00")
    taps.tap("[data-testid=send]")
    page.wait_for_selector("text=Sent to the kitchen.")
    # everything is sent: the payment step is open; cash, then the 50 € note
    taps.tap("[data-testid=tender-cash]")
    taps.tap("[data-testid=quick-amounts] >> text=€50.00")
    page.wait_for_selector("[data-testid=receipt]")
    assert "€28.00" in page.inner_text("[data-testid=change]")
    assert Order.objects.get().ticket.total == Decimal("22.00")
    MEASURED["beers_and_croque_cash"] = taps.count
    assert taps.count <= BUDGETS["beers_and_croque_cash"], taps.count


def test_a_rib_eye_medium_and_a_gluten_free_salad_sent_as_two_courses(
    open_as, live_server, restaurant, terminal, waiter
):
    page = open_as(waiter, terminal)
    _open(page, live_server, "2")
    taps = Taps(page)
    taps.tap(category(page, "Main courses"))
    page.wait_for_selector("[data-testid=menu-entrecote]")
    taps.tap("[data-testid=menu-entrecote]")  # opens its sheet: the cooking is required
    taps.tap("[data-testid=modifier-medium] >> xpath=..")
    taps.tap("[data-testid=add-entrecote]")
    page.wait_for_selector("[data-testid=tab] >> text=Medium")
    # the salad's groups are all optional: one tap adds it, its option is on its line
    taps.tap("[data-testid=menu-salade-nicoise]")
    page.wait_for_selector("[data-testid=tab] >> text=Niçoise salad")
    salad = TableTab.objects.get(table__label="2").lines.get(product__code="salade-nicoise")
    taps.tap(f"[data-testid=options-{salad.pk}]")
    taps.tap(f"[data-testid=line-{salad.pk}] [data-testid=line-modifier-gluten-free]")
    page.wait_for_selector(f"[data-testid=line-{salad.pk}] .line-desc >> text=Gluten free")
    taps.tap("[data-testid=send]")
    page.wait_for_selector("text=Sent to the kitchen.")
    tab = TableTab.objects.get(table__label="2")
    # the salad (a starter) went to the kitchen; the rib-eye (a main) waits to be fired
    assert {(line.product.code, line.course) for line in tab.lines.all()} == {
        ("salade-nicoise", 1),
        ("entrecote", 2),
    }
    assert [t.course for t in KitchenTicket.objects.filter(tab=tab)] == [1]
    assert page.is_visible("[data-testid=fire]")
    MEASURED["two_courses"] = taps.count
    assert taps.count <= BUDGETS["two_courses"], taps.count


def test_a_dish_with_only_optional_choices_is_added_in_one_tap(
    open_as, live_server, restaurant, terminal, waiter
):
    page = open_as(waiter, terminal)
    _open(page, live_server, "3")
    taps = Taps(page)
    taps.tap(category(page, "Main courses"))
    taps.tap("[data-testid=menu-salade-nicoise]")
    page.wait_for_selector("[data-testid=tab] >> text=Niçoise salad")
    assert not page.is_visible(".dish-sheet[open]")  # no sheet asked anything
    line = TableTab.objects.get(table__label="3").lines.get()
    assert line.modifier_ids == []
    # its extra fries are one tap on its line, and one more takes them off
    taps.tap(f"[data-testid=options-{line.pk}]")
    taps.tap(f"[data-testid=line-{line.pk}] [data-testid=line-modifier-extra-fries]")
    page.wait_for_selector(f"[data-testid=line-{line.pk}] .line-desc >> text=Extra fries")
    assert "€" in page.inner_text("[data-testid=total]")
    line.refresh_from_db()
    assert len(line.modifier_ids) == 1
    page.click(f"[data-testid=options-{line.pk}]")
    page.click(f"[data-testid=line-{line.pk}] [data-testid=line-modifier-extra-fries]")
    page.wait_for_selector(
        f"[data-testid=line-{line.pk}] .line-desc >> text=Extra fries", state="detached"
    )
    line.refresh_from_db()
    assert line.modifier_ids == [] and taps.count == 4


def test_a_four_cover_bill_split_by_cover_and_two_shares_paid_by_card(
    open_as, live_server, restaurant, terminal, waiter, product
):
    from pos.services.tables import tab_add_line, tab_send, table_open

    tab = table_open(table=restaurant["6"], covers=4, actor=waiter)
    tab_add_line(tab=tab, product=product("biere"), actor=waiter, quantity=Decimal("4"))
    tab_add_line(tab=tab, product=product("croque"), actor=waiter, quantity=Decimal("4"))
    tab_send(tab=tab, actor=waiter)
    page = open_as(waiter, terminal)
    page.goto(f"{live_server.url}/pos/tabs/{tab.pk}/")
    taps = Taps(page)
    taps.tap("[data-testid=split-by-cover]")
    page.wait_for_selector("[data-testid=split-cover]")
    for n in (1, 2):
        taps.tap("[data-testid=tender-card]")
        taps.type("[data-testid=card-reference]", f"TPE-{n}")
        taps.tap("[data-testid=pay-card]")
        page.wait_for_selector(f"[data-testid=parts] li:nth-child({n})")
    shares = TabPart.objects.filter(tab=tab, kind=TabPart.Kind.COVER)
    assert [p.amount for p in shares] == [Decimal("17.00"), Decimal("17.00")]
    assert "€34.00" in page.inner_text("[data-testid=balance]")
    MEASURED["split_by_cover_card"] = taps.count
    assert taps.count <= BUDGETS["split_by_cover_card"], taps.count


@pytest.fixture
def room12(hotel, rooms, book):
    from pms.services.rooms import room_create
    from pms.services.stays import reservation_check_in

    room = room_create(room_type=rooms["classique"], number="12", floor=0)
    res = book("classique", nights=2, last_name="Douze")
    reservation_check_in(reservation=res, assignments={res.rooms.get().pk: room.pk})
    return res


def test_a_spa_slot_at_3pm_sold_at_the_desk_and_charged_to_room_12(
    open_as, live_server, terminal, cashier, product, room12
):
    terminal.outlet.quick_keys.set([product("massage-60")])
    page = open_as(cashier, terminal)
    page.goto(f"{live_server.url}/pos/counter/")
    taps = Taps(page)
    taps.tap("[data-testid=product-massage-60] button:has-text('15:00')")
    page.wait_for_selector("[data-testid=cart] >> text=15:00")
    taps.tap("[data-testid=tender-room]")
    taps.type("[data-testid=room-number]", "12")
    taps.tap("[data-testid=pay-room]")
    page.wait_for_selector("[data-testid=room-confirm] >> text=Douze")
    taps.tap("[data-testid=room-confirm-yes]")
    page.wait_for_selector("[data-testid=charged-to-room]")
    taps.tap("[data-testid=no-receipt]")
    page.wait_for_selector("[data-testid=barcode]")
    order = Order.objects.get()
    assert order.reservation == room12 and order.status == Order.Status.CHARGED_TO_ROOM
    MEASURED["spa_room"] = taps.count
    assert taps.count <= BUDGETS["spa_room"], taps.count
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "tap-counts.json").write_text(json.dumps(MEASURED, indent=2))


def test_two_of_three_baskets_refunded_in_cash_with_a_managers_pin(
    open_as, live_server, catalog, terminal, cashier, manager, product
):
    """A part refund at the till (768×1024): the lines, their quantities, the tender; the
    credit ticket shows under the sale, the baskets are back on sale."""
    from billing.models import Payment, Ticket
    from billing.services.payments import TenderInput
    from pos.services.checkout import order_checkout
    from tests.pos.helpers import due, line

    baskets = product("panier-gourmand")
    lines = [line(baskets, "3"), line(product("cafe"))]
    order = order_checkout(
        property=terminal.property,
        terminal=terminal,
        actor=cashier,
        lines=lines,
        tenders=[
            TenderInput(
                method="card", amount=due(terminal.property, lines), terminal_reference="T1"
            )
        ],
    )
    basket_line = order.ticket.lines.get(product=baskets)
    page = open_as(cashier, terminal)
    page.goto(f"{live_server.url}/pos/counter/receipt/{order.pk}/")
    page.click("text=Refund this sale")
    page.fill(f"#qty-{basket_line.pk}", "2")
    page.select_option("[data-testid=refund-method]", "cash")
    page.fill("#reason", "Paniers abîmés")
    page.select_option("#approver", str(manager.pk))
    page.fill("#pin", "666666")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "refund-lines-768x1024.png"), full_page=True)
    page.click("[data-testid=refund]")
    page.wait_for_selector("text=The lines chosen are refunded.")
    credit = Ticket.objects.get(credits=order.ticket)
    shown = page.inner_text("[data-testid=credit-ticket]")
    assert f"Refund {credit}" in shown and "× -2" in shown and "Cash" in shown
    assert Payment.objects.get(amount__lt=0).method == "cash"
    # a second refund of three baskets is refused: one is left
    page.click("text=Refund this sale")
    assert page.get_attribute(f"#qty-{basket_line.pk}", "max") == "1"
    assert "2 already refunded" in page.inner_text("[data-testid=refund-form]")
    page.screenshot(path=str(ARTIFACTS / "refund-credit-768x1024.png"), full_page=True)


def test_a_spa_slot_sold_at_the_till_says_its_day_and_time_on_the_receipt_and_the_folio(
    open_as, live_server, terminal, cashier, product, room12
):
    from billing.models import FolioLine

    terminal.outlet.quick_keys.set([product("massage-60")])
    page = open_as(cashier, terminal)
    page.goto(f"{live_server.url}/pos/counter/")
    page.click("[data-testid=product-massage-60] button:has-text('15:00')")
    page.wait_for_selector("[data-testid=cart] >> text=15:00")
    page.click("[data-testid=tender-room]")
    page.fill("[data-testid=room-number]", "12")
    page.click("[data-testid=pay-room]")
    page.click("[data-testid=room-confirm-yes]")
    page.wait_for_selector("[data-testid=charged-to-room]")
    today = terminal.property.business_date().strftime("%m/%d/%Y")
    assert f"{today} 15:00" in page.inner_text("[data-testid=receipt]")
    assert FolioLine.objects.get().description.endswith(f"{today} 15:00")


def test_the_cook_86s_a_dish_from_the_kitchen_display_and_the_tablet_stops_offering_it(
    open_as, live_server, restaurant, terminal, waiter, product
):
    from pos.services.tables import tab_add_line, tab_send, table_open

    tab = table_open(table=restaurant["7"], covers=2, actor=waiter)
    line = tab_add_line(tab=tab, product=product("croque"), actor=waiter)
    tab_send(tab=tab, actor=waiter)
    kitchen = open_as(waiter, terminal)
    kitchen.goto(f"{live_server.url}/pos/kitchen/kitchen/")
    kitchen.click(f"[data-testid=sold-out-{line.pk}]")
    kitchen.wait_for_selector("text=is sold out until the end of the service")
    assert kitchen.is_visible(f"[data-testid=back-on-sale-{line.pk}]")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    kitchen.screenshot(path=str(ARTIFACTS / "kitchen-86-768x1024.png"), full_page=True)
    croque = product("croque")
    assert croque.sold_out_until is not None
    tablet = open_as(waiter, terminal)
    _open(tablet, live_server, "1")
    tablet.click(category(tablet, "Main courses"))
    tablet.wait_for_selector("[data-testid=menu-croque][data-sold-out=true]")
    # back on sale from the same screen
    kitchen.click(f"[data-testid=back-on-sale-{line.pk}]")
    kitchen.wait_for_selector("text=is back on sale")
    assert product("croque").sold_out_until is None


def _axe(page) -> list[str]:
    """axe-core's serious and critical violations of the page (the script is evaluated by
    the browser's debugger, never served to a user's page)."""
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_staff_screen_at_each_size_passes_axe(
    open_as, live_server, size, hotel, restaurant, terminal, waiter, manager, product, room12
):
    from pos.services.tables import tab_add_line, tab_send, table_open

    tab = table_open(table=restaurant["3"], covers=2, actor=waiter)
    tab_add_line(tab=tab, product=product("salade-nicoise"), actor=waiter)
    tab_send(tab=tab, actor=waiter)
    tab_add_line(tab=tab, product=product("biere"), actor=waiter, quantity=Decimal("2"))
    page = open_as(manager, terminal, size)
    found, widths = {}, {}
    screens = [
        ("waiter-floor", "/pos/tables/", None),
        ("waiter-tab", f"/pos/tabs/{tab.pk}/", None),
        ("waiter-sheet", f"/pos/tabs/{tab.pk}/", "sheet"),
        ("payment", f"/pos/tabs/{tab.pk}/", "pay"),
        ("till", "/pos/counter/", None),
        ("kitchen-display", "/pos/kitchen/kitchen/", None),
        ("cash", "/pos/cash/", None),
        ("front-desk", "/frontdesk/", None),
        ("housekeeping", "/housekeeping/", None),
    ]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name, path, step in screens:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status < 500, (name, response.status)
        if step == "sheet":
            page.click(category(page, "Main courses"))
            page.click("[data-testid=menu-entrecote]")
            page.wait_for_selector(".dish-sheet[open] .sheet")
        if step == "pay":
            page.click("[data-testid=pay-open]")
            page.click("[data-testid=tender-cash]")
        page.screenshot(path=str(ARTIFACTS / f"{name}-{size[0]}x{size[1]}.png"), full_page=True)
        found[name] = _axe(page)
        # nothing pushes the page sideways: a waiter never scrolls left and right
        widths[name] = page.evaluate("document.documentElement.scrollWidth")
    assert not {k: v for k, v in found.items() if v}, json.dumps(found, indent=1)
    assert not {k: w for k, w in widths.items() if w > size[0]}, widths


# every role's menu, in French (the longer labels): the cashier's seven screens once cut
# "Inv…" off a bar that scrolled sideways at 768 px; the manager's fifty screens went on for
# six screen widths
ROLES = ["waiter", "bartender", "cashier", "front_desk", "housekeeping", "accountant", "manager"]
MENU = """() => {
  const nav = document.querySelector('nav.mainnav');
  const shown = (e) => e.offsetParent !== null && getComputedStyle(e).display !== 'none';
  const box = (e) => e.getBoundingClientRect();
  const links = [...nav.querySelectorAll('a:not(.nav-account a)')].filter(shown);
  const top = document.querySelector('header.topbar');
  const out = (a) => box(a).left < 0 || box(a).right > window.innerWidth;
  return {
    page: document.documentElement.scrollWidth,
    nav: [nav.scrollWidth, nav.clientWidth],
    top: [top.scrollWidth, top.clientWidth],
    outside: links.filter(out).map((a) => a.textContent),
    labels: links.map((a) => a.textContent.trim()),
  };
}"""


# the header (the top bar and the menu under it): its rows, told apart by where their visible
# items start, and its height; on a phone it once took four rows (the name, switch user and
# sign out, FR/EN, then the menu) before the first line of the screen
HEADER = """() => {
  const top = document.querySelector('header.topbar');
  const nav = document.querySelector('nav.mainnav');
  const shown = (e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden'
    && !e.classList.contains('sr-only') && !e.classList.contains('spacer');
  const items = [...top.children, ...(nav ? nav.children : [])].filter(shown);
  const rows = [];
  for (const e of items) {
    const y = e.getBoundingClientRect().top;
    if (!rows.some((r) => Math.abs(r - y) < 20)) rows.push(y);
  }
  const bottom = (nav || top).getBoundingClientRect().bottom;
  return {rows: rows.length, height: Math.round(bottom - top.getBoundingClientRect().top)};
}"""
# what a phone's "More" panel holds besides the screens: the account's buttons
ACCOUNT = """() => [...document.querySelectorAll('[data-testid=nav-account] :is(a, button)')]
  .filter((e) => e.getClientRects().length > 0)
  .map((e) => { const b = e.getBoundingClientRect();
    return {label: e.textContent.trim(), inside: b.left >= 0 && b.right <= window.innerWidth,
            tall: b.height >= 44}; })"""

ONE_ROW = """() => {
  const nav = document.querySelector('nav.mainnav');
  const items = [...nav.children].filter((e) => e.offsetParent !== null);
  return new Set(items.map((e) => Math.round(e.getBoundingClientRect().top))).size === 1;
}"""


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_roles_menu_fits_the_screen_without_scrolling_sideways(
    open_as, live_server, hotel, size, role
):
    from core.navigation import NAV_PHONE, items_for
    from tests.factories.core import make_staff

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = open_as(make_staff(hotel, role), None, size)
    page.context.add_cookies([{"name": "django_language", "value": "fr", "url": live_server.url}])
    page.goto(f"{live_server.url}/")
    menu = page.evaluate(MENU)
    header = page.evaluate(HEADER)
    with translation.override("fr"):
        screens = [str(item["label"]) for item in items_for(role)]
    if size == (390, 844):
        # two rows on a phone (the bar, then the menu): 2 × 56 px, the bar's row
        assert header["rows"] <= 2 and header["height"] <= 112, header
        assert not page.is_visible("header.topbar [data-testid=pin-switch]")
    else:
        # a tablet's header is as it was: the account's buttons in the bar
        assert page.is_visible("header.topbar [data-testid=pin-switch]")
        assert page.is_visible("header.topbar button:text-is('Déconnexion')")
        assert not page.is_visible("[data-testid=nav-account]")
    if page.is_visible("[data-testid=nav-more]"):
        # a long menu (or any but the shortest on a phone): its first screens in the bar,
        # every other one behind "More"
        bar = menu["labels"]
        page.click("[data-testid=nav-more] summary")
        opened = page.evaluate(MENU)
        assert opened["outside"] == [], opened
        assert sorted(opened["labels"]) == sorted(screens), opened["labels"]
        assert min(NAV_PHONE, len(screens)) <= len(bar) <= len(screens)
        if size == (390, 844):
            # nothing lost on the phone: switch user, sign out and the languages, full-size
            account = page.evaluate(ACCOUNT)
            labels = [a["label"] for a in account]
            assert labels == ["Changer d'utilisateur", "Déconnexion", "FR", "EN"], account
            assert all(a["inside"] and a["tall"] for a in account), account
        # the bar and its "More" on one row
        assert page.evaluate(ONE_ROW), bar
        name = f"menu-{role}-more-{size[0]}x{size[1]}.png"
        page.screenshot(path=str(ARTIFACTS / name), full_page=True)
        if len(bar) < len(screens):
            # a screen reached from "More" marks it as the way back there
            page.locator("nav.mainnav .navmore-panel > a:visible").last.click()
            page.wait_for_selector("[data-testid=nav-more] summary:is(.active, .active-narrow)")
            page.goto(f"{live_server.url}/")
    else:
        assert menu["labels"] == screens  # every screen in the bar, none cut off
    assert menu["page"] <= size[0] and menu["nav"][0] <= menu["nav"][1], menu
    assert menu["top"][0] <= menu["top"][1] and menu["outside"] == [], menu
    page.screenshot(path=str(ARTIFACTS / f"menu-{role}-{size[0]}x{size[1]}.png"))
