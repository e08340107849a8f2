"""PMS-1 in the back office: room types and rooms created, edited and taken out of service
on screen; the capacity sold follows; bad input saves nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from core.models import AuditEntry, Role
from inventory.models import CapacityPool, Channel
from inventory.services.pricing import QuoteLineInput, quote
from pms.models import Room, RoomType
from tests.factories.core import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(client, hotel, rooms):
    user = make_staff(hotel, Role.MANAGER, username="boss", pin="666666")
    client.force_login(user)
    return user


def test_a_new_room_type_and_its_rooms_are_sold_at_once(client, boss, hotel):
    response = client.post(
        reverse("rooms:list"),
        {
            "action": "type",
            "code": "suite",
            "name_fr": "Suite",
            "name_en": "Suite",
            "base_occupancy": "2",
            "max_occupancy": "4",
            "price": "320",
        },
    )
    assert response.status_code == 302
    suite = RoomType.objects.get(property=hotel, code="suite")
    for number in ("501", "502"):
        client.post(
            reverse("rooms:list"),
            {"action": "room", "room_type": suite.pk, "number": number, "floor": "5"},
        )
    pool = CapacityPool.objects.get(pk=suite.product.capacity_pool_id)
    assert pool.default_capacity == 2
    day = hotel.business_date()
    priced = quote(
        property=hotel,
        channel=Channel.FRONT_DESK,
        lines=[QuoteLineInput(product_id=suite.product_id, start=day, end=day + timedelta(days=1))],
    )
    assert priced.lines[0].total + priced.lines[0].discount == Decimal("320.00")
    assert "Suite" in client.get(reverse("rooms:list")).content.decode()


def test_edit_a_room_and_take_it_out_of_service(client, boss, hotel, room_type):
    room = Room.objects.filter(property=hotel, room_type=room_type("classique")).first()
    pool = room.room_type.product.capacity_pool
    before = CapacityPool.objects.get(pk=pool.pk).default_capacity
    response = client.post(
        reverse("rooms:room_edit", args=[room.pk]),
        {"number": room.number, "floor": "3", "features": "balcon", "room_type": room.room_type_id},
    )
    assert response.status_code == 302
    room.refresh_from_db()
    assert (room.floor, room.features) == (3, "balcon")
    client.post(reverse("rooms:room_edit", args=[room.pk]), {"action": "deactivate"})
    room.refresh_from_db()
    assert not room.is_active
    assert CapacityPool.objects.get(pk=pool.pk).default_capacity == before - 1
    assert AuditEntry.objects.filter(action="pms.room.changed").exists()


def test_a_room_type_taken_off_sale_leaves_the_booking_engine(client, boss, hotel, room_type):
    classique = room_type("classique")
    client.post(
        reverse("rooms:type_edit", args=[classique.pk]),
        {
            "name_fr": classique.name_fr,
            "base_occupancy": "2",
            "max_occupancy": "2",
            "sort_order": "0",
        },
    )
    classique.product.refresh_from_db()
    assert not classique.product.is_active
    day = hotel.business_date() + timedelta(days=3)
    page = client.get(
        f"/book/{hotel.slug}/",
        {
            "arrival": day.isoformat(),
            "departure": (day + timedelta(days=1)).isoformat(),
            "adults": 2,
        },
    )
    assert page.status_code == 200
    assert "classique" not in {o.room_type.code for o in page.context["offers"]}


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"price": "-10"}, "A price cannot be negative."),
        ({"base_occupancy": "3", "max_occupancy": "2"}, "above the maximum"),
        ({"code": "classique"}, "already used"),
    ],
)
def test_a_bad_room_type_is_refused_and_nothing_saved(client, boss, hotel, fields, message):
    body = {
        "action": "type",
        "code": "loft",
        "name_fr": "Loft",
        "base_occupancy": "2",
        "max_occupancy": "2",
        "price": "100",
        **fields,
    }
    count = RoomType.objects.count()
    response = client.post(reverse("rooms:list"), body)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert RoomType.objects.count() == count
    assert not CapacityPool.objects.filter(code="nuits-loft").exists()
