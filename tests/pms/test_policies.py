"""Rate-plan policies (issue 19): the deposit a plan asks, the cancellation fee inside and
outside the free period (posted to the folio, or waived by a manager with a reason), the
no-show fee from the night audit, the terms in the guest's language; the same rules through
the API's cancel; and a booking's cost in SQL statements, the same for 1 room and 5."""

from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.models import FolioLine
from core.exceptions import InvalidInput, PermissionDenied
from core.models import Role
from inventory.models import CapacityAllocation, Channel, RatePlan
from pms.exceptions import InvalidReservationState
from pms.models import Reservation
from pms.services.desk import NewGuest, desk_reservation_create
from pms.services.policies import (
    cancellation_fee,
    deposit_due,
    deposit_due_by,
    free_cancellation_until,
    policy_text,
    rate_plan_policy_text,
)
from pms.services.reservations import (
    RoomRequest,
    reservation_cancel,
    reservation_create,
    reservation_modify,
)
from pms.services.stays import DepartureBalance, reservation_check_in, reservation_check_out
from pms.tasks import room_nights_post_task
from tests.factories.core import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def terms(hotel, catalog):
    """terms(code, **fields): set a rate plan's guarantee and cancellation rules."""

    def set_terms(code="public", **fields):
        plan = RatePlan.objects.get(property=hotel, code=code)
        for name, value in fields.items():
            setattr(plan, name, value)
        plan.save()
        return plan

    return set_terms


def booking(hotel, guest, room_type, *, offset=10, nights=3, rooms=1, **kwargs):
    arrival = hotel.business_date() + timedelta(days=offset)
    return reservation_create(
        property=hotel,
        guest=guest,
        arrival=arrival,
        departure=arrival + timedelta(days=nights),
        rooms=[RoomRequest(room_type("classique").pk, 2, 0)] * rooms,
        channel=Channel.FRONT_DESK,
        **kwargs,
    )


def fee_lines(res):
    return list(FolioLine.objects.filter(folio=res.folio, source__contains="_fee:"))


def first_nights(res, n):
    return sum(
        Decimal(p) for room in res.rooms.all() for _d, p in sorted(room.nightly_prices.items())[:n]
    )


def test_a_deposit_of_a_percentage_or_of_nights_due_at_booking_or_by_a_date(
    hotel, guest, room_type, terms
):
    terms(guarantee="deposit", deposit_percent=Decimal("30"))
    res = booking(hotel, guest, room_type)
    assert deposit_due(res) == (res.total_price * Decimal("0.3")).quantize(Decimal("0.01"))
    assert deposit_due_by(res) is None
    terms(guarantee="deposit", deposit_percent=None, deposit_nights=1, deposit_days_before=7)
    two = booking(hotel, guest, room_type, rooms=2)
    assert deposit_due(two) == first_nights(two, 1)
    assert deposit_due_by(two) == two.arrival - timedelta(days=7)
    # the terms agreed stay with the booking when the plan changes later
    terms(guarantee="none", deposit_nights=None)
    assert deposit_due(two) == first_nights(two, 1)


def test_no_guarantee_asks_no_deposit_and_a_plan_without_fee_cancels_free(hotel, guest, room_type):
    res = booking(hotel, guest, room_type, offset=0)
    assert deposit_due(res) == Decimal("0.00")
    assert cancellation_fee(res, timezone.now()) == Decimal("0.00")
    assert free_cancellation_until(res) is None


def test_the_fee_starts_when_the_free_period_ends(hotel, guest, room_type, terms):
    terms(cancel_free_days=2, cancel_fee_nights=1)
    res = booking(hotel, guest, room_type)
    deadline = free_cancellation_until(res)
    local = deadline.astimezone(hotel.tz)
    assert (local.date(), local.time()) == (res.arrival - timedelta(days=2), time(15, 0))
    assert cancellation_fee(res, deadline) == Decimal("0.00")
    one_night = first_nights(res, 1)
    assert cancellation_fee(res, deadline + timedelta(minutes=1)) == one_night
    terms(cancel_fee_nights=None, cancel_fee_percent=Decimal("50"), cancel_free_hours=48)
    half = booking(hotel, guest, room_type)
    assert cancellation_fee(half, deadline - timedelta(days=30)) == Decimal("0.00")
    assert cancellation_fee(half, timezone.now() + timedelta(days=30)) == (
        half.total_price / 2
    ).quantize(Decimal("0.01"))


def test_a_cancellation_inside_the_free_period_posts_nothing(hotel, guest, room_type, terms):
    terms(cancel_free_days=2, cancel_fee_nights=1)
    res = booking(hotel, guest, room_type, offset=10)
    reservation_cancel(reservation=res)
    res.refresh_from_db()
    assert res.status == Reservation.Status.CANCELLED
    assert fee_lines(res) == []


def test_a_late_cancellation_posts_the_fee_to_the_folio_once(hotel, guest, room_type, terms):
    terms(cancel_free_days=2, cancel_fee_nights=1)
    res = booking(hotel, guest, room_type, offset=1)
    reservation_cancel(reservation=res, reason="change of plans")
    reservation_cancel(reservation=res)  # a double tap: the same cancellation
    lines = fee_lines(res)
    assert [(line.total, line.revenue_category) for line in lines] == [
        (first_nights(res, 1), "accommodation")
    ]
    # worded in the property's language (French), whatever the process speaks
    assert "Frais d’annulation" in lines[0].description
    assert not CapacityAllocation.objects.filter(
        reference__startswith="pms.reservationroom:", status="confirmed"
    ).exists()


def test_a_manager_waives_the_fee_with_a_reason(hotel, guest, room_type, terms, manager):
    terms(cancel_free_days=2, cancel_fee_nights=1)
    res = booking(hotel, guest, room_type, offset=1)
    with pytest.raises(InvalidInput):
        reservation_cancel(reservation=res, waived_by=manager, waiver_reason=" ")
    reservation_cancel(reservation=res, waived_by=manager, waiver_reason="regular guest")
    assert fee_lines(res) == []
    res.refresh_from_db()
    assert res.status == Reservation.Status.CANCELLED


def test_a_receptionist_cannot_waive_the_fee_and_nothing_changes(hotel, guest, room_type, terms):
    terms(cancel_free_days=2, cancel_fee_nights=1)
    clerk = make_staff(hotel, Role.FRONT_DESK)
    res = booking(hotel, guest, room_type, offset=1)
    with pytest.raises(PermissionDenied) as refused:
        reservation_cancel(reservation=res, waived_by=clerk, waiver_reason="friend")
    assert "Only a manager can waive the fee." in str(refused.value.message)
    res.refresh_from_db()
    assert res.status == Reservation.Status.CONFIRMED
    assert fee_lines(res) == []


def test_a_checked_out_stay_cannot_be_cancelled(hotel, guest, room_type, room):
    res = booking(hotel, guest, room_type, offset=0, nights=1)
    reservation_check_in(reservation=res, assignments={res.rooms.get().pk: room("101").pk})
    reservation_check_out(
        reservation=res, open_balance=DepartureBalance(pay_method="card", pay_reference="T-1")
    )
    with pytest.raises(InvalidReservationState) as refused:
        reservation_cancel(reservation=res)
    assert "Only a confirmed reservation or an option can be cancelled." in str(
        refused.value.message
    )
    res.refresh_from_db()
    assert res.status == Reservation.Status.CHECKED_OUT


def test_the_night_audit_marks_the_no_show_and_posts_its_fee(hotel, guest, room_type, terms):
    terms(cancel_free_days=1, cancel_fee_nights=1)
    # booked yesterday for yesterday (an OTA may book the past): the day has rolled
    yesterday = hotel.business_date() - timedelta(days=1)
    res = reservation_create(
        property=hotel,
        guest=guest,
        arrival=yesterday,
        departure=yesterday + timedelta(days=2),
        rooms=[RoomRequest(room_type("classique").pk, 2, 0)],
        channel=Channel.OTA,
    )
    still_due = booking(hotel, guest, room_type, offset=0)
    room_nights_post_task()
    room_nights_post_task()  # a retried audit charges nothing twice
    res.refresh_from_db()
    still_due.refresh_from_db()
    assert res.status == Reservation.Status.NO_SHOW
    assert [line.total for line in fee_lines(res)] == [first_nights(res, 1)]
    # the audit's worker speaks English; the French property's folio says it in French
    assert fee_lines(res)[0].description == f"Frais de non-présentation {res.reference}"
    # today's arrival still has the day to come
    assert still_due.status == Reservation.Status.CONFIRMED


def test_the_terms_in_the_guests_language(hotel, guest, room_type, terms):
    terms(
        guarantee="deposit",
        deposit_nights=1,
        deposit_days_before=None,
        cancel_free_days=2,
        cancel_fee_nights=1,
    )
    plan = RatePlan.objects.get(property=hotel, code="public")
    assert rate_plan_policy_text(plan, "en") == (
        "A deposit of 1 night is due at booking. "
        "Free cancellation until 2 days before arrival, then a fee of 1 night."
    )
    assert rate_plan_policy_text(plan, "fr") == (
        "Un acompte de 1 nuit est demandé à la réservation. "
        "Annulation gratuite jusqu’à 2 jours avant l’arrivée, puis des frais de 1 nuit."
    )
    res = booking(hotel, guest, room_type, nights=2)
    sentence = policy_text(res, "fr")
    assert "acompte de" in sentence and "€" in sentence and "2 jours" in sentence


def test_the_api_cancel_applies_the_same_fee(hotel, guest, room_type, terms, client, clerk):
    terms(cancel_free_days=2, cancel_fee_nights=1)
    res = booking(hotel, guest, room_type, offset=1)
    client.force_login(clerk)
    response = client.post(
        f"/api/v1/properties/{hotel.slug}/reservations/{res.reference}/cancel",
        content_type="application/json",
    )
    assert response.status_code in (200, 201), response.content
    assert [line.total for line in fee_lines(res)] == [first_nights(res, 1)]


def test_a_change_of_plan_re_prices_and_brings_its_terms(hotel, guest, room_type, terms):
    terms(cancel_free_days=2, cancel_fee_nights=1)
    res = booking(hotel, guest, room_type, nights=2)
    assert res.policy["rate_plan"] == "public"
    longer = reservation_modify(reservation=res, departure=res.departure + timedelta(days=1))
    assert longer.total_price > Decimal("0") and longer.policy["cancel_fee_nights"] == 1


def desk_booking(hotel, clerk, guest, room_type, rooms, key, offset=5):
    arrival = hotel.business_date() + timedelta(days=offset)
    return desk_reservation_create(
        property=hotel,
        actor=clerk,
        key=key,
        arrival=arrival,
        departure=arrival + timedelta(days=2),
        rooms=[RoomRequest(room_type("classique").pk, 2, 0)] * rooms,
        new_guest=NewGuest(first_name="Ana", last_name=f"Groupe{rooms}", email=""),
    )


def test_a_desk_booking_costs_the_same_statements_for_1_room_and_for_5(
    hotel, guest, room_type, clerk
):
    # warm the caches a first booking fills (pricing configuration, prices, buckets)
    desk_booking(hotel, clerk, guest, room_type, 1, "warm-1", offset=5)
    desk_booking(hotel, clerk, guest, room_type, 1, "warm-5", offset=12)
    with CaptureQueriesContext(connection) as one:
        desk_booking(hotel, clerk, guest, room_type, 1, "one", offset=5)
    with CaptureQueriesContext(connection) as five:
        res, replayed = desk_booking(hotel, clerk, guest, room_type, 5, "five", offset=12)
    assert not replayed and res.rooms.count() == 5
    assert len(one) <= 25, "\n".join(q["sql"] for q in one.captured_queries)
    assert len(five) == len(one), "\n".join(q["sql"] for q in five.captured_queries)


def test_a_double_tap_books_once(hotel, guest, room_type, clerk):
    first, replayed_first = desk_booking(hotel, clerk, guest, room_type, 2, "tap")
    again, replayed = desk_booking(hotel, clerk, guest, room_type, 2, "tap")
    assert (again.pk, replayed_first, replayed) == (first.pk, False, True)
    assert Reservation.objects.filter(guest__last_name="Groupe2").count() == 1


def test_a_refused_booking_leaves_no_guest_and_frees_the_key(hotel, guest, room_type, clerk):
    from crm.models import Guest

    arrival = hotel.business_date() + timedelta(days=5)
    with pytest.raises(InvalidInput):
        desk_reservation_create(
            property=hotel,
            actor=clerk,
            key="k",
            arrival=arrival,
            departure=arrival + timedelta(days=1),
            rooms=[RoomRequest(room_type("classique").pk, 5, 0)],
            new_guest=NewGuest(first_name="Too", last_name="Many"),
        )
    assert not Guest.objects.filter(last_name="Many").exists()
    res, replayed = desk_reservation_create(
        property=hotel,
        actor=clerk,
        key="k",
        arrival=arrival,
        departure=arrival + timedelta(days=1),
        rooms=[RoomRequest(room_type("classique").pk, 2, 0)],
        new_guest=NewGuest(first_name="Fits", last_name="Many"),
    )
    assert not replayed and res.guest.first_name == "Fits"
