"""The tablet's taps through htmx: each answers in one request with the part of the screen
that changed (the order column), or with the next screen (the tab after opening a table,
the receipt after the last payment) and its address; errors are shown in that part; a
tab closed meanwhile is never shown as open."""

import re
from decimal import Decimal
from unittest.mock import patch

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import Membership, Role
from pos.models import KitchenTicket, Order, TableTab, TabLine
from tests.factories.core import make_staff
from tests.pos.helpers import required_choices
from tests.pos.screens.test_waiter import add, open_tab

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def hx_post(client, path, data=None):
    return client.post(path, data or {}, **HX)


def test_opening_a_table_answers_with_the_tab_screen_and_its_address(tablet, tables):
    response = hx_post(tablet, f"/pos/tables/{tables['5'].pk}/open/", {"covers": "3"})
    tab = TableTab.objects.get(table=tables["5"], status=TableTab.Status.OPEN)
    assert response.status_code == 200
    assert response["HX-Push-Url"] == f"/pos/tabs/{tab.pk}/"
    # the screen's <main> and title alone: the header is already on the tablet
    page = response.content.decode()
    assert page.lstrip().startswith("<title>") and "<main>" in page and "topbar" not in page
    assert 'data-testid="tab"' in page and "Table 5 · 3 covers" in page


def test_opening_a_table_reads_no_lines_for_the_tab_it_has_just_created(
    tablet, tables, django_assert_max_num_queries
):
    hx_post(tablet, f"/pos/tables/{tables['6'].pk}/open/", {"covers": "2"})  # menu cached
    # the table, its lock, the tab and its audit entry, then the screen's free tables and
    # open tabs (to move or merge)
    with django_assert_max_num_queries(9):
        response = hx_post(tablet, f"/pos/tables/{tables['5'].pk}/open/", {"covers": "2"})
    assert 'data-testid="tab"' in response.content.decode()
    assert "Tap a dish or a drink." in response.content.decode()


def test_each_tap_after_a_share_is_paid_still_shows_what_is_left(tablet, tables, product):
    """A tab with a part paid: the order column that add and send redraw lists the part
    and the balance, as the whole tab page does."""
    tab = open_tab(tablet, tables["5"])
    add(tablet, tab, product("entrecote"))  # 29.00
    paid = hx_post(
        tablet,
        f"/pos/tabs/{tab.pk}/pay/",
        {"split": "amount", "amount": "10", "action": "cash", "pay_key": "s1"},
    )
    assert 'data-testid="balance">€19.00' in paid.content.decode()
    added = hx_post(tablet, f"/pos/tabs/{tab.pk}/add/", {"product_id": product("biere").pk})
    cart = added.content.decode()
    assert 'data-testid="parts"' in cart and "€10.00" in cart
    assert 'data-testid="balance">€24.00' in cart
    sent = hx_post(tablet, f"/pos/tabs/{tab.pk}/send/").content.decode()
    assert "Sent to the kitchen." in sent
    assert 'data-testid="parts"' in sent and 'data-testid="balance">€24.00' in sent
    # and without a part, no balance line
    other = open_tab(tablet, tables["6"])
    fresh = hx_post(tablet, f"/pos/tabs/{other.pk}/add/", {"product_id": product("biere").pk})
    assert 'data-testid="balance"' not in fresh.content.decode()


def test_a_table_opened_meanwhile_sends_the_tablet_back_to_the_floor_plan(tablet, tables):
    """Two waiters open table 5 at once (or the plan was 5 s old): the second tablet gets
    the whole floor plan again with the reason, not an empty screen."""
    hx_post(tablet, f"/pos/tables/{tables['5'].pk}/open/", {"covers": "2"})
    response = hx_post(tablet, f"/pos/tables/{tables['5'].pk}/open/", {"covers": "2"})
    assert response["HX-Redirect"] == "/pos/tables/"
    page = tablet.get("/pos/tables/").content.decode()
    assert "already open" in page
    assert TableTab.objects.filter(table=tables["5"]).count() == 1


def test_a_tap_after_the_session_expired_loads_the_sign_in_page(tablet, tables):
    tab = open_tab(tablet, tables["5"])
    tablet.logout()
    response = hx_post(tablet, f"/pos/tabs/{tab.pk}/send/")
    assert response["HX-Redirect"] == f"/login/?next=/pos/tabs/{tab.pk}/send/"


def test_adding_an_item_redraws_the_order_column_only(tablet, tables, product,
                                                      django_assert_max_num_queries):  # fmt: skip
    tab = open_tab(tablet, tables["5"])
    add(tablet, tab, product("biere"))
    rib_eye = product("entrecote")
    cooked = {"product_id": rib_eye.pk, **required_choices(rib_eye)}  # its cooking chosen
    add(tablet, tab, rib_eye)
    # a dish already ordered today (validated and priced then, under the catalog token):
    # the tab locked (it says it has no part paid yet), the new line, then the column's
    # lines, in a transaction of its own (two savepoints here, in the test's transaction);
    # the managers who may approve are read this first time, then come from the cache
    with django_assert_max_num_queries(6):
        response = hx_post(tablet, f"/pos/tabs/{tab.pk}/add/", cooked)
    assert response.status_code == 200
    cart = response.content.decode()
    assert cart.lstrip().startswith('<div id="cart">') and "<html" not in cart
    assert "Grilled rib-eye" in cart and 'data-testid="total">€63.00' in cart
    assert TabLine.objects.filter(tab=tab).count() == 3


def test_a_refused_item_is_explained_in_the_order_column_and_nothing_is_added(tablet, tables):
    tab = open_tab(tablet, tables["5"])
    response = hx_post(tablet, f"/pos/tabs/{tab.pk}/add/", {"product_id": "999999"})
    assert response.status_code == 200
    cart = response.content.decode()
    assert 'class="messages"' in cart and "No such product." in cart
    assert not TabLine.objects.filter(tab=tab).exists()


def test_the_same_dish_twice_is_quoted_once_until_the_catalog_changes(tablet, tables, product):
    """The second rib-eye of the day skips the quote (same product, modifiers and quantity
    under the same catalog token) and still gets its name and price; a price change makes
    the next one quoted again."""
    from pos.services import tables as table_services

    tab = open_tab(tablet, tables["5"])
    rib_eye = product("entrecote")
    cooked = {"product_id": rib_eye.pk, **required_choices(rib_eye)}  # its cooking chosen
    with patch.object(table_services, "quote", wraps=table_services.quote) as quote:
        first = hx_post(tablet, f"/pos/tabs/{tab.pk}/add/", cooked)
        second = hx_post(tablet, f"/pos/tabs/{tab.pk}/add/", cooked)
        assert quote.call_count == 1
        rib_eye.price = Decimal("31.00")
        rib_eye.save()
        third = hx_post(tablet, f"/pos/tabs/{tab.pk}/add/", cooked)
        assert quote.call_count == 2
    assert first.status_code == second.status_code == third.status_code == 200
    lines = list(TabLine.objects.filter(tab=tab))
    assert len(lines) == 3 and len({line.description for line in lines}) == 1
    assert lines[0].description.startswith("Grilled rib-eye")
    assert 'data-testid="total">€93.00' in third.content.decode()


def test_a_dish_is_named_in_each_waiters_language(tablet, tables, product):
    tab = open_tab(tablet, tables["5"])
    rib_eye = product("entrecote")
    cooked = {"product_id": rib_eye.pk, **required_choices(rib_eye)}  # its cooking chosen
    tablet.cookies["django_language"] = "fr"
    hx_post(tablet, f"/pos/tabs/{tab.pk}/add/", cooked)
    tablet.cookies["django_language"] = "en"
    hx_post(tablet, f"/pos/tabs/{tab.pk}/add/", cooked)
    french, english = (line.description for line in TabLine.objects.filter(tab=tab))
    assert french.startswith(rib_eye.name_fr) and english.startswith(rib_eye.name_en)
    assert french != english


def test_send_redraws_the_order_column_with_its_message(tablet, tables, product,
                                                        django_assert_max_num_queries):  # fmt: skip
    earlier = open_tab(tablet, tables["6"])  # the stations' printers read and cached
    add(tablet, earlier, product("biere"))
    hx_post(tablet, f"/pos/tabs/{earlier.pk}/send/")
    tab = open_tab(tablet, tables["5"])
    add(tablet, tab, product("entrecote"))
    # the tab locked, its lines (the column is redrawn from them), the course fired, the
    # ticket, its lines marked, the audit entry
    with django_assert_max_num_queries(8):
        response = hx_post(tablet, f"/pos/tabs/{tab.pk}/send/")
    cart = response.content.decode()
    assert response.status_code == 200 and "Sent to the kitchen." in cart
    assert 'data-testid="send"' not in cart  # nothing left to send
    assert KitchenTicket.objects.filter(tab=tab).count() == 1


def test_the_last_payment_answers_with_the_receipt_screen(
    tablet, tables, product, django_assert_max_num_queries
):
    # the day's first sale creates the ticket numbering and the journal chain: not measured
    first = open_tab(tablet, tables["6"])
    add(tablet, first, product("biere"))
    hx_post(tablet, f"/pos/tabs/{first.pk}/pay/", {"action": "cash", "pay_key": "h0"})
    tab = open_tab(tablet, tables["5"])
    add(tablet, tab, product("entrecote"))
    cash = {"action": "cash", "tendered": "50", "pay_key": "h1"}
    with django_assert_max_num_queries(34):
        response = hx_post(tablet, f"/pos/tabs/{tab.pk}/pay/", cash)
    order = Order.objects.get(tab=tab)
    assert response.status_code == 200
    assert response["HX-Push-Url"] == f"/pos/counter/receipt/{order.pk}/"
    assert response["HX-Retarget"] == "main"
    page = response.content.decode()
    assert 'data-testid="receipt"' in page and "21.00" in page  # change given on 50
    tab.refresh_from_db()
    assert tab.status == TableTab.Status.CLOSED
    # a double tap replays the same part: the same receipt, no second sale
    again = hx_post(tablet, f"/pos/tabs/{tab.pk}/pay/", cash)
    assert again["HX-Push-Url"] == f"/pos/counter/receipt/{order.pk}/"
    assert Order.objects.filter(tab=tab).count() == 1


def test_a_tab_payment_writes_the_tab_before_the_property_wide_locks(tablet, tables, product):
    """The ticket numbering and the journal chain are one row each per property, locked
    until commit: every other till's sale waits for them. The tab's part, its lines and the
    tab itself are written before them, so that little is left to do once they are held."""
    first = open_tab(tablet, tables["6"])  # the numbering and the chain exist
    add(tablet, first, product("biere"))
    hx_post(tablet, f"/pos/tabs/{first.pk}/pay/", {"action": "cash", "pay_key": "w0"})
    tab = open_tab(tablet, tables["5"])
    add(tablet, tab, product("entrecote"))
    with CaptureQueriesContext(connection) as queries:
        hx_post(tablet, f"/pos/tabs/{tab.pk}/pay/", {"action": "cash", "pay_key": "w1"})
    sql = [q["sql"] for q in queries.captured_queries]
    numbering = next(i for i, q in enumerate(sql) if "UPDATE billing_numbersequence" in q)
    tab_writes = [
        i
        for i, q in enumerate(sql)
        if q.startswith(
            ('INSERT INTO "pos_tabpart"', 'UPDATE "pos_tabletab"', 'UPDATE "pos_tabline"')
        )
    ]
    assert len(tab_writes) == 3 and max(tab_writes) < numbering
    assert TableTab.objects.get(pk=tab.pk).status == TableTab.Status.CLOSED
    assert Order.objects.get(tab=tab).ticket.total == product("entrecote").price


def test_a_part_payment_keeps_the_tab_open_and_says_what_is_left(tablet, tables, product):
    tab = open_tab(tablet, tables["5"])
    add(tablet, tab, product("entrecote"))
    add(tablet, tab, product("biere"))
    rib_eye = TabLine.objects.get(tab=tab, product=product("entrecote"))
    response = hx_post(
        tablet,
        f"/pos/tabs/{tab.pk}/pay/",
        {"split": "items", "line": [rib_eye.pk], "action": "cash", "pay_key": "p1"},
    )
    cart = response.content.decode()
    assert response.status_code == 200 and "HX-Push-Url" not in response
    assert "Part paid" in cart and 'data-testid="balance">€5.00' in cart


def test_a_tap_on_a_tab_paid_on_another_tablet_shows_its_receipt(tablet, tables, product):
    tab = open_tab(tablet, tables["5"])
    add(tablet, tab, product("entrecote"))
    hx_post(tablet, f"/pos/tabs/{tab.pk}/pay/", {"action": "cash", "pay_key": "x1"})
    # when: the other tablet, still on the old screen, adds a beer
    response = hx_post(tablet, f"/pos/tabs/{tab.pk}/add/", {"product_id": product("biere").pk})
    # then: refused, and the screen moves to the receipt with the reason
    order = Order.objects.get(tab=tab)
    assert response["HX-Push-Url"] == f"/pos/counter/receipt/{order.pk}/"
    assert "This table is already closed." in response.content.decode()
    assert TabLine.objects.filter(tab=tab).count() == 1


def test_a_membership_switched_off_takes_effect_on_the_next_tap(tablet, tables, waiter, hotel):
    """The staff screens keep the memberships in the shared cache; a change drops it."""
    assert tablet.get("/pos/tables/").status_code == 200
    membership = Membership.objects.get(user=waiter, property=hotel)
    membership.is_active = False
    membership.save()
    assert tablet.get("/pos/tables/").status_code == 403
    membership.is_active = True
    membership.role = "housekeeping"
    membership.save()
    assert tablet.get("/pos/tables/").status_code == 403


def _approver_options(cart: str) -> list[str]:
    select = re.search(r'<select id="approver-\d+" name="approver"[^>]*>(.*?)</select>', cart, re.S)
    assert select, "the order column shows no manager approval"
    return re.findall(r"<option [^>]*>([^<]*)</option>", select.group(1))


def test_managers_listed_for_approval_follow_staff_changes_at_once(tablet, tables, product,
                                                                   hotel, manager):  # fmt: skip
    """The approvers list is cached for the tablet's taps; a new manager, a manager who
    left or a renamed one shows on the very next tap."""
    tab = open_tab(tablet, tables["5"])
    beer = product("biere")
    cart = hx_post(tablet, f"/pos/tabs/{tab.pk}/add/", {"product_id": beer.pk}).content.decode()
    assert _approver_options(cart) == [manager.get_full_name()]
    with CaptureQueriesContext(connection) as queries:
        cart = hx_post(tablet, f"/pos/tabs/{tab.pk}/add/", {"product_id": beer.pk})
    assert '"core_membership"' not in " ".join(q["sql"] for q in queries.captured_queries)
    # a manager joins
    zoe = make_staff(hotel, Role.MANAGER, username="zoe")
    cart = hx_post(tablet, f"/pos/tabs/{tab.pk}/add/", {"product_id": beer.pk}).content.decode()
    assert set(_approver_options(cart)) == {manager.get_full_name(), zoe.get_full_name()}
    # one is renamed, the other leaves the property
    manager.first_name, manager.last_name = "Anne", "Aubry"
    manager.save()
    membership = Membership.objects.get(user=zoe)
    membership.is_active = False
    membership.save()
    cart = hx_post(tablet, f"/pos/tabs/{tab.pk}/add/", {"product_id": beer.pk}).content.decode()
    assert _approver_options(cart) == ["Anne Aubry"]
