"""Housekeeping screens (PMS-9): the board by floor, one tap per status, a supervisor's
inspection, out-of-order periods that leave capacity at once, and the desk seeing it all."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.models import AuditEntry, Role
from pms.models import Room, RoomOutOfOrder
from pms.services.booking import booking_offers
from pms.services.rooms import room_assign
from tests.factories.core import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def maid(hotel):
    user = make_staff(hotel, Role.HOUSEKEEPING, username="ines")
    user.first_name, user.last_name = "Inès", "Richard"
    user.save()
    return user


@pytest.fixture
def phone(client, maid, rooms):
    client.force_login(maid)
    client.cookies["django_language"] = "en"
    return client


def room(hotel, number) -> Room:
    return Room.objects.get(property=hotel, number=number)


def test_housekeeping_login_lands_on_the_board(phone):
    response = phone.get("/", follow=True)
    assert response.redirect_chain[-1][0] == "/housekeeping/"
    assert 'data-testid="room-101"' in response.content.decode()


def test_board_lists_the_rooms_by_floor_in_constant_queries(phone, hotel, book):
    for offset in range(3):
        book("classique", offset=offset)
    with CaptureQueriesContext(connection) as queries:
        page = phone.get("/housekeeping/").content.decode()
    assert 'data-testid="floor-1"' in page and 'data-testid="floor-4"' in page
    assert 'data-testid="room-403"' in page
    # session, membership, rooms, assignments, out-of-order, room list of the form...
    assert len(queries) <= 12, [q["sql"] for q in queries]


def test_filters_keep_todays_departures_stayovers_and_arrivals(phone, hotel, book):
    arriving = book("classique", nights=2)
    rr = arriving.rooms.get()
    room_assign(reservation_room=rr, room=room(hotel, "105"))
    page = phone.get("/housekeeping/?only=arrivals").content.decode()
    assert 'data-testid="room-105"' in page
    assert 'data-testid="room-101"' not in page
    page = phone.get("/housekeeping/?only=departures").content.decode()
    assert 'data-testid="room-105"' not in page and 'data-testid="no-rooms"' in page


def test_one_tap_marks_a_room_clean_with_who_and_when_and_the_desk_offers_it(
    phone, client, hotel, book, clerk
):
    # given: a guest arriving into a type whose only free room is dirty
    res = book("familiale")
    for number in ("401", "402", "403"):
        r = room(hotel, number)
        r.housekeeping_status = Room.Housekeeping.DIRTY
        r.save()
    # when: the maid taps "Clean" on 402 (htmx swap)
    response = phone.post(
        f"/housekeeping/rooms/{room(hotel, '402').pk}/status/",
        {"status": "clean"},
        HTTP_HX_REQUEST="true",
    )
    # then
    page = response.content.decode()
    assert "Room 402: Clean." in page
    r402 = room(hotel, "402")
    assert r402.housekeeping_status == Room.Housekeeping.CLEAN
    assert r402.housekeeping_changed_by.username == "ines"
    assert r402.housekeeping_changed_at is not None
    assert "Inès" in page
    assert AuditEntry.objects.filter(action="pms.room.housekeeping", target_id=r402.pk).exists()
    # and the desk's check-in offers it (and only it) at once
    client.force_login(clerk)
    desk = client.get(f"/frontdesk/reservations/{res.reference}/").content.decode()
    assert f'value="{r402.pk}"' in desk
    assert f'value="{room(hotel, "401").pk}"' not in desk
    grid = client.get("/frontdesk/grid/").content.decode()
    assert 'data-testid="hk-status">Clean' in grid or 'data-testid="hk-status">Propre' in grid


def test_only_a_supervisor_inspects(phone, client, hotel, clerk):
    r = room(hotel, "101")
    response = phone.post(f"/housekeeping/rooms/{r.pk}/status/", {"status": "inspected"})
    assert response.status_code == 302
    assert room(hotel, "101").housekeeping_status == Room.Housekeeping.CLEAN
    page = phone.get("/housekeeping/").content.decode()
    assert "Only a supervisor may mark a room inspected." in page
    assert 'data-testid="mark-inspected"' not in page
    client.force_login(clerk)
    client.post(f"/housekeeping/rooms/{r.pk}/status/", {"status": "inspected"})
    assert room(hotel, "101").housekeeping_status == Room.Housekeeping.INSPECTED


def test_unknown_status_or_room_of_another_property_is_refused(phone, hotel, other_hotel):
    r = room(hotel, "101")
    response = phone.post(
        f"/housekeeping/rooms/{r.pk}/status/", {"status": "sparkling"}, HTTP_HX_REQUEST="true"
    )
    assert "Unknown housekeeping status." in response.content.decode()
    assert room(hotel, "101").housekeeping_status == Room.Housekeeping.CLEAN
    response = phone.post("/housekeeping/rooms/999999/status/", {"status": "dirty"})
    assert response.status_code == 302


def test_out_of_order_leaves_availability_the_booking_engine_and_the_grid(
    phone, client, hotel, clerk
):
    today = hotel.business_date()
    start, end = today + timedelta(days=1), today + timedelta(days=3)
    before = booking_offers(property=hotel, arrival=start, departure=end, adults=3)
    familiale = next(o for o in before if o.room_type.code == "familiale")
    # when
    response = phone.post(
        "/housekeeping/out-of-order/",
        {"room": room(hotel, "401").pk, "start": start, "end": end, "reason": "Dégât des eaux"},
        HTTP_HX_REQUEST="true",
    )
    # then
    assert "Room 401 is out of order" in response.content.decode()
    after = booking_offers(property=hotel, arrival=start, departure=end, adults=3)
    assert next(o for o in after if o.room_type.code == "familiale").available == (
        familiale.available - 1
    )
    client.force_login(clerk)
    api = client.get(
        f"/api/v1/properties/{hotel.slug}/availability?start={start}&end={end}&channel=front_desk"
    ).json()
    nights = next(t for t in api["room_types"] if t["code"] == "familiale")["nights"]
    assert [n["available"] for n in nights] == [2, 2]
    grid = client.get(f"/frontdesk/grid/?start={start}").content.decode()
    assert 'data-testid="ooo"' in grid
    # and every room of the type out of order: the booking engine no longer offers it
    for number in ("402", "403"):
        phone.post(
            "/housekeeping/out-of-order/",
            {"room": room(hotel, number).pk, "start": start, "end": end, "reason": "Travaux"},
        )
    offers = booking_offers(property=hotel, arrival=start, departure=end, adults=3)
    assert "familiale" not in [o.room_type.code for o in offers]
    # back in service: the nights return to sale
    period = RoomOutOfOrder.objects.get(room__number="401")
    phone.post(f"/housekeeping/out-of-order/{period.pk}/end/")
    offers = booking_offers(property=hotel, arrival=start, departure=end, adults=3)
    assert next(o for o in offers if o.room_type.code == "familiale").available == 1


@pytest.mark.parametrize(
    "days, reason, message",
    [
        ((3, 1), "Travaux", "The end date must be after the start date."),
        ((1, 3), "", "Give a reason."),
        ((-2, 1), "Travaux", "An out-of-order period cannot start in the past."),
    ],
)
def test_bad_out_of_order_input_is_refused_and_changes_nothing(phone, hotel, days, reason, message):
    today = hotel.business_date()
    response = phone.post(
        "/housekeeping/out-of-order/",
        {
            "room": room(hotel, "401").pk,
            "start": today + timedelta(days=days[0]),
            "end": today + timedelta(days=days[1]),
            "reason": reason,
        },
        HTTP_HX_REQUEST="true",
    )
    page = response.content.decode()
    assert message in page
    assert not RoomOutOfOrder.objects.exists()
    # the error stands beside the form (at the bottom of the board), and what was typed stays
    form = page.split('data-testid="ooo-form"')[1]
    assert 'data-testid="ooo-error"' in form and message in form
    assert f'<option value="{room(hotel, "401").pk}" selected>' in form
    end = (today + timedelta(days=days[1])).isoformat()
    assert f'name="end" type="date" value="{end}"' in form
    assert reason == "" or f'value="{reason}"' in form


def test_out_of_order_on_an_occupied_room_is_refused_and_changes_nothing(phone, hotel, book):
    res = book("familiale", offset=1, nights=2)
    room_assign(reservation_room=res.rooms.get(), room=room(hotel, "401"))
    today = hotel.business_date()
    start, end = today + timedelta(days=1), today + timedelta(days=3)
    before = booking_offers(property=hotel, arrival=start, departure=end, adults=3)
    response = phone.post(
        "/housekeeping/out-of-order/",
        {"room": room(hotel, "401").pk, "start": start, "end": end, "reason": "Travaux"},
        HTTP_HX_REQUEST="true",
    )
    assert "Room 401 is assigned to a guest on these nights" in response.content.decode()
    assert not RoomOutOfOrder.objects.exists()
    after = booking_offers(property=hotel, arrival=start, departure=end, adults=3)
    assert [o.available for o in after] == [o.available for o in before]


def test_a_waiter_cannot_open_housekeeping(client, waiter, rooms):
    client.force_login(waiter)
    assert client.get("/housekeeping/").status_code == 403


def test_out_of_order_when_every_room_of_the_type_is_sold_is_refused(phone, hotel, book):
    # given: the three family rooms sold tomorrow (not yet assigned to a room)
    for _ in range(3):
        book("familiale", offset=1, nights=1)
    today = hotel.business_date()
    # when
    response = phone.post(
        "/housekeeping/out-of-order/",
        {
            "room": room(hotel, "401").pk,
            "start": today + timedelta(days=1),
            "end": today + timedelta(days=2),
            "reason": "Travaux",
        },
        HTTP_HX_REQUEST="true",
    )
    # then: refused with the reason, nothing changed
    assert "Room 401 cannot be taken out of order" in response.content.decode()
    assert not RoomOutOfOrder.objects.exists()


def test_out_of_order_on_a_room_out_of_service_is_refused(phone, hotel):
    from pms.services.rooms import room_set_active

    room_set_active(room=room(hotel, "403"), is_active=False)
    today = hotel.business_date()
    response = phone.post(
        "/housekeeping/out-of-order/",
        {
            "room": room(hotel, "403").pk,
            "start": today,
            "end": today + timedelta(days=2),
            "reason": "Travaux",
        },
        HTTP_HX_REQUEST="true",
    )
    assert "Room 403 is not in service." in response.content.decode()
    assert not RoomOutOfOrder.objects.exists()
    page = phone.get("/housekeeping/").content.decode()
    assert 'data-testid="room-403" data-state="out_of_service"' in page


def test_a_status_set_by_the_system_shows_without_a_name(phone, hotel):
    from pms.services.rooms import room_housekeeping_set

    room_housekeeping_set(room=room(hotel, "101"), status=Room.Housekeeping.DIRTY)  # no actor
    response = phone.get("/housekeeping/")
    assert response.status_code == 200
    assert 'data-testid="room-101" data-state="dirty"' in response.content.decode()
    assert "— at " in response.content.decode()


def test_a_pin_on_the_property_device_opens_the_board(client, hotel, rooms):
    """A maid's PIN on the device bound to the whole property lands on the board; on a POS
    terminal the board stays closed (not a till's screen)."""
    from tests.core.test_terminal_sessions import bind, pin
    from tests.factories.pos import make_terminal

    maid = make_staff(hotel, Role.HOUSEKEEPING, username="pinmaid", pin="5555")
    bind(client, hotel, label="Réception")
    assert pin(client, maid, "5555").status_code == 302
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == "/housekeeping/"
    client.post(f"/housekeeping/rooms/{room(hotel, '101').pk}/status/", {"status": "dirty"})
    assert room(hotel, "101").housekeeping_status == Room.Housekeeping.DIRTY
    # on a bar till the same PIN opens no housekeeping screen
    other = Client()
    bind(other, hotel, terminal=make_terminal(hotel))
    pin(other, maid, "5555")
    assert other.get("/").status_code == 200
    assert other.get("/housekeeping/").status_code == 403
