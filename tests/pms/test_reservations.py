"""Reservations: create, restrictions, sold out, modify, cancel, no-show (PMS-1..4)."""

from datetime import time, timedelta
from decimal import Decimal

import pytest

from billing.models import Folio, FolioLine
from core.exceptions import InvalidInput
from core.models import AuditEntry
from crm.models import Company
from crm.services import guest_create
from inventory.exceptions import SoldOut
from inventory.models import CapacityAllocation, CapacityBucket, Channel, Product
from inventory.selectors import pools_availability
from pms.exceptions import InvalidReservationState, RestrictionViolated
from pms.models import Reservation, ReservationExtra, ReservationRoom, Restriction
from pms.services import (
    ExtraRequest,
    RoomRequest,
    reservation_cancel,
    reservation_create,
    reservation_mark_no_show,
    reservation_modify,
)
from tests.factories.core import OrganizationFactory

pytestmark = pytest.mark.django_db


def book(hotel, guest, room_type, arrival, departure, channel=Channel.FRONT_DESK, n=1, **kw):
    return reservation_create(
        property=hotel,
        guest=guest,
        arrival=arrival,
        departure=departure,
        rooms=[RoomRequest(room_type.pk, 2, 0) for _ in range(n)],
        channel=channel,
        **kw,
    )


def free(hotel, room_type, start, end, channel=Channel.FRONT_DESK):
    pool_id = room_type.product.capacity_pool_id
    slots = pools_availability(
        property=hotel, pool_ids=[pool_id], start=start, end=end, channel=channel
    )[pool_id]
    return [s.available for s in slots]


def snapshot():
    return {
        "reservations": Reservation.objects.count(),
        "rooms": ReservationRoom.objects.count(),
        "extras": ReservationExtra.objects.count(),
        "allocations": CapacityAllocation.objects.exclude(status="released").count(),
        "sold": sum(CapacityBucket.objects.values_list("sold", flat=True)),
        "folios": Folio.objects.count(),
        "audit": AuditEntry.objects.filter(action__startswith="pms.reservation").count(),
    }


def test_create_books_prices_consumes_and_opens_a_folio(hotel, rooms, guest, day, clerk):
    # given
    classique = rooms["classique"]
    assert free(hotel, classique, day(3), day(5)) == [10, 10]
    # when
    reservation = book(hotel, guest, classique, day(3), day(5), actor=clerk, notes="Vue mer")
    # then
    reservation.refresh_from_db()
    assert reservation.status == Reservation.Status.CONFIRMED
    assert reservation.reference.startswith("LT") and len(reservation.reference) == 8
    assert (reservation.adults, reservation.children, reservation.notes) == (2, 0, "Vue mer")
    room = reservation.rooms.get()
    assert len(room.nightly_prices) == 2
    assert room.price_total == sum(Decimal(p) for p in room.nightly_prices.values())
    assert reservation.total_price == room.price_total > 0
    assert room.vat_rate == Decimal("10.00")
    assert reservation.folio.guest == guest and reservation.folio.holder_name == "Camille Martin"
    allocations = CapacityAllocation.objects.filter(reference=f"pms.reservationroom:{room.pk}")
    assert allocations.count() == 2
    assert free(hotel, classique, day(3), day(5)) == [9, 9]
    assert AuditEntry.objects.get(action="pms.reservation.created").actor == clerk


def test_references_are_unique_per_property(hotel, rooms, guest, day):
    refs = {book(hotel, guest, rooms["classique"], day(1), day(2)).reference for _ in range(5)}
    assert len(refs) == 5


def test_extras_are_priced_and_their_capacity_consumed(hotel, rooms, guest, day, product):
    # given
    massage, breakfast = product("massage-60"), product("petit-dejeuner")
    # when
    reservation = book(
        hotel,
        guest,
        rooms["junior"],
        day(10),
        day(12),
        extras=[
            ExtraRequest(breakfast.pk, 2, day(11)),
            ExtraRequest(massage.pk, 1, day(10), time(14, 0)),
        ],
    )
    # then
    extras = list(reservation.extras.order_by("pk"))
    assert [(e.product_id, e.quantity) for e in extras] == [(breakfast.pk, 2), (massage.pk, 1)]
    assert extras[0].total == extras[0].unit_price * 2
    assert reservation.total_price == reservation.rooms.get().price_total + sum(
        e.total for e in extras
    )
    spa = CapacityAllocation.objects.get(reference=f"pms.reservationextra:{extras[1].pk}")
    assert (spa.bucket.day, spa.bucket.slot_time, spa.quantity) == (day(10), time(14), 1)


def test_company_rate_plan_is_applied(hotel, rooms, guest, day, catalog):
    # given
    company = Company.objects.create(organization=hotel.organization, name="ACME")
    company.rate_plans.add(catalog["rate_plans"]["entreprise"])
    public = book(hotel, guest, rooms["classique"], day(20), day(21)).rooms.get()
    # when
    corporate = book(hotel, guest, rooms["classique"], day(20), day(21), company=company)
    # then
    room = corporate.rooms.get()
    if public.rate_plan_code == "public":  # seasonal prices exist for these dates
        assert room.rate_plan_code == "entreprise"
        assert room.price_total < public.price_total
    assert corporate.folio.company == company


def test_sold_out_writes_nothing(hotel, rooms, guest, day):
    # given: every Familiale sold on day 7
    familiale = rooms["familiale"]
    book(hotel, guest, familiale, day(7), day(8), n=3)
    before = snapshot()
    # when
    with pytest.raises(SoldOut) as err:
        book(hotel, guest, familiale, day(6), day(9))
    # then
    assert err.value.status_code == 409
    assert snapshot() == before


def test_sold_out_on_the_extra_rolls_back_the_rooms(hotel, rooms, guest, day, product):
    massage = product("massage-60")  # 2 cabins per slot
    book(hotel, guest, rooms["classique"], day(4), day(5),
         extras=[ExtraRequest(massage.pk, 2, day(4), time(10))])  # fmt: skip
    before = snapshot()
    with pytest.raises(SoldOut):
        book(hotel, guest, rooms["classique"], day(4), day(5),
             extras=[ExtraRequest(massage.pk, 1, day(4), time(10))])  # fmt: skip
    assert snapshot() == before


@pytest.mark.parametrize(
    "restriction, arrival, departure, code",
    [
        ({"day": 5, "min_stay": 3}, 5, 7, "min_stay"),
        ({"day": 5, "closed_to_arrival": True}, 5, 8, "closed_to_arrival"),
        ({"day": 8, "closed_to_departure": True}, 5, 8, "closed_to_departure"),
    ],
)
def test_restrictions_are_enforced(hotel, rooms, guest, day, restriction, arrival, departure, code):
    # given
    Restriction.objects.create(property=hotel, **{**restriction, "day": day(restriction["day"])})
    before = snapshot()
    # when
    with pytest.raises(RestrictionViolated) as err:
        book(hotel, guest, rooms["classique"], day(arrival), day(departure))
    # then
    assert err.value.extra["restriction"] == code
    assert snapshot() == before


def test_restriction_on_another_room_type_does_not_apply(hotel, rooms, guest, day):
    Restriction.objects.create(
        property=hotel, room_type=rooms["junior"], day=day(5), closed_to_arrival=True
    )
    assert book(hotel, guest, rooms["classique"], day(5), day(6)).pk
    with pytest.raises(RestrictionViolated):
        book(hotel, guest, rooms["junior"], day(5), day(6))


def test_min_stay_is_satisfied_by_a_long_enough_stay(hotel, rooms, guest, day):
    Restriction.objects.create(property=hotel, day=day(5), min_stay=3)
    assert book(hotel, guest, rooms["classique"], day(5), day(8)).nights == 3


@pytest.mark.parametrize(
    "arrival, departure",
    [(5, 5), (6, 5), (-1, 2)],
)
def test_bad_dates_are_refused(hotel, rooms, guest, day, arrival, departure):
    before = snapshot()
    with pytest.raises(InvalidInput):
        book(hotel, guest, rooms["classique"], day(arrival), day(departure))
    assert snapshot() == before


def test_ota_may_send_a_stay_that_already_began(hotel, rooms, guest, day):
    reservation = book(hotel, guest, rooms["classique"], day(-1), day(2), channel=Channel.OTA)
    assert reservation.channel == Channel.OTA


@pytest.mark.parametrize("adults, children", [(3, 0), (2, 1), (0, 1)])
def test_occupancy_is_checked(hotel, rooms, guest, day, adults, children):
    before = snapshot()
    with pytest.raises(InvalidInput):
        reservation_create(
            property=hotel,
            guest=guest,
            arrival=day(1),
            departure=day(2),
            rooms=[RoomRequest(rooms["classique"].pk, adults, children)],
            channel=Channel.FRONT_DESK,
        )
    assert snapshot() == before


def test_room_type_and_guest_of_another_property_are_refused(hotel, other_hotel, rooms, guest, day):
    stranger = guest_create(organization=OrganizationFactory(), last_name="Autre")
    with pytest.raises(InvalidInput):
        book(hotel, stranger, rooms["classique"], day(1), day(2))
    with pytest.raises(InvalidInput):
        book(other_hotel, guest, rooms["classique"], day(1), day(2))
    assert Reservation.objects.count() == 0


def test_a_room_night_cannot_be_booked_as_an_extra(hotel, rooms, guest, day):
    night = Product.objects.get(property=hotel, code="nuit-classique")
    with pytest.raises(InvalidInput):
        book(hotel, guest, rooms["junior"], day(1), day(2),
             extras=[ExtraRequest(night.pk, 1, day(1))])  # fmt: skip
    assert Reservation.objects.count() == 0


def test_hold_until_holds_the_capacity(hotel, rooms, guest, day):
    from django.utils import timezone

    until = timezone.now() + timedelta(minutes=15)
    reservation = book(
        hotel, guest, rooms["classique"], day(2), day(3), channel=Channel.BOOKING_ENGINE,
        status=Reservation.Status.OPTION, hold_until=until,
    )  # fmt: skip
    allocation = CapacityAllocation.objects.get(
        reference=reservation.rooms.get().capacity_reference
    )
    assert allocation.status == CapacityAllocation.Status.HELD
    assert allocation.expires_at == until
    assert reservation.status == Reservation.Status.OPTION


def test_cancel_releases_the_capacity_once(hotel, rooms, guest, day, product):
    # given
    classique = rooms["classique"]
    massage = product("massage-60")
    reservation = book(hotel, guest, classique, day(3), day(6), n=2,
                       extras=[ExtraRequest(massage.pk, 1, day(3), time(11))])  # fmt: skip
    assert free(hotel, classique, day(3), day(6)) == [8, 8, 8]
    # when
    reservation_cancel(reservation=reservation, actor=None, reason="Changement de plans")
    reservation_cancel(reservation=reservation, actor=None)
    # then
    reservation.refresh_from_db()
    assert reservation.status == Reservation.Status.CANCELLED
    assert reservation.cancelled_at is not None
    assert free(hotel, classique, day(3), day(6)) == [10, 10, 10]
    assert not CapacityAllocation.objects.exclude(status="released").exists()
    assert AuditEntry.objects.filter(action="pms.reservation.cancelled").count() == 1


def test_modify_dates_moves_the_capacity(hotel, rooms, guest, day):
    # given
    classique = rooms["classique"]
    reservation = book(hotel, guest, classique, day(3), day(5))
    # when
    reservation_modify(reservation=reservation, actor=None, arrival=day(4), departure=day(7))
    # then
    reservation.refresh_from_db()
    assert (reservation.arrival, reservation.departure) == (day(4), day(7))
    assert free(hotel, classique, day(3), day(7)) == [10, 9, 9, 9]
    room = reservation.rooms.get()
    assert sorted(room.nightly_prices) == [str(day(4)), str(day(5)), str(day(6))]
    assert reservation.total_price == room.price_total
    assert AuditEntry.objects.filter(action="pms.reservation.modified").count() == 1


def test_modify_into_sold_out_dates_changes_nothing(hotel, rooms, guest, day):
    # given
    familiale = rooms["familiale"]
    reservation = book(hotel, guest, familiale, day(3), day(5))
    book(hotel, guest, familiale, day(6), day(7), n=3)
    before = snapshot()
    availability = free(hotel, familiale, day(3), day(7))
    # when
    with pytest.raises(SoldOut):
        reservation_modify(reservation=reservation, actor=None, departure=day(7))
    # then
    reservation.refresh_from_db()
    assert (reservation.arrival, reservation.departure) == (day(3), day(5))
    assert snapshot() == before
    assert free(hotel, familiale, day(3), day(7)) == availability


def test_modify_rooms_changes_type_and_occupancy(hotel, rooms, guest, day):
    reservation = book(hotel, guest, rooms["classique"], day(3), day(5))
    reservation_modify(
        reservation=reservation,
        actor=None,
        rooms=[RoomRequest(rooms["familiale"].pk, 2, 2), RoomRequest(rooms["classique"].pk, 1, 0)],
    )
    live = list(reservation.rooms.filter(is_cancelled=False).order_by("pk"))
    assert [(r.room_type.code, r.adults, r.children) for r in live] == [
        ("classique", 1, 0),
        ("familiale", 2, 2),
    ]
    reservation.refresh_from_db()
    assert (reservation.adults, reservation.children) == (3, 2)
    assert free(hotel, rooms["classique"], day(3), day(5)) == [9, 9]
    assert free(hotel, rooms["familiale"], day(3), day(5)) == [2, 2]


def test_cancelled_reservation_cannot_be_modified(hotel, rooms, guest, day):
    reservation = book(hotel, guest, rooms["classique"], day(3), day(5))
    reservation_cancel(reservation=reservation)
    with pytest.raises(InvalidReservationState):
        reservation_modify(reservation=reservation, departure=day(6))


def test_no_show_releases_capacity_only_from_arrival(hotel, rooms, guest, day, today):
    future = book(hotel, guest, rooms["classique"], day(2), day(3))
    with pytest.raises(InvalidReservationState):
        reservation_mark_no_show(reservation=future)
    arriving = book(hotel, guest, rooms["classique"], today, day(2))
    reservation_mark_no_show(reservation=arriving)
    reservation_mark_no_show(reservation=arriving)
    arriving.refresh_from_db()
    assert arriving.status == Reservation.Status.NO_SHOW
    assert free(hotel, rooms["classique"], today, day(1)) == [10]
    assert FolioLine.objects.count() == 0
