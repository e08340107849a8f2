"""Rooms and stays: assignment (service and database), moves, check-in/out, night audit,
out-of-order and capacity sync."""

from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from billing.models import FolioLine
from core.exceptions import InvalidInput
from core.models import AuditEntry
from inventory.exceptions import SoldOut
from inventory.models import CapacityBucket, Channel
from inventory.selectors import pools_availability
from pms.exceptions import InvalidReservationState, RoomNotAvailable, RoomNotReady
from pms.models import Reservation, Room, RoomAssignment, RoomOutOfOrder, RoomType
from pms.services import (
    ExtraRequest,
    RoomRequest,
    reservation_check_in,
    reservation_check_out,
    reservation_create,
    reservation_modify,
    room_assign,
    room_back_in_service,
    room_create,
    room_move,
    room_nights_post,
    room_out_of_order,
    room_set_active,
    room_type_sync_capacity,
)
from pms.services.stays import DepartureBalance

pytestmark = pytest.mark.django_db
# the guest pays the whole balance by card as they leave
BY_CARD = DepartureBalance(pay_method="card", pay_reference="TPE-1")


def book(hotel, guest, room_type, arrival, departure, n=1, channel=Channel.OTA, **kw):
    # OTA: the stay may already have begun (lets tests start in the past)
    return reservation_create(
        property=hotel,
        guest=guest,
        arrival=arrival,
        departure=departure,
        rooms=[RoomRequest(room_type.pk, 2, 0) for _ in range(n)],
        channel=channel,
        **kw,
    )


def free(hotel, room_type, start, end):
    pool_id = room_type.product.capacity_pool_id
    return [
        s.available
        for s in pools_availability(
            property=hotel, pool_ids=[pool_id], start=start, end=end, channel=Channel.FRONT_DESK
        )[pool_id]
    ]


# --- assignment -----------------------------------------------------------------------------


def test_assign_gives_the_room_for_the_stay(hotel, rooms, guest, day, room, clerk):
    reservation = book(hotel, guest, rooms["classique"], day(1), day(3))
    rr = reservation.rooms.get()
    assignment = room_assign(reservation_room=rr, room=room("101"), actor=clerk)
    assert (assignment.start, assignment.end, assignment.room.number) == (day(1), day(3), "101")
    rr.refresh_from_db()
    assert rr.room.number == "101"
    # idempotent
    assert room_assign(reservation_room=rr, room=room("101")).pk == assignment.pk
    assert RoomAssignment.objects.count() == 1


def test_overlapping_assignment_is_refused_by_the_service(hotel, rooms, guest, day, room):
    first = book(hotel, guest, rooms["classique"], day(1), day(3))
    second = book(hotel, guest, rooms["classique"], day(2), day(4))
    room_assign(reservation_room=first.rooms.get(), room=room("101"))
    with pytest.raises(RoomNotAvailable) as err:
        room_assign(reservation_room=second.rooms.get(), room=room("101"))
    assert err.value.status_code == 409
    assert RoomAssignment.objects.count() == 1
    assert second.rooms.get().room is None


def test_back_to_back_stays_share_a_room(hotel, rooms, guest, day, room):
    first = book(hotel, guest, rooms["classique"], day(1), day(3))
    second = book(hotel, guest, rooms["classique"], day(3), day(4))
    room_assign(reservation_room=first.rooms.get(), room=room("101"))
    room_assign(reservation_room=second.rooms.get(), room=room("101"))
    assert RoomAssignment.objects.count() == 2


def test_database_refuses_overlapping_live_assignments(hotel, rooms, guest, day, room):
    # given
    first = book(hotel, guest, rooms["classique"], day(1), day(3))
    second = book(hotel, guest, rooms["classique"], day(2), day(4))
    room_assign(reservation_room=first.rooms.get(), room=room("101"))
    # when: a raw insert that skips the service
    with pytest.raises(IntegrityError), transaction.atomic():
        RoomAssignment.objects.create(
            reservation_room=second.rooms.get(), room=room("101"), start=day(2), end=day(4)
        )
    # then: a released assignment no longer blocks
    RoomAssignment.objects.update(released_at="2026-01-01T00:00Z")
    RoomAssignment.objects.create(
        reservation_room=second.rooms.get(), room=room("101"), start=day(2), end=day(4)
    )


@pytest.mark.parametrize("number", ["201", "999"])
def test_room_of_another_type_or_property_is_refused(
    hotel, other_hotel, rooms, guest, day, room, number
):
    reservation = book(hotel, guest, rooms["classique"], day(1), day(3))
    if number == "999":
        from inventory import demo as inventory_demo
        from pms.demo import room_types_seed

        inventory_demo.seed({"property": other_hotel})
        room_types_seed(other_hotel)
        target = Room.objects.get(property=other_hotel, number="101")
    else:
        target = room(number)
    with pytest.raises(InvalidInput):
        room_assign(reservation_room=reservation.rooms.get(), room=target)
    assert RoomAssignment.objects.count() == 0


def test_out_of_order_or_inactive_room_cannot_be_assigned(hotel, rooms, guest, day, room):
    reservation = book(hotel, guest, rooms["classique"], day(1), day(3))
    room_out_of_order(room=room("101"), start=day(2), end=day(5), reason="Dégât des eaux")
    room_set_active(room=room("102"), is_active=False)
    with pytest.raises(RoomNotAvailable):
        room_assign(reservation_room=reservation.rooms.get(), room=room("101"))
    with pytest.raises(InvalidInput):
        room_assign(reservation_room=reservation.rooms.get(), room=room("102"))
    assert RoomAssignment.objects.count() == 0


def test_room_move_keeps_the_nights_before_the_move(hotel, rooms, guest, day, today, room):
    # given: in house since yesterday in 101
    reservation = book(hotel, guest, rooms["classique"], day(-1), day(3))
    rr = reservation.rooms.get()
    reservation_check_in(reservation=reservation, assignments={rr.pk: room("101").pk})
    # when
    new = room_move(reservation_room=rr, room=room("102"))
    # then
    old = RoomAssignment.objects.get(room=room("101"))
    assert (old.start, old.end, old.released_at) == (day(-1), today, None)
    assert (new.start, new.end) == (today, day(3))
    assert room("101").housekeeping_status == Room.Housekeeping.DIRTY
    rr.refresh_from_db()
    assert rr.room.number == "102"


def test_room_move_to_a_taken_room_changes_nothing(hotel, rooms, guest, day, room):
    a = book(hotel, guest, rooms["classique"], day(1), day(3))
    b = book(hotel, guest, rooms["classique"], day(1), day(3))
    room_assign(reservation_room=a.rooms.get(), room=room("101"))
    room_assign(reservation_room=b.rooms.get(), room=room("102"))
    with pytest.raises(RoomNotAvailable):
        room_move(reservation_room=a.rooms.get(), room=room("102"))
    assert sorted(RoomAssignment.objects.values_list("room__number", "end")) == [
        ("101", day(3)),
        ("102", day(3)),
    ]


def test_date_change_keeps_a_free_assigned_room(hotel, rooms, guest, day, room):
    reservation = book(hotel, guest, rooms["classique"], day(1), day(3), channel="front_desk")
    room_assign(reservation_room=reservation.rooms.get(), room=room("101"))
    reservation_modify(reservation=reservation, departure=day(5))
    live = RoomAssignment.objects.get(released_at__isnull=True)
    assert (live.room.number, live.start, live.end) == ("101", day(1), day(5))


# --- check-in / check-out -------------------------------------------------------------------


def test_check_in_before_arrival_is_refused(hotel, rooms, guest, day, room):
    reservation = book(hotel, guest, rooms["classique"], day(1), day(3))
    with pytest.raises(InvalidReservationState):
        reservation_check_in(
            reservation=reservation, assignments={reservation.rooms.get().pk: room("101").pk}
        )
    reservation.refresh_from_db()
    assert reservation.status == Reservation.Status.CONFIRMED
    assert RoomAssignment.objects.count() == 0


def test_check_in_needs_clean_assigned_rooms(hotel, rooms, guest, today, day, room):
    reservation = book(hotel, guest, rooms["classique"], today, day(2))
    with pytest.raises(InvalidInput):
        reservation_check_in(reservation=reservation)
    dirty = room("101")
    dirty.housekeeping_status = Room.Housekeeping.DIRTY
    dirty.save()
    with pytest.raises(RoomNotReady):
        reservation_check_in(
            reservation=reservation, assignments={reservation.rooms.get().pk: dirty.pk}
        )
    reservation.refresh_from_db()
    assert reservation.status == Reservation.Status.CONFIRMED
    assert RoomAssignment.objects.count() == 0  # the assignment rolled back with the check-in


def test_check_in_posts_the_extras_once(hotel, rooms, guest, today, day, room, product, clerk):
    # given
    breakfast = product("petit-dejeuner")
    reservation = book(
        hotel, guest, rooms["classique"], today, day(2),
        extras=[ExtraRequest(breakfast.pk, 2, day(1)),
                ExtraRequest(product("massage-60").pk, 1, today, time(17))],
    )  # fmt: skip
    rr = reservation.rooms.get()
    # when
    reservation_check_in(reservation=reservation, actor=clerk, assignments={rr.pk: room("103").pk})
    reservation_check_in(reservation=reservation, actor=clerk)
    # then
    reservation.refresh_from_db()
    assert reservation.status == Reservation.Status.IN_HOUSE
    assert reservation.checked_in_at is not None
    lines = list(FolioLine.objects.filter(folio=reservation.folio).order_by("pk"))
    assert [line.source.split(":")[0] for line in lines] == ["pms.extra", "pms.extra"]
    assert sum(line.total for line in lines) == sum(e.total for e in reservation.extras.all())
    assert AuditEntry.objects.filter(action="pms.reservation.checked_in").count() == 1


def test_check_out_posts_every_night_once(hotel, rooms, guest, day, room, clerk):
    # given: two rooms, in house since two days ago, leaving today+1
    reservation = book(hotel, guest, rooms["classique"], day(-2), day(1), n=2)
    rr1, rr2 = reservation.rooms.order_by("pk")
    reservation_check_in(
        reservation=reservation, assignments={rr1.pk: room("101").pk, rr2.pk: room("102").pk}
    )
    # the night audit already posted the first night
    assert room_nights_post(property=hotel, business_date=day(-2)) == 2
    # when
    reservation_check_out(reservation=reservation, actor=clerk, open_balance=BY_CARD)
    reservation_check_out(reservation=reservation, actor=clerk, open_balance=BY_CARD)
    # then: 3 nights x 2 rooms, each once
    lines = FolioLine.objects.filter(folio=reservation.folio)
    assert lines.count() == 6
    assert len(set(lines.values_list("source", flat=True))) == 6
    total = sum(Decimal(p) for rr in (rr1, rr2) for p in rr.nightly_prices.values())
    assert sum(line.total for line in lines) == total == reservation.total_price
    reservation.refresh_from_db()
    assert reservation.status == Reservation.Status.CHECKED_OUT
    assert {room("101").housekeeping_status, room("102").housekeeping_status} == {"dirty"}
    assert AuditEntry.objects.filter(action="pms.reservation.checked_out").count() == 1


def test_check_out_requires_in_house(hotel, rooms, guest, day):
    reservation = book(hotel, guest, rooms["classique"], day(1), day(2))
    with pytest.raises(InvalidReservationState):
        reservation_check_out(reservation=reservation)
    assert FolioLine.objects.count() == 0


def test_night_audit_is_idempotent(hotel, rooms, guest, today, day, room):
    reservation = book(hotel, guest, rooms["classique"], day(-1), day(2))
    reservation_check_in(
        reservation=reservation, assignments={reservation.rooms.get().pk: room("101").pk}
    )
    booked_only = book(hotel, guest, rooms["classique"], day(-1), day(2))  # not in house
    assert room_nights_post(property=hotel, business_date=day(-1)) == 1
    assert room_nights_post(property=hotel, business_date=day(-1)) == 0
    line = FolioLine.objects.get()
    assert line.service_date == day(-1) and line.business_date == day(-1)
    assert line.source == f"pms.night:{reservation.rooms.get().pk}:{day(-1).isoformat()}"
    assert not FolioLine.objects.filter(folio=booked_only.folio).exists()


def test_night_audit_task_posts_last_night(hotel, rooms, guest, day, room):
    from pms.tasks import room_nights_post_task

    reservation = book(hotel, guest, rooms["classique"], day(-1), day(2))
    reservation_check_in(
        reservation=reservation, assignments={reservation.rooms.get().pk: room("101").pk}
    )
    assert room_nights_post_task() == 1
    assert room_nights_post_task() == 0


# --- out of order and capacity sync ---------------------------------------------------------


def test_out_of_order_removes_a_unit_and_back_in_service_returns_it(hotel, rooms, day, room):
    classique = rooms["classique"]
    period = room_out_of_order(room=room("105"), start=day(2), end=day(4), reason="Peinture")
    assert free(hotel, classique, day(1), day(5)) == [10, 9, 9, 10]
    room_back_in_service(out_of_order=period)
    room_back_in_service(out_of_order=period)
    assert free(hotel, classique, day(1), day(5)) == [10, 10, 10, 10]
    assert RoomOutOfOrder.objects.get().released_at is not None


def test_out_of_order_refused_when_the_nights_are_sold(hotel, rooms, guest, day, room):
    familiale = rooms["familiale"]
    book(hotel, guest, familiale, day(2), day(3), n=3)
    with pytest.raises(SoldOut):
        room_out_of_order(room=room("401"), start=day(1), end=day(4), reason="Fuite")
    assert not RoomOutOfOrder.objects.exists()
    assert free(hotel, familiale, day(1), day(4)) == [3, 0, 3]


def test_out_of_order_refused_while_a_guest_is_assigned(hotel, rooms, guest, day, room):
    reservation = book(hotel, guest, rooms["classique"], day(1), day(3))
    room_assign(reservation_room=reservation.rooms.get(), room=room("101"))
    with pytest.raises(RoomNotAvailable):
        room_out_of_order(room=room("101"), start=day(2), end=day(5), reason="Fuite")
    with pytest.raises(InvalidInput):
        room_out_of_order(room=room("102"), start=day(5), end=day(5), reason="Fuite")
    assert not RoomOutOfOrder.objects.exists()


def test_capacity_follows_the_rooms_in_service(hotel, rooms, guest, day, room):
    junior = rooms["junior"]
    book(hotel, guest, junior, day(1), day(2))  # creates buckets for day 1
    room_set_active(room=room("301"), is_active=False)
    assert (
        junior.product.capacity_pool.__class__.objects.get(
            pk=junior.product.capacity_pool_id
        ).default_capacity
        == 3
    )
    assert free(hotel, junior, day(1), day(3)) == [2, 3]
    room_create(room_type=junior, number="305")
    assert free(hotel, junior, day(1), day(3)) == [3, 4]
    assert room_type_sync_capacity(room_type=RoomType.objects.get(pk=junior.pk)) == 4


def test_deactivating_a_room_whose_nights_are_sold_is_refused(hotel, rooms, guest, day, room):
    book(hotel, guest, rooms["familiale"], day(1), day(2), n=3)
    with pytest.raises(SoldOut):
        room_set_active(room=room("401"), is_active=False)
    assert room("401").is_active
    assert (
        CapacityBucket.objects.get(
            pool=rooms["familiale"].product.capacity_pool, day=day(1)
        ).capacity
        == 3
    )


def test_modify_in_house_extends_the_stay(hotel, rooms, guest, day, room):
    reservation = book(hotel, guest, rooms["classique"], day(-1), day(1))
    reservation_check_in(
        reservation=reservation, assignments={reservation.rooms.get().pk: room("101").pk}
    )
    with pytest.raises(InvalidReservationState):
        reservation_modify(reservation=reservation, arrival=day(0))
    reservation_modify(reservation=reservation, departure=day(3))
    reservation.refresh_from_db()
    assert reservation.departure == day(3)
    assert RoomAssignment.objects.get(released_at__isnull=True).end == day(3)
    assert free(hotel, rooms["classique"], day(-1), day(3)) == [9, 9, 9, 9]
    assert timedelta(days=4) == reservation.departure - reservation.arrival
