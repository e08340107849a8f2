"""In-house stays built directly with the ORM (the pms services belong to another branch):
a Reservation IN_HOUSE with an open Folio and a ReservationRoom in a numbered Room."""

from datetime import timedelta
from decimal import Decimal

from billing.services.folios import folio_open
from crm.models import Guest
from inventory.models import CapacityPool, Product, RevenueCategory
from pms.models import Reservation, ReservationRoom, Room, RoomType


def _room_type(property) -> RoomType:
    room_type = RoomType.objects.filter(property=property).first()
    if room_type is not None:
        return room_type
    product = Product.objects.filter(property=property, code="nuit-classique").first()
    if product is None:
        pool, _ = CapacityPool.objects.get_or_create(
            property=property,
            code="nuits-test",
            defaults={"name": "Nuits", "kind": CapacityPool.Kind.NIGHT, "default_capacity": 10},
        )
        product = Product.objects.create(
            property=property,
            code="nuit-test",
            name_fr="Nuit",
            price=Decimal("100.00"),
            vat_rate=Decimal("10.00"),
            revenue_category=RevenueCategory.ACCOMMODATION,
            capacity_pool=pool,
        )
    return RoomType.objects.create(
        property=property, code="classique", name_fr="Chambre Classique", product=product
    )


def make_room(property, number: str) -> Room:
    room, _ = Room.objects.get_or_create(
        property=property, number=number, defaults={"room_type": _room_type(property)}
    )
    return room


def make_stay(
    property,
    *,
    room_number: str = "12",
    last_name: str = "Dupont",
    status: str = Reservation.Status.IN_HOUSE,
    reference: str | None = None,
) -> ReservationRoom:
    """A stay in room `room_number` (in house by default) with its open folio."""
    room = make_room(property, room_number)
    guest = Guest.objects.create(
        organization=property.organization, first_name="Jeanne", last_name=last_name
    )
    today = property.business_date()
    folio = folio_open(property=property, holder_name=str(guest), guest=guest)
    reservation = Reservation.objects.create(
        property=property,
        reference=reference or f"R{room_number}-{Reservation.objects.count() + 1}",
        guest=guest,
        status=status,
        channel="front_desk",
        arrival=today - timedelta(days=1),
        departure=today + timedelta(days=2),
        folio=folio,
    )
    return ReservationRoom.objects.create(
        reservation=reservation, room_type=room.room_type, room=room
    )
