"""Guest orders from a QR code (issue 25): a table's order joins the tab and the kitchen
once a waiter accepts it; a room's order is a sale charged to the in-house guest's folio,
confirmed by the surname (five wrong ones lock the room's code); a checked-out room refuses;
a phone resubmitting orders once; the last brownie goes to one phone."""

from decimal import Decimal

import pytest
from django.core.cache import cache

from billing.models import FolioLine, JournalEntry, Ticket
from core.exceptions import Conflict, InvalidInput, PermissionDenied
from inventory.exceptions import ChoiceRequired, SoldOut
from inventory.models import Modifier, Product
from pms.models import Reservation
from pos.exceptions import NotInHouse
from pos.guest_menu import guest_menu
from pos.models import GuestOrder, KitchenTicket, TableTab, TabLine
from pos.services.guest_orders import (
    ConfirmLocked,
    GuestLine,
    guest_order_accept,
    guest_order_place,
    guest_order_progress,
    guest_order_refuse,
    guest_point_rotate,
    point_from_token,
    point_token,
    room_confirm_wait,
)
from pos.services.tables import kitchen_ticket_bump, tab_mark_served

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


def _p(hotel, code):
    return Product.objects.get(property=hotel, code=code)


def _place(point, lines, key="k1", confirm=""):
    return guest_order_place(
        point=point,
        lines=lines,
        client_key=key,
        menu_products=guest_menu(point=point)["by_id"],
        confirm=confirm,
    )


def _table_order(hotel, point, key="k1"):
    rare = Modifier.objects.get(group__name_fr="Cuisson", name_fr="Saignant")
    return _place(
        point,
        [
            GuestLine(product_id=_p(hotel, "coca").pk, quantity=2),
            GuestLine(product_id=_p(hotel, "entrecote").pk, modifier_ids=(rare.pk,)),
        ],
        key=key,
    )


def test_the_token_opens_its_point_until_it_is_rotated(table_point, manager):
    token = point_token(table_point)
    assert point_from_token(token) == table_point
    assert point_from_token(token + "x") is None
    guest_point_rotate(point=table_point, actor=manager)
    assert point_from_token(token) is None
    assert point_from_token(point_token(table_point)) == table_point


def test_a_table_order_waits_for_the_waiter_then_joins_the_tab_and_the_kitchen(
    hotel, table_point, waiter
):
    order = _table_order(hotel, table_point)
    assert order.status == GuestOrder.Status.RECEIVED
    assert order.total == Decimal("38.00")  # 2 × 4.50 + 29.00
    assert not TableTab.objects.exists()
    assert guest_order_progress(order) == "received"

    guest_order_accept(guest_order=order, property=hotel, actor=waiter)
    order.refresh_from_db()
    assert order.status == GuestOrder.Status.ACCEPTED
    tab = TableTab.objects.get(table__label="7", status="open")
    assert order.tab == tab
    lines = list(TabLine.objects.filter(tab=tab))
    assert [line.guest_order_id for line in lines] == [order.pk, order.pk]
    assert all(line.kitchen_ticket_id for line in lines)  # every course sent at once
    stations = set(KitchenTicket.objects.filter(tab=tab).values_list("station", flat=True))
    assert stations == {"bar", "kitchen"}
    assert guest_order_progress(order) == "in_preparation"
    for ticket in KitchenTicket.objects.filter(tab=tab):
        kitchen_ticket_bump(ticket=ticket, actor=waiter)
    assert guest_order_progress(order) == "ready"
    tab_mark_served(tab=tab, actor=waiter)
    assert guest_order_progress(order) == "on_its_way"
    with pytest.raises(Conflict):
        guest_order_accept(guest_order=order, property=hotel, actor=waiter)


def test_a_refused_order_never_reaches_the_tab(hotel, table_point, waiter):
    order = _table_order(hotel, table_point)
    guest_order_refuse(guest_order=order, property=hotel, actor=waiter, reason="Cuisine fermée")
    order.refresh_from_db()
    assert guest_order_progress(order) == "refused"
    assert order.refusal_reason == "Cuisine fermée"
    assert not TableTab.objects.exists()


def test_a_resubmitted_order_is_placed_once(hotel, table_point):
    first = _table_order(hotel, table_point, key="same")
    again = _table_order(hotel, table_point, key="same")
    assert again.pk == first.pk
    assert GuestOrder.objects.count() == 1


def test_a_dish_without_its_required_cooking_is_refused(hotel, table_point):
    with pytest.raises(ChoiceRequired):
        _place(table_point, [GuestLine(product_id=_p(hotel, "entrecote").pk)])
    assert not GuestOrder.objects.exists()


def test_an_outlet_that_accepts_at_once_sends_to_the_kitchen(hotel, table_point):
    table_point.outlet.guest_orders_need_acceptance = False
    table_point.outlet.save()
    order = _table_order(hotel, table_point)
    assert order.status == GuestOrder.Status.ACCEPTED
    assert KitchenTicket.objects.filter(tab=order.tab).count() == 2


def test_paused_outlet_and_too_many_open_orders_take_no_order(hotel, table_point):
    outlet = table_point.outlet
    outlet.guest_orders_paused = True
    outlet.save()
    with pytest.raises(Conflict):
        _table_order(hotel, table_point)
    outlet.guest_orders_paused = False
    outlet.guest_orders_max_open = 1
    outlet.save()
    _table_order(hotel, table_point, key="a")
    with pytest.raises(Conflict):
        _table_order(hotel, table_point, key="b")


def test_a_room_order_is_charged_to_the_folio_with_its_vat(hotel, room_point, stay_12):
    club = _p(hotel, "club-sandwich")
    order = _place(room_point, [GuestLine(product_id=club.pk)], confirm="dupont")
    assert order.status == GuestOrder.Status.CHARGED
    ticket = order.order.ticket
    assert ticket.status == Ticket.Status.CHARGED_TO_ROOM
    line = FolioLine.objects.get(folio=stay_12.reservation.folio)
    assert line.total == Decimal("16.00")
    assert line.vat_rate == Decimal("10.00")
    assert JournalEntry.objects.count() == 1  # the ticket's entry, written by billing
    # the same page's key again: no second charge
    again = _place(room_point, [GuestLine(product_id=club.pk)], confirm="dupont")
    assert again.pk == order.pk
    assert FolioLine.objects.filter(folio=stay_12.reservation.folio).count() == 1


def test_the_booking_reference_confirms_too(hotel, room_point, stay_12):
    club = _p(hotel, "club-sandwich")
    order = _place(room_point, [GuestLine(product_id=club.pk)], confirm="bk-1212")
    assert order.status == GuestOrder.Status.CHARGED


def test_five_wrong_surnames_lock_the_room_for_fifteen_minutes(hotel, room_point, stay_12):
    club = _p(hotel, "club-sandwich")
    for i in range(5):
        with pytest.raises(PermissionDenied):
            _place(room_point, [GuestLine(product_id=club.pk)], key=f"w{i}", confirm="Martin")
    with pytest.raises(ConfirmLocked) as locked:
        _place(room_point, [GuestLine(product_id=club.pk)], key="right", confirm="Dupont")
    assert "15 minutes" in str(locked.value.message)
    assert room_confirm_wait(room_point) > 14 * 60
    assert not FolioLine.objects.exists()


def test_a_checked_out_room_refuses_to_charge(hotel, room_point, stay_12):
    Reservation.objects.filter(pk=stay_12.reservation_id).update(
        status=Reservation.Status.CHECKED_OUT
    )
    with pytest.raises(NotInHouse):
        _place(
            room_point,
            [GuestLine(product_id=_p(hotel, "club-sandwich").pk)],
            confirm="Dupont",
        )
    assert not GuestOrder.objects.exists()


def test_the_menu_is_the_outlets_with_allergens_and_sold_out(hotel, room_point, stay_12):
    menu = guest_menu(point=room_point)
    codes = {p.code for p in menu["by_id"].values()}
    assert {"club-sandwich", "brownie", "entrecote", "creme-brulee"} <= codes
    assert "coca" not in codes  # not a room-service category
    assert menu["prices"][_p(hotel, "club-sandwich").pk].unit_price == Decimal("16.00")
    brownie = _p(hotel, "brownie")
    assert brownie.pk not in menu["sold_out"]
    _place(room_point, [GuestLine(product_id=brownie.pk)], confirm="Dupont")
    assert brownie.pk in guest_menu(point=room_point)["sold_out"]
    with pytest.raises(SoldOut):
        _place(room_point, [GuestLine(product_id=brownie.pk)], key="k2", confirm="Dupont")


def test_room_service_hours_refuse_rooms_only(hotel, room_point, stay_12, table_point):
    from datetime import datetime, time

    from django.utils import timezone

    outlet = room_point.outlet
    outlet.room_service_opens_at, outlet.room_service_closes_at = time(18), time(23)
    outlet.save()
    noon = timezone.make_aware(datetime.combine(hotel.business_date(), time(12)))
    with pytest.raises(Conflict) as closed:
        guest_order_place(
            point=room_point,
            lines=[GuestLine(product_id=_p(hotel, "club-sandwich").pk)],
            client_key="noon",
            menu_products=guest_menu(point=room_point)["by_id"],
            confirm="Dupont",
            now=noon,
        )
    assert "Room service is closed: it takes orders from 18:00 to 23:00." in str(
        closed.value.message
    )
    evening = noon.replace(hour=19)
    order = guest_order_place(
        point=room_point,
        lines=[GuestLine(product_id=_p(hotel, "club-sandwich").pk)],
        client_key="evening",
        menu_products=guest_menu(point=room_point)["by_id"],
        confirm="Dupont",
        now=evening,
    )
    assert order.status == GuestOrder.Status.CHARGED


def test_the_delivery_fee_is_a_line_of_the_room_charge(hotel, room_point, stay_12):
    from inventory.models import RevenueCategory

    fee = Product.objects.create(
        property=hotel,
        code="livraison",
        name_fr="Livraison en chambre",
        name_en="Room delivery",
        price=Decimal("4.00"),
        vat_rate=Decimal("10.00"),
        revenue_category=RevenueCategory.FOOD,
    )
    room_point.outlet.room_service_fee = fee
    room_point.outlet.save()
    order = _place(
        room_point, [GuestLine(product_id=_p(hotel, "club-sandwich").pk)], confirm="Dupont"
    )
    assert order.total == Decimal("20.00")
    lines = FolioLine.objects.filter(folio=stay_12.reservation.folio).order_by("pk")
    assert [(line.total, line.vat_rate) for line in lines] == [
        (Decimal("16.00"), Decimal("10.00")),
        (Decimal("4.00"), Decimal("10.00")),
    ]


def test_an_item_kept_for_the_waiters_is_not_on_the_qr_menu(hotel, table_point):
    spritz = _p(hotel, "spritz")
    assert spritz.pk in guest_menu(point=table_point)["by_id"]
    table_point.outlet.guest_menu_excluded.add(spritz)
    assert spritz.pk not in guest_menu(point=table_point)["by_id"]
    with pytest.raises(InvalidInput):
        _place(table_point, [GuestLine(product_id=spritz.pk)])
