"""Demo hotel: 24 rooms in four types and about 120 reservations over the past 30 and next
60 days, all made through the services (past stays checked out, current ones in house, future
ones confirmed). Idempotent: reservations are keyed by external_reference "DEMO-<n>" and
skipped when they already exist."""

import random
from datetime import time, timedelta

from django.contrib.auth import get_user_model

from core.exceptions import DomainError
from inventory.demo import ROOM_TYPES
from inventory.models import Channel, Product
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


def seed(context: dict) -> None:
    prop = context["property"]
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
    # create in arrival order so past stays are checked out before later ones arrive
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
        if departure <= today:
            if _assign_all(reservation):
                reservation_check_in(reservation=reservation, actor=actor, allow_past=True)
                reservation_check_out(
                    reservation=reservation,
                    actor=actor,
                    # a company's stay goes on its account (city ledger); the others pay
                    open_balance=DepartureBalance(company=company)
                    if reservation.company_id
                    else DepartureBalance(pay_method="card", pay_reference=f"TPE-{n}"),
                )
        elif arrival <= today:
            if _assign_all(reservation):
                reservation_check_in(reservation=reservation, actor=actor)
        elif offset <= 3:
            _assign_all(reservation)
    # night audit of the nights already spent by the guests in house
    for back in range(30, 0, -1):
        room_nights_post(property=prop, business_date=today - timedelta(days=back))
