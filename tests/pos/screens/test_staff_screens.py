"""The staff screens under pressure (issue 20): the outlet's own menu, required choices
refused server-side, dishes 86'd greyed and refused, a dish filed in its own course, + / −,
repeat and seats, the cash quick amounts, charge to room confirmed by the guest's name, the
kitchen display's table, covers, allergens, timer, per-dish bump and recall, and French
plurals and words a French waiter reads."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from core.exceptions import InvalidInput
from inventory.catalog_cache import catalog_version
from inventory.exceptions import SoldOut
from inventory.models import Category, Modifier
from pos.models import KitchenTicket, Order, TabLine
from pos.services.tables import tab_add_line, tab_send
from pos.views.tables import quick_amounts
from tests.pos.helpers import required_choices
from tests.pos.screens.test_waiter import add, open_tab

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def test_a_rib_eye_without_its_cooking_is_refused_with_the_reason(tablet, tables, product, waiter):
    tab = open_tab(tablet, tables["5"])
    rib_eye = product("entrecote")
    # the service refuses it (the kitchen cannot cook it without)
    with pytest.raises(InvalidInput, match="Cooking"):
        tab_add_line(tab=tab, product=rib_eye, actor=waiter)
    # the tablet says why, and adds nothing
    cart = tablet.post(f"/pos/tabs/{tab.pk}/add/", {"product_id": rib_eye.pk}, **HX)
    assert "Choose Cooking for Grilled rib-eye, fries." in cart.content.decode()
    assert not TabLine.objects.filter(tab=tab).exists()
    # with its cooking it goes in, in the mains (its own course) though the waiter is on 1
    add(tablet, tab, rib_eye)
    line = TabLine.objects.get(tab=tab)
    assert line.course == 2 and "Blue" in line.description


def test_the_menu_asks_the_required_choice_in_a_sheet_and_shows_allergens(tablet, tables):
    tab = open_tab(tablet, tables["5"])
    page = tablet.get(f"/pos/tabs/{tab.pk}/").content.decode()
    plats = Category.objects.get(property=tab.property, name_fr="Plats")
    menu = tablet.get(f"/pos/tabs/{tab.pk}/?category={plats.pk}&course=1", **HX).content.decode()
    assert 'data-testid="add-entrecote"' in menu and "required" in menu
    assert 'data-testid="allergens-entrecote">Mustard' in menu
    assert 'data-testid="courses"' in page and 'data-testid="categories"' in page


def test_a_dish_86d_is_greyed_on_the_next_poll_and_refused(tablet, tables, product, waiter):
    tab = open_tab(tablet, tables["5"])
    plats = Category.objects.get(property=tab.property, name_fr="Plats")
    url = f"/pos/tabs/{tab.pk}/?category={plats.pk}&course=1"
    first = tablet.get(url, **HX).content.decode()
    version = first.split('data-menu-version="')[1].split('"')[0]
    # nothing changed: the poll answers "no change" and the tablet keeps its menu
    assert tablet.get(f"{url}&v={version}", **HX).status_code == 204
    # the kitchen says there is no more sea bass tonight
    bass = product("loup")
    bass.sold_out_until = timezone.now() + timedelta(hours=3)
    bass.save()
    poll = tablet.get(f"{url}&v={version}", **HX)
    assert poll.status_code == 200
    html = poll.content.decode()
    assert 'data-testid="menu-loup" data-sold-out="true"' in html and "Sold out" in html
    with pytest.raises(SoldOut):
        tab_add_line(tab=tab, product=product("loup"), actor=waiter)


def test_an_outlet_shows_its_own_categories_and_a_change_bumps_the_token(tablet, tables, terminal):
    tab = open_tab(tablet, tables["5"])
    boutique = Category.objects.filter(property=tab.property, name_fr="Boutique").first()
    plats = Category.objects.get(property=tab.property, name_fr="Plats")
    drinks = Category.objects.get(property=tab.property, name_fr="Boissons")
    # none chosen: every category with dishes
    page = tablet.get(f"/pos/tabs/{tab.pk}/").content.decode()
    assert f'data-testid="category-{plats.pk}"' in page
    token = catalog_version(property_id=tab.property_id)
    terminal.outlet.categories.set([drinks])
    assert catalog_version(property_id=tab.property_id) != token
    page = tablet.get(f"/pos/tabs/{tab.pk}/").content.decode()
    assert f'data-testid="category-{drinks.pk}"' in page
    assert f'data-testid="category-{plats.pk}"' not in page
    if boutique:
        assert f'data-testid="category-{boutique.pk}"' not in page


def test_plus_minus_repeat_and_seat_on_the_order(tablet, tables, product):
    tab = open_tab(tablet, tables["5"], covers=4)
    add(tablet, tab, product("biere"), seat="3")
    line = TabLine.objects.get(tab=tab)
    assert line.seat == 3
    tablet.post(f"/pos/tabs/{tab.pk}/lines/{line.pk}/quantity/", {"delta": "1"}, **HX)
    cart = tablet.post(
        f"/pos/tabs/{tab.pk}/lines/{line.pk}/quantity/", {"delta": "1"}, **HX
    ).content.decode()
    line.refresh_from_db()
    assert line.quantity == 3 and 'data-testid="total">€15.00' in cart
    tablet.post(f"/pos/tabs/{tab.pk}/lines/{line.pk}/quantity/", {"delta": "-1"}, **HX)
    cart = tablet.post(f"/pos/tabs/{tab.pk}/repeat/", **HX).content.decode()
    lines = list(TabLine.objects.filter(tab=tab).order_by("pk"))
    assert [(x.quantity, x.seat) for x in lines] == [(2, 3), (2, 3)]
    assert "seat 3" in cart and 'data-testid="total">€20.00' in cart
    # once sent, a line is voided, not changed
    tablet.post(f"/pos/tabs/{tab.pk}/send/")
    refused = tablet.post(
        f"/pos/tabs/{tab.pk}/lines/{line.pk}/quantity/", {"delta": "1"}, **HX
    ).content.decode()
    assert "already sent" in refused


def test_quick_amounts_are_the_next_notes_above_the_amount_due():
    assert quick_amounts(Decimal("17.00")) == [Decimal("20.00"), Decimal("50.00")]
    assert quick_amounts(Decimal("13.50")) == [
        Decimal("15.00"),
        Decimal("20.00"),
        Decimal("50.00"),
    ]
    # a round amount: the next note above it (the exact amount is its own button)
    assert quick_amounts(Decimal("60.00")) == [Decimal("65.00"), Decimal("70.00")]


def test_a_quick_amount_pays_in_cash_and_shows_the_change(tablet, tables, product):
    tab = open_tab(tablet, tables["5"])
    add(tablet, tab, product("biere"), quantity="2")
    add(tablet, tab, product("croque"))
    page = tablet.get(f"/pos/tabs/{tab.pk}/").content.decode()
    assert 'data-testid="pay-open"' in page and "€22.00" in page
    # one tap on "50": cash, 50 given, 28 back
    response = tablet.post(
        f"/pos/tabs/{tab.pk}/pay/", {"split": "full", "tendered": "50.00", "pay_key": "q1"}
    )
    order = Order.objects.get()
    assert response["Location"] == f"/pos/counter/receipt/{order.pk}/"
    receipt = tablet.get(response["Location"]).content.decode()
    assert "€28.00" in receipt
    # "exact": the amount due, no change
    tab2 = open_tab(tablet, tables["6"])
    add(tablet, tab2, product("biere"))
    tablet.post(
        f"/pos/tabs/{tab2.pk}/pay/", {"split": "full", "tendered": "exact", "pay_key": "q2"}
    )
    assert Order.objects.count() == 2


def test_split_by_cover_is_offered_in_one_tap(tablet, tables, product):
    tab = open_tab(tablet, tables["5"], covers=4)
    add(tablet, tab, product("biere"), quantity="4")
    cart = tablet.post(f"/pos/tabs/{tab.pk}/split/", {"parts": "4"}, **HX).content.decode()
    # the payment step stays open on "one share" for the next guest
    assert 'data-testid="split-cover"' in cart and "checked" in cart.split("split-cover")[0][-60:]
    assert "One share: €5.00 (4 shares left)" in cart


def test_the_kitchen_display_shows_table_covers_allergens_and_ages(
    tablet, tables, product, waiter, terminal
):
    tab = open_tab(tablet, tables["5"], covers=3)
    add(tablet, tab, product("entrecote"))
    tab_send(tab=tab, actor=waiter)
    ticket = KitchenTicket.objects.get()
    terminal.outlet.kds_amber_minutes, terminal.outlet.kds_red_minutes = 5, 15
    terminal.outlet.save()
    KitchenTicket.objects.filter(pk=ticket.pk).update(
        created_at=timezone.now() - timedelta(minutes=7)
    )
    display = tablet.get("/pos/kitchen/kitchen/", **HX).content.decode()
    assert "Table 5" in display and "3 covers" in display
    assert 'data-testid="kds-allergens">Allergens: Mustard' in display
    assert 'data-age="age-amber"' in display and "7 min" in display
    assert 'data-testid="all-day-item"><strong>1</strong>Grilled rib-eye, fries' in display
    KitchenTicket.objects.filter(pk=ticket.pk).update(
        created_at=timezone.now() - timedelta(minutes=16)
    )
    assert 'data-age="age-red"' in tablet.get("/pos/kitchen/kitchen/", **HX).content.decode()


def test_bump_per_dish_then_recall_the_last_ticket(tablet, tables, product, waiter):
    tab = open_tab(tablet, tables["5"])
    add(tablet, tab, product("entrecote"))
    add(tablet, tab, product("loup"))
    tab_send(tab=tab, actor=waiter)
    ticket = KitchenTicket.objects.get()
    first, second = ticket.lines.order_by("pk")
    url = f"/pos/kitchen/kitchen/tickets/{ticket.pk}"
    tablet.post(f"{url}/lines/{first.pk}/bump/", **HX)
    ticket.refresh_from_db()
    assert ticket.status == KitchenTicket.Status.NEW
    tablet.post(f"{url}/lines/{second.pk}/bump/", **HX)
    ticket.refresh_from_db()
    assert ticket.status == KitchenTicket.Status.BUMPED
    display = tablet.post("/pos/kitchen/kitchen/recall/", **HX).content.decode()
    ticket.refresh_from_db()
    assert ticket.status == KitchenTicket.Status.NEW and f"ticket-{ticket.pk}" in display
    assert not ticket.lines.exclude(bumped_at=None).exists()


def test_french_plurals_and_the_admins_change_link():
    from django.utils.translation import gettext, ngettext, pgettext

    # the words as the screens ask for them (held in names: the catalogue is not built from tests)
    cover, covers, seat, seats, night, nights, left = (
        "%(n)s cover",
        "%(n)s covers",
        "%(n)s seat",
        "%(n)s seats",
        "%(n)s night",
        "%(n)s nights",
        "%(n)s left",
    )
    change, money_back = "Change", "money given back"
    with translation.override("fr"):
        assert ngettext(cover, covers, 2) % {"n": 2} == "2 couverts"
        assert ngettext(seat, seats, 4) % {"n": 4} == "4 places"
        assert ngettext(night, nights, 2) % {"n": 2} == "2 nuits"
        assert "(s)" not in ngettext(left, left, 3)
        # the admin's "Change" link is not the change given back
        assert gettext(change) != "Rendu monnaie"  # Django's own words again
        assert pgettext(money_back, change) == "Rendu monnaie"


def test_the_floor_reads_covers_in_french(tablet, tables):
    tablet.cookies["django_language"] = "fr"
    open_tab(tablet, tables["5"], covers=2)
    page = tablet.get("/pos/tables/").content.decode()
    assert "2 couverts" in page and "4 places" in page


def test_charge_to_room_unknown_room_is_explained(tablet, tables, product):
    tab = open_tab(tablet, tables["5"])
    add(tablet, tab, product("biere"))
    cart = tablet.post(
        f"/pos/tabs/{tab.pk}/pay/",
        {"split": "full", "action": "room", "room_number": "999", "pay_key": "r1"},
        **HX,
    ).content.decode()
    assert "Room 999 has no guest in house." in cart
    assert not Order.objects.exists()


def test_modifier_ids_of_a_required_group_answer_it(catalog, product):
    rib_eye = product("entrecote")
    chosen = required_choices(rib_eye)
    assert Modifier.objects.get(pk=next(iter(chosen.values()))).group.min_choices == 1
