"""Every row lock of the PMS, in one fixed order: Reservation → RoomType → Room (then inventory's
CapacityBucket locks, taken by inventory.services.capacity). Evaluated on purpose: a lazy
select_for_update queryset takes no lock."""

from pms.models import Reservation, Room, RoomType


def reservation_for_update(*, reservation_id: int) -> Reservation:
    return (
        Reservation.objects.select_for_update(of=("self",))
        .select_related("property", "folio", "guest", "company")
        .get(pk=reservation_id)
    )


def rooms_for_update(*, room_ids: list[int]) -> list[Room]:
    return list(
        Room.objects.filter(pk__in=room_ids)
        .select_related("room_type")
        .order_by("pk")
        .select_for_update(of=("self",))
    )


def room_types_for_update(*, property_id: int, ids: list[int]) -> list[RoomType]:
    """Room types whose restrictions or settings are being changed (pk order)."""
    return list(
        RoomType.objects.filter(property_id=property_id, pk__in=ids)
        .select_related("product")
        .order_by("pk")
        .select_for_update(of=("self",))
    )
