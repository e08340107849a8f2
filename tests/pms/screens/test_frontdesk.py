from datetime import timedelta
from decimal import Decimal

import pytest

from billing.models import Payment
from core.models import Role
from pms.models import Reservation, Room, RoomAssignment
from pms.services.rooms import room_out_of_order
from tests.factories.core import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(client, clerk):
    client.force_login(clerk)
    return client


def room(hotel, number):
    return Room.objects.get(property=hotel, number=number)


def test_dashboard_lists_todays_arrivals(desk, book):
    # given
    res = book(last_name="Arrivant")
    later = book(offset=3, last_name="Plustard")
    # when
    page = desk.get("/frontdesk/").content.decode()
    # then
    assert res.reference in page and "Arrivant" in page
    assert later.reference not in page


def test_check_in_offers_only_clean_free_rooms_of_the_type(desk, hotel, book):
    # given
    res = book("classique")
    dirty = room(hotel, "101")
    dirty.housekeeping_status = Room.Housekeeping.DIRTY
    dirty.save()
    # when
    page = desk.get(f"/frontdesk/reservations/{res.reference}/").content.decode()
    # then
    assert 'data-testid="check-in"' in page
    assert f'value="{room(hotel, "102").pk}"' in page
    assert f'value="{dirty.pk}"' not in page
    other_type = Room.objects.filter(property=hotel).exclude(room_type=dirty.room_type).first()
    assert f'value="{other_type.pk}"' not in page


def test_check_in_check_out_and_settle(desk, hotel, book):
    # given
    res = book("classique", nights=1)
    rr = res.rooms.get()
    url = f"/frontdesk/reservations/{res.reference}/"
    # when: check in
    desk.post(url + "check-in/", {f"room_{rr.pk}": room(hotel, "102").pk})
    # then
    res.refresh_from_db()
    assert res.status == Reservation.Status.IN_HOUSE
    assert RoomAssignment.objects.get(reservation_room=rr).room.number == "102"
    page = desk.get(url).content.decode()
    assert "is checked in" in page and 'data-testid="check-out"' in page
    # when: check out with the night not paid
    refused = desk.post(url + "check-out/", follow=True).content.decode()
    # then: refused, with the amount due, nothing posted
    res.refresh_from_db()
    assert res.status == Reservation.Status.IN_HOUSE
    assert "is still due: settle it" in refused
    assert not res.folio.lines.exists()
    # when: check out taking the payment of the whole balance by card
    out = desk.post(
        url + "check-out/",
        {"balance": "pay", "pay_method": "card", "pay_reference": "TPE-1"},
        follow=True,
    )
    # then
    res.refresh_from_db()
    assert res.status == Reservation.Status.CHECKED_OUT
    balance = res.folio.lines.first().total
    payment = Payment.objects.get(folio=res.folio)
    assert payment.amount == balance > 0 and payment.terminal_reference == "TPE-1"
    page = out.content.decode()
    assert "€0.00" in page and 'data-testid="settle-form"' not in page


def test_check_in_into_a_dirty_room_is_refused_on_screen(desk, hotel, book):
    # given
    res = book("classique")
    rr = res.rooms.get()
    dirty = room(hotel, "101")
    dirty.housekeeping_status = Room.Housekeeping.DIRTY
    dirty.save()
    # when
    response = desk.post(
        f"/frontdesk/reservations/{res.reference}/check-in/",
        {f"room_{rr.pk}": dirty.pk},
        follow=True,
    )
    # then
    assert response.status_code == 200
    assert 'class="msg-error"' in response.content.decode()
    res.refresh_from_db()
    assert res.status == Reservation.Status.CONFIRMED
    assert RoomAssignment.objects.count() == 0


def test_check_out_of_a_guest_not_in_house_is_refused(desk, book):
    res = book()
    response = desk.post(f"/frontdesk/reservations/{res.reference}/check-out/", follow=True)
    assert "Only a guest in house can check out." in response.content.decode()
    res.refresh_from_db()
    assert res.status == Reservation.Status.CONFIRMED


def test_settlement_above_the_balance_is_refused(desk, hotel, book):
    # given
    res = book(nights=1)
    desk.post(
        f"/frontdesk/reservations/{res.reference}/check-in/",
        {f"room_{res.rooms.get().pk}": room(hotel, "103").pk},
    )
    # when
    response = desk.post(
        f"/frontdesk/reservations/{res.reference}/payment/",
        {"amount": "99999", "method": "cash"},
        follow=True,
    )
    bad = desk.post(
        f"/frontdesk/reservations/{res.reference}/payment/",
        {"amount": "abc", "method": "cash"},
        follow=True,
    )
    # then
    assert "is more than the balance" in response.content.decode()
    assert "Enter a valid amount." in bad.content.decode()
    assert Payment.objects.count() == 0


def test_reservation_of_another_property_is_not_found(client, other_hotel, book):
    # given
    res = book()
    client.force_login(make_staff(other_hotel, Role.FRONT_DESK, username="elsewhere"))
    # when / then
    assert client.get(f"/frontdesk/reservations/{res.reference}/").status_code == 404
    assert client.post(f"/frontdesk/reservations/{res.reference}/check-in/").status_code == 404
    res.refresh_from_db()
    assert res.status == Reservation.Status.CONFIRMED


def test_room_grid_shows_stays_and_out_of_order(desk, hotel, book):
    # given
    res = book("classique", nights=2, last_name="Grille")
    desk.post(
        f"/frontdesk/reservations/{res.reference}/check-in/",
        {f"room_{res.rooms.get().pk}": room(hotel, "104").pk},
    )
    today = hotel.business_date()
    room_out_of_order(
        room=room(hotel, "105"), start=today + timedelta(days=1), end=today + timedelta(days=3),
        reason="Dégât des eaux",
    )  # fmt: skip
    # when
    page = desk.get("/frontdesk/grid/").content.decode()
    # then
    assert f'href="/frontdesk/reservations/{res.reference}/"' in page
    assert "Grille" in page
    assert "Dégât des eaux" in page
    assert desk.get("/frontdesk/grid/?start=garbage").status_code == 200


def test_waiter_cannot_open_the_front_desk(client, hotel, waiter):
    client.force_login(waiter)
    assert client.get("/frontdesk/").status_code == 403
    assert client.get("/frontdesk/grid/").status_code == 403


def test_folio_shows_a_room_charge_from_the_counter(till, hotel, book, product):
    # given: a guest in house in room 106 buys a coffee at the shop
    res = book(nights=2)
    from pms.services.stays import reservation_check_in

    reservation_check_in(reservation=res, assignments={res.rooms.get().pk: room(hotel, "106").pk})
    till.post("/pos/counter/add/", {"product_id": product("cafe").pk}, HTTP_HX_REQUEST="true")
    key = till.session[f"pos_cart:{hotel.pk}"]["client_key"]
    paid = till.post(
        "/pos/counter/pay/",
        {"client_key": key, "action": "room", "room_number": "106", "room_confirmed": "1"},
    )
    # then
    assert paid.status_code == 302
    receipt = till.get(paid["Location"]).content.decode()
    assert f"reservation {res.reference}" in receipt
    clerk = make_staff(hotel, Role.FRONT_DESK, username="clerk2")
    till.force_login(clerk)
    page = till.get(f"/frontdesk/reservations/{res.reference}/").content.decode()
    assert "Espresso" in page and "€2.50" in page
    assert res.folio.lines.get().total == Decimal("2.50")


def test_check_in_records_the_marketing_opt_in_the_guest_gave(desk, hotel, book):
    from crm.models import Consent

    res = book(nights=1)
    page = desk.get(f"/frontdesk/reservations/{res.reference}/").content.decode()
    assert 'data-testid="marketing-opt-in"' in page
    desk.post(
        f"/frontdesk/reservations/{res.reference}/check-in/",
        {
            f"room_{res.rooms.get().pk}": room(hotel, "103").pk,
            "last_name": res.guest.last_name,
            "marketing_opt_in": "1",
        },
    )
    res.refresh_from_db()
    assert res.status == Reservation.Status.IN_HOUSE
    consent = Consent.objects.get(guest=res.guest)
    assert consent.source == "check_in" and consent.given
    assert res.guest.marketing_opt_in


def test_the_desk_sees_the_guests_allergies_and_opens_the_profile(desk, book):
    from crm.models import Guest

    res = book(nights=1)
    Guest.objects.filter(pk=res.guest_id).update(allergies="Gluten")
    page = desk.get(f"/frontdesk/reservations/{res.reference}/").content.decode()
    assert "Allergies: Gluten" in page
    profile = desk.get(f"/guests/{res.guest.public_id}/")
    assert profile.status_code == 200 and 'data-testid="figures"' in profile.content.decode()
