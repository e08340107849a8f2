"""Room types and rooms from the back office (PMS-1): create, edit, deactivate. A room
type's nights are an inventory product (created through inventory's service); its rooms
size the capacity (pms.services.rooms)."""

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.exceptions import InvalidInput, NotFound
from core.models import Property
from inventory.services.rates import night_product_create, product_set_active
from pms.lock_objects import room_types_for_update, rooms_for_update
from pms.models import Room, RoomType

TYPE_FIELDS = ("name_fr", "name_en", "base_occupancy", "max_occupancy", "sort_order")
ROOM_FIELDS = ("number", "floor", "features", "room_type_id")


def _occupancy(base: int, maximum: int) -> None:
    if base < 1 or maximum < 1:
        raise InvalidInput(_("A room sleeps at least 1 person."), extra={"field": "base_occupancy"})
    if base > maximum:
        raise InvalidInput(
            _("The base occupancy is above the maximum."), extra={"field": "max_occupancy"}
        )
    if maximum > 20:
        raise InvalidInput(_("At most 20 people in a room."), extra={"field": "max_occupancy"})


@transaction.atomic
def room_type_create(
    *,
    property: Property,
    code: str,
    name_fr: str,
    name_en: str,
    base_occupancy: int,
    max_occupancy: int,
    price: Decimal,
    actor=None,
) -> RoomType:
    """A new kind of room, sold at `price` a night until the rates calendar says otherwise."""
    code = (code or "").strip().lower()
    name_fr = (name_fr or "").strip()
    if not code or not name_fr:
        raise InvalidInput(_("Give a code and a French name."), extra={"field": "code"})
    if RoomType.objects.filter(property=property, code=code).exists():
        raise InvalidInput(_("This code is already used."), extra={"field": "code"})
    _occupancy(base_occupancy, max_occupancy)
    product = night_product_create(
        property=property, code=code, name_fr=name_fr, name_en=name_en.strip(), price=price
    )
    room_type = RoomType.objects.create(
        property=property,
        code=code[:20],
        name_fr=name_fr[:100],
        name_en=name_en.strip()[:100],
        product=product,
        base_occupancy=base_occupancy,
        max_occupancy=max_occupancy,
    )
    audit_log(
        action="pms.room_type.created",
        property=property,
        actor=actor,
        target=room_type,
        data={
            "model": "pms.roomtype",
            "before": {},
            "after": {f: getattr(room_type, f) for f in TYPE_FIELDS},
        },
    )
    return room_type


@transaction.atomic
def room_type_update(
    *, room_type: RoomType, actor=None, is_active: bool | None = None, **fields
) -> RoomType:
    """Names, occupancy, order; `is_active` False stops selling it on every channel."""
    (locked,) = room_types_for_update(property_id=room_type.property_id, ids=[room_type.pk]) or [
        None
    ]
    if locked is None:
        raise NotFound()
    before = {f: getattr(locked, f) for f in TYPE_FIELDS} | {"is_active": locked.product.is_active}
    for name, value in fields.items():
        if name not in TYPE_FIELDS:
            raise InvalidInput(_("Unknown field."))
        setattr(locked, name, value.strip() if isinstance(value, str) else value)
    if not locked.name_fr:
        raise InvalidInput(_("Give a code and a French name."), extra={"field": "name_fr"})
    _occupancy(locked.base_occupancy, locked.max_occupancy)
    locked.save()
    if is_active is not None:
        product_set_active(property=locked.property, product=locked.product, is_active=is_active)
    after = {f: getattr(locked, f) for f in TYPE_FIELDS} | {"is_active": locked.product.is_active}
    if before != after:
        audit_log(
            action="pms.room_type.changed",
            property=locked.property,
            actor=actor,
            target=locked,
            data={"model": "pms.roomtype", "before": before, "after": after},
        )
    return locked


@transaction.atomic
def room_update(
    *, room: Room, number: str, floor: int, features: str, room_type: RoomType, actor=None
) -> Room:
    """A room's number, floor, features and type (the two types' capacities follow)."""
    from pms.services.rooms import room_type_sync_capacity

    (locked,) = rooms_for_update(room_ids=[room.pk])
    if room_type.property_id != locked.property_id:
        raise NotFound()
    number = (number or "").strip()
    if not number:
        raise InvalidInput(_("A room needs a number."), extra={"field": "number"})
    if Room.objects.filter(property=locked.property, number=number).exclude(pk=locked.pk).exists():
        raise InvalidInput(
            _("Room %(number)s already exists.") % {"number": number}, extra={"field": "number"}
        )
    before = {f: getattr(locked, f) for f in ROOM_FIELDS}
    old_type = locked.room_type
    locked.number, locked.floor, locked.features = (
        number[:10],
        floor,
        (features or "").strip()[:200],
    )
    locked.room_type = room_type
    locked.save()
    if old_type.pk != room_type.pk:
        room_type_sync_capacity(room_type=old_type)
        room_type_sync_capacity(room_type=room_type)
    after = {f: getattr(locked, f) for f in ROOM_FIELDS}
    if before != after:
        audit_log(
            action="pms.room.changed",
            property=locked.property,
            actor=actor,
            target=locked,
            data={"model": "pms.room", "before": before, "after": after},
        )
    return locked
