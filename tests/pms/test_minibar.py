"""The minibar: room 103's minibar is a stock location; the housekeeper enters two colas
taken, the guest in house is charged once (double tap), the minibar's stock goes down in the
same transaction, a refused charge takes no stock and stock below zero charges nothing."""

from decimal import Decimal

import pytest
from django.db import transaction

from billing.models import FolioLine
from core.exceptions import InvalidInput
from core.models import Role
from inventory.exceptions import OutOfStock
from inventory.models import Product, StockItem, StockLevel, StockLocation, StockMovement
from inventory.services.stock import Move, recipe_line_save, stock_apply
from inventory.services.stock_setup import location_save
from pms.services import RoomRequest, reservation_check_in, reservation_create
from pms.services.minibar import minibar_consume
from tests.factories.core import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def minibar(hotel, manager):
    location = location_save(
        property=hotel,
        actor=manager,
        fields={"code": "mb-103", "name": "Minibar 103", "kind": "minibar", "room_number": "103"},
    )
    cola_item = StockItem.objects.create(
        property=hotel,
        code="cola",
        name="Cola 33 cl",
        base_unit="piece",
        average_cost=Decimal("0.60"),
    )
    cola = Product.objects.create(
        property=hotel, code="mb-cola", name_fr="Cola minibar", name_en="Minibar cola",
        price=Decimal("5.00"), vat_rate=Decimal("10.00"), revenue_category="food",
    )  # fmt: skip
    recipe_line_save(product=cola, item=cola_item, quantity=Decimal(1), unit="piece")
    with transaction.atomic():
        stock_apply(property=hotel, moves=[Move(cola_item.pk, location.pk, Decimal(3), "receipt")])
    return {"location": location, "item": cola_item, "product": cola}


@pytest.fixture
def in_house(hotel, rooms, guest, today, day, room, clerk):
    reservation = reservation_create(
        property=hotel, guest=guest, arrival=today, departure=day(2),
        rooms=[RoomRequest(rooms["classique"].pk, 2, 0)], channel="ota",
    )  # fmt: skip
    reservation_check_in(
        reservation=reservation,
        actor=clerk,
        assignments={reservation.rooms.get().pk: room("103").pk},
    )
    reservation.refresh_from_db()
    return reservation


def test_the_housekeeper_charges_the_minibar_once_and_the_stock_follows(
    client, hotel, minibar, in_house, room
):
    maid = make_staff(hotel, Role.HOUSEKEEPING, username="maid")
    client.force_login(maid)
    board = client.get("/housekeeping/").content.decode()
    url = f"/housekeeping/rooms/{room('103').pk}/minibar/"
    assert f'href="{url}"' in board
    sheet = client.get(url).content.decode()
    assert "Minibar cola" in sheet
    product = minibar["product"]
    form = {f"product_{product.pk}": "2", "key": "tap-1"}
    client.post(url, form)
    client.post(url, form)  # the double tap
    (line,) = FolioLine.objects.filter(folio=in_house.folio, product=product)
    assert (line.quantity, line.total) == (2, Decimal("10.00"))
    level = StockLevel.objects.get(item=minibar["item"], location=minibar["location"])
    assert level.quantity == Decimal(1)
    (sale,) = StockMovement.objects.filter(kind="sale")
    assert sale.reference == line.source and sale.quantity == Decimal(-2)
    bad = client.post(url, {f"product_{product.pk}": "x", "key": "tap-2"})
    assert bad.status_code == 422
    assert client.get(f"/housekeeping/rooms/{room('101').pk}/minibar/").status_code == 404


def test_below_zero_or_nobody_in_house_charges_nothing(hotel, minibar, in_house, room, rooms):
    product = minibar["product"]
    with pytest.raises(OutOfStock):
        minibar_consume(room=room("103"), consumed={product.pk: 5}, key="k1", actor=None)
    assert not FolioLine.objects.filter(product=product).exists()
    assert StockLevel.objects.get(location=minibar["location"]).quantity == Decimal(3)
    empty = room("104")
    other = StockLocation.objects.create(
        property=hotel, code="mb-104", name="Minibar 104", kind="minibar", room_number="104"
    )
    with pytest.raises(InvalidInput, match="does not hold"):
        minibar_consume(room=empty, consumed={product.pk: 1}, key="k2", actor=None)
    with transaction.atomic():
        stock_apply(
            property=hotel, moves=[Move(minibar["item"].pk, other.pk, Decimal(3), "receipt")]
        )
    with pytest.raises(InvalidInput, match="104"):
        minibar_consume(room=empty, consumed={product.pk: 1}, key="k2", actor=None)
    with pytest.raises(InvalidInput):  # one minibar per room
        location_save(
            property=hotel, actor=None,
            fields={"code": "mb-103b", "name": "Bis", "kind": "minibar", "room_number": "103"},
        )  # fmt: skip
