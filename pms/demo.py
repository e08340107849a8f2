"""Demo hotel: 24 rooms in four types and about 120 reservations over the past 30 and next
60 days, all made through the services (past stays checked out, current ones in house, future
ones confirmed), the past month replayed day by day so every document has its own business
date. Idempotent: reservations are keyed by external_reference "DEMO-<n>" and
skipped when they already exist."""

import random
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from unittest import mock

from django.contrib.auth import get_user_model
from django.db.models import Sum
from django.utils import timezone

from billing.models import Payment
from billing.services.closures import closures_run_due
from billing.services.reconciliation import cash_count_record
from core.exceptions import DomainError
from inventory.demo import ROOM_TYPES
from inventory.models import Channel, Product, RatePlan
from pms.models import Reservation, Room, RoomAssignment, RoomType
from pms.services import (
    DepartureBalance,
    ExtraRequest,
    RoomRequest,
    reservation_check_in,
    reservation_check_out,
    reservation_create,
    room_assign,
    room_create,
    room_housekeeping_set,
    room_nights_post,
    room_type_sync_capacity,
)
from pms.services.rooms import live_assignment

# code -> (base occupancy, max occupancy, first room number)
LAYOUT = {
    "classique": (2, 2, 101),
    "superieure": (2, 3, 201),
    "junior": (2, 3, 301),
    "familiale": (3, 4, 401),
}
DEMO_RESERVATIONS = 120


def room_types_seed(prop) -> dict[str, RoomType]:
    """Room types on the inventory's `nuit-<code>` products and their rooms (idempotent)."""
    types = {}
    for order, (code, fr, en, count, _prices) in enumerate(ROOM_TYPES):
        base, maximum, first_number = LAYOUT[code]
        room_type, _ = RoomType.objects.update_or_create(
            property=prop,
            code=code,
            defaults={
                "name_fr": fr,
                "name_en": en,
                "product": Product.objects.get(property=prop, code=f"nuit-{code}"),
                "base_occupancy": base,
                "max_occupancy": maximum,
                "sort_order": order,
            },
        )
        for i in range(count):
            number = str(first_number + i)
            if not Room.objects.filter(property=prop, number=number).exists():
                room_create(
                    room_type=room_type,
                    number=number,
                    floor=first_number // 100,
                    features="vue mer" if i % 3 == 0 else "",
                )
        room_type_sync_capacity(room_type=room_type)
        types[code] = room_type
    return types


def _free_room(room_type: RoomType, arrival, departure) -> Room | None:
    busy = RoomAssignment.objects.filter(
        room__room_type=room_type,
        released_at__isnull=True,
        start__lt=departure,
        end__gt=arrival,
    ).values("room_id")
    return (
        Room.objects.filter(room_type=room_type, is_active=True)
        .exclude(pk__in=busy)
        .order_by("number")
        .first()
    )


def _assign_all(reservation: Reservation) -> bool:
    for rr in reservation.rooms.filter(is_cancelled=False).select_related("room_type"):
        room = _free_room(rr.room_type, reservation.arrival, reservation.departure)
        if room is None:
            return False
        if room.housekeeping_status == Room.Housekeeping.DIRTY:
            room_housekeeping_set(room=room, status=Room.Housekeeping.CLEAN)
        room_assign(reservation_room=rr, room=room)
    return True


COMPANY_STAY = "DEMO-COMPANY"


def _company_stay(prop, company, guests, types, breakfast, actor, today) -> Reservation | None:
    """A stay the company pays, arrived four days ago for two nights with breakfast (the
    month's replay checks it in and out on its account): its invoice to the company (SIREN
    and VAT number) is a Factur-X e-invoice. Made before the other stays so a room is always
    free."""
    guest = next((g for g in guests if company and g.company_id == company.pk), None)
    if guest is None:
        return None
    arrival = today - timedelta(days=4)
    reservation = reservation_create(
        property=prop,
        guest=guest,
        arrival=arrival,
        departure=arrival + timedelta(days=2),
        rooms=[RoomRequest(types["superieure"].pk, 1, 0)],
        channel=Channel.FRONT_DESK,
        actor=actor,
        company=company,
        extras=[ExtraRequest(product_id=breakfast.pk, quantity=1, day=arrival + timedelta(days=1))]
        if breakfast
        else [],
        external_reference=COMPANY_STAY,
        allow_past=True,
    )
    return reservation if _assign_all(reservation) else None


# the demo's rate plans and their terms (issue 19): what the desk and the booking engine show
DEMO_POLICIES = {
    "public": {
        "guarantee": "card",
        "cancel_free_days": 2,
        "cancel_fee_nights": 1,
    },
    "web": {
        "guarantee": "deposit",
        "deposit_percent": Decimal("30"),
        "cancel_free_days": 7,
        "cancel_fee_percent": Decimal("50"),
    },
    "groupe": {
        "guarantee": "deposit",
        "deposit_nights": 1,
        "deposit_days_before": 14,
        "cancel_free_days": 21,
        "cancel_fee_nights": 1,
    },
    "entreprise": {"guarantee": "card", "cancel_free_hours": 18, "cancel_fee_nights": 1},
}


def rate_plan_policies_seed(prop) -> None:
    """Give the demo's plans their guarantee and cancellation terms."""
    for plan in RatePlan.objects.filter(property=prop, code__in=list(DEMO_POLICIES)):
        for name, value in DEMO_POLICIES[plan.code].items():
            setattr(plan, name, value)
        plan.save()  # the signal drops the cached pricing configuration


def seed(context: dict) -> None:
    prop = context["property"]
    rate_plan_policies_seed(prop)
    types = room_types_seed(prop)
    context["room_types"] = types
    if Reservation.objects.filter(property=prop, external_reference__startswith="DEMO-").exists():
        return
    guests = context.get("guests") or []
    if not guests:
        return
    company = context.get("company")
    actor = get_user_model().objects.filter(username="reception").first()
    rng = random.Random(2026)
    today = prop.business_date()
    breakfast = Product.objects.filter(property=prop, code="petit-dejeuner").first()
    massage = Product.objects.filter(property=prop, code="massage-60").first()
    codes = list(types)
    weights = [10, 7, 4, 3]
    channels = [Channel.FRONT_DESK] * 5 + [Channel.BOOKING_ENGINE] * 3 + [Channel.OTA] * 2
    stays: list[Reservation] = []  # arrived by today, rooms assigned: replayed day by day
    company_stay = _company_stay(prop, company, guests, types, breakfast, actor, today)
    if company_stay is not None:
        stays.append(company_stay)
    plans = sorted(
        (rng.randint(-30, 60), rng.choice([1, 2, 2, 3, 3, 4, 5, 7]), n)
        for n in range(1, DEMO_RESERVATIONS + 1)
    )
    for offset, nights, n in plans:
        arrival = today + timedelta(days=offset)
        departure = arrival + timedelta(days=nights)
        code = rng.choices(codes, weights)[0]
        room_type = types[code]
        adults = min(room_type.max_occupancy, rng.choice([1, 2, 2, 2]))
        children = 1 if code == "familiale" and rng.random() < 0.7 else 0
        extras = []
        if breakfast and rng.random() < 0.5:
            extras.append(
                ExtraRequest(
                    product_id=breakfast.pk,
                    quantity=adults,
                    day=arrival + timedelta(days=1),
                )
            )
        if massage and rng.random() < 0.15:
            extras.append(
                ExtraRequest(
                    product_id=massage.pk,
                    quantity=1,
                    day=arrival,
                    slot_time=rng.choice([time(14), time(15), time(16)]),
                )
            )
        try:
            reservation = reservation_create(
                property=prop,
                guest=rng.choice(guests),
                arrival=arrival,
                departure=departure,
                rooms=[RoomRequest(room_type.pk, adults, children)],
                channel=rng.choice(channels),
                actor=actor,
                company=company if n % 15 == 0 else None,
                extras=extras,
                external_reference=f"DEMO-{n}",
                allow_past=True,
            )
        except DomainError:
            continue  # sold out on one night: a real hotel would refuse it too
        if arrival <= today and _assign_all(reservation):
            stays.append(reservation)
        elif arrival > today and offset <= 3:
            _assign_all(reservation)
    _replay_the_month(prop, stays, today=today, actor=actor, company=company)


def _at(prop, day, hour: int):
    """Run the services as if it were `hour` o'clock (local) on `day`: every document they
    write takes that business date (the demo replays a month; nothing else moves the
    clock)."""
    # in UTC, as timezone.now() answers (a hashed timestamp must read back the same)
    moment = datetime.combine(day, time(hour), tzinfo=prop.tz).astimezone(UTC)
    return mock.patch.object(timezone, "now", return_value=moment)


def _check_in(reservation, actor, *, allow_past: bool) -> None:
    for rr in reservation.rooms.filter(is_cancelled=False):
        room = live_assignment(rr)
        if room is not None and room.room.housekeeping_status != Room.Housekeeping.CLEAN:
            room_housekeeping_set(room=room.room, status=Room.Housekeeping.CLEAN)
    reservation_check_in(reservation=reservation, actor=actor, allow_past=allow_past)


def _replay_the_month(prop, stays, *, today, actor, company) -> None:
    """The past month day by day, in the order a hotel lives it: arrivals at 15:00, the
    night audit at 23:00 (each night on its own business date), departures at 11:00 paying
    by card or on their company's account; then the card terminal's count of each day and
    the closures the nightly beat would have made. So the first FEC or CSV export of a new
    user is a real month, not a month of room nights on today's date."""
    first = min((r.arrival for r in stays), default=today)
    for offset in range((today - first).days + 1):
        day = first + timedelta(days=offset)
        past = day < today
        for reservation in [r for r in stays if r.departure == day]:
            with _at(prop, day, 11):
                reservation_check_out(
                    reservation=reservation,
                    actor=actor,
                    # a company's stay goes on its account (city ledger); the others pay
                    open_balance=DepartureBalance(company=company)
                    if reservation.company_id
                    else DepartureBalance(pay_method="card", pay_reference=f"TPE-{reservation.pk}"),
                )
        for reservation in [r for r in stays if r.arrival == day]:
            if past:
                with _at(prop, day, 15):
                    _check_in(reservation, actor, allow_past=True)
            else:
                _check_in(reservation, actor, allow_past=False)
        if past:
            with _at(prop, day, 23):
                room_nights_post(property=prop, business_date=day)
    _count_and_close(prop, today=today, actor=actor)


def _count_and_close(prop, *, today, actor) -> None:
    """Each past day's card slip counted as recorded (the demo reconciles to 0,00 €), then
    the closures of the days, and of last month, that the beat makes at 05:00."""
    totals = (
        Payment.objects.filter(property=prop, business_date__lt=today)
        .values("business_date", "method")
        .annotate(total=Sum("amount"))
        .order_by("business_date", "method")
    )
    for row in totals:
        cash_count_record(
            property=prop,
            business_date=row["business_date"],
            method=row["method"],
            counted=row["total"],
            actor=actor,
            note="Ticket de fin de journée du TPE",
        )
    closures_run_due(property=prop)
