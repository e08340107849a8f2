from decimal import Decimal

import pytest

from billing.models import Payment
from core.models import Role
from inventory.models import Modifier
from pos.models import KitchenTicket, Order, Table, TableTab, TabLine
from tests.factories.core import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def table(hotel, terminal):
    return Table.objects.create(
        property=hotel, outlet=terminal.outlet, label="T4", seats=4, pos_x=2, pos_y=1
    )


def open_tab(till, table, covers=3) -> TableTab:
    till.post(f"/pos/tables/{table.pk}/open/", {"covers": covers})
    return TableTab.objects.get(table=table, status=TableTab.Status.OPEN)


def test_floor_plan_opens_a_table_with_covers(till, table):
    # when
    page = till.get("/pos/tables/").content.decode()
    response = till.post(f"/pos/tables/{table.pk}/open/", {"covers": "3"})
    # then
    assert 'data-testid="table-T4"' in page
    tab = TableTab.objects.get(table=table)
    assert tab.covers == 3 and response["Location"] == f"/pos/tabs/{tab.pk}/"
    assert "3 covers" in till.get("/pos/tables/").content.decode()


def test_a_table_cannot_be_opened_twice(till, table):
    open_tab(till, table)
    again = till.post(f"/pos/tables/{table.pk}/open/", {"covers": "2"}, follow=True)
    assert "Table T4 is already open." in again.content.decode()
    assert TableTab.objects.count() == 1
    bad = till.post(f"/pos/tables/{table.pk}/open/", {"covers": "0"}, follow=True)
    assert "Enter the number of covers" in bad.content.decode()


def test_items_with_modifiers_go_to_kitchen_and_bar_then_bump(till, table, product, hotel):
    # given
    tab = open_tab(till, table)
    rare = Modifier.objects.get(group__property=hotel, name_en="Rare")
    fries = Modifier.objects.get(group__property=hotel, name_en="Extra fries")
    # when
    till.post(
        f"/pos/tabs/{tab.pk}/add/",
        {
            "product_id": product("entrecote").pk,
            f"modifier_{rare.group_id}": rare.pk,
            f"modifier_{fries.group_id}": fries.pk,
        },
    )
    # the waiter is on the mains (the rib-eye's own course): the beers go with it
    till.post(
        f"/pos/tabs/{tab.pk}/add/",
        {"product_id": product("biere").pk, "quantity": "2", "course": "2"},
    )
    page = till.get(f"/pos/tabs/{tab.pk}/").content.decode()
    till.post(f"/pos/tabs/{tab.pk}/send/")
    # then
    assert "Rare" in page and "Extra fries" in page
    assert "42.00" in page  # 29 + 3 fries + 2 × 5 beer
    kitchen = KitchenTicket.objects.get(station="kitchen")
    bar = KitchenTicket.objects.get(station="bar")
    assert list(kitchen.lines.values_list("product__code", flat=True)) == ["entrecote"]
    assert list(bar.lines.values_list("product__code", flat=True)) == ["biere"]
    display = till.get("/pos/kitchen/kitchen/", HTTP_HX_REQUEST="true").content.decode()
    assert "Rare" in display and "T4" in display and "beer" not in display.lower()
    # when: a second send has nothing new; the cook bumps
    nothing = till.post(f"/pos/tabs/{tab.pk}/send/", follow=True)
    bumped = till.post(f"/pos/kitchen/kitchen/tickets/{kitchen.pk}/bump/", HTTP_HX_REQUEST="true")
    # then
    assert "Nothing new to send." in nothing.content.decode()
    assert KitchenTicket.objects.count() == 2
    kitchen.refresh_from_db()
    assert kitchen.status == KitchenTicket.Status.BUMPED
    # the cook's list is redrawn at once without the ticket
    assert bumped.status_code == 200
    assert f"ticket-{kitchen.pk}" not in bumped.content.decode()
    assert "Nothing to prepare." in bumped.content.decode()


def test_a_sent_line_cannot_be_removed(till, table, product):
    tab = open_tab(till, table)
    till.post(f"/pos/tabs/{tab.pk}/add/", {"product_id": product("biere").pk})
    till.post(f"/pos/tabs/{tab.pk}/send/")
    line = TabLine.objects.get()
    response = till.post(f"/pos/tabs/{tab.pk}/lines/{line.pk}/remove/", follow=True)
    assert "already sent to the kitchen" in response.content.decode()
    assert TabLine.objects.count() == 1


def test_an_invalid_modifier_is_refused(till, table, product, hotel):
    tab = open_tab(till, table)
    extra_shot = Modifier.objects.get(group__property=hotel, name_en="Extra shot")
    response = till.post(
        f"/pos/tabs/{tab.pk}/add/",
        {"product_id": product("biere").pk, f"modifier_{extra_shot.group_id}": extra_shot.pk},
        follow=True,
    )
    assert response.status_code == 200 and 'class="msg-error"' in response.content.decode()
    assert TabLine.objects.count() == 0


def test_paying_the_table_closes_it_once(till, table, product):
    # given
    tab = open_tab(till, table, covers=2)
    till.post(f"/pos/tabs/{tab.pk}/add/", {"product_id": product("biere").pk, "quantity": "2"})
    # when
    first = till.post(f"/pos/tabs/{tab.pk}/pay/", {"action": "cash", "tendered": "20"})
    second = till.post(f"/pos/tabs/{tab.pk}/pay/", {"action": "cash", "tendered": "20"})
    # then
    order = Order.objects.get()
    assert first["Location"] == second["Location"] == f"/pos/counter/receipt/{order.pk}/"
    assert order.table_label == "T4" and order.covers == 2
    assert Payment.objects.get().change == Decimal("10.00")
    tab.refresh_from_db()
    assert tab.status == TableTab.Status.CLOSED
    assert 'data-testid="table-T4"' in till.get("/pos/tables/").content.decode()
    assert till.post(f"/pos/tables/{table.pk}/open/", {"covers": 2}).status_code == 302


def test_tabs_and_kitchen_of_another_property_are_hidden(client, table, other_hotel, till):
    tab = open_tab(till, table)
    client.force_login(make_staff(other_hotel, Role.WAITER, username="elsewhere"))
    assert client.get(f"/pos/tabs/{tab.pk}/").status_code == 404
    assert client.post(f"/pos/tables/{table.pk}/open/", {"covers": 2}).status_code == 404
    assert client.get("/pos/kitchen/pastry/").status_code == 404


@pytest.mark.parametrize("htmx", [True, False])
def test_a_tap_on_a_tab_of_another_property_is_a_404_and_changes_nothing(
    client, table, other_hotel, till, product, htmx
):
    tab = open_tab(till, table)
    till.post(f"/pos/tabs/{tab.pk}/add/", {"product_id": product("biere").pk})
    client.force_login(make_staff(other_hotel, Role.WAITER, username="elsewhere"))
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    for action, data in (
        ("add", {"product_id": product("biere").pk}),
        ("send", {}),
        ("pay", {"action": "cash", "pay_key": "elsewhere-1"}),
    ):
        response = client.post(f"/pos/tabs/{tab.pk}/{action}/", data, **headers)
        assert response.status_code == 404, action
    tab.refresh_from_db()
    assert tab.status == TableTab.Status.OPEN
    assert [line.kitchen_ticket_id for line in tab.lines.all()] == [None]
    assert not KitchenTicket.objects.exists() and not Order.objects.exists()
    # and no error message waits for that waiter's next page
    assert 'class="msg-error"' not in client.get("/pos/tables/").content.decode()


def test_the_tab_services_refuse_a_tab_of_another_property(
    table, other_hotel, till, terminal, product
):
    from core.exceptions import NotFound
    from pos.services.tab_payments import tab_pay_part
    from pos.services.tables import tab_send

    tab = open_tab(till, table)
    till.post(f"/pos/tabs/{tab.pk}/add/", {"product_id": product("biere").pk})
    # the tab's id, claimed by another property (the views pass the tab unread)
    elsewhere = TableTab.from_db(None, ["id", "property_id"], [tab.pk, other_hotel.pk])
    elsewhere.property = other_hotel
    with pytest.raises(NotFound):
        tab_send(tab=elsewhere, actor=None)
    with pytest.raises(NotFound):
        tab_pay_part(tab=elsewhere, terminal=terminal, actor=None, client_key="elsewhere-2")
    assert not KitchenTicket.objects.exists() and not Order.objects.exists()


def test_housekeeping_cannot_see_the_kitchen(client, hotel):
    client.force_login(make_staff(hotel, Role.HOUSEKEEPING, username="hk"))
    assert client.get("/pos/kitchen/").status_code == 403
