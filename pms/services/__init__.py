"""PMS services: every state change of rooms and reservations (see each module)."""

from pms.services.reservations import (
    ExtraRequest,
    RoomRequest,
    reservation_cancel,
    reservation_create,
    reservation_create_for_guest,
    reservation_mark_no_show,
    reservation_modify,
)
from pms.services.rooms import (
    room_assign,
    room_back_in_service,
    room_create,
    room_housekeeping_set,
    room_move,
    room_out_of_order,
    room_set_active,
    room_type_sync_capacity,
)
from pms.services.stays import (
    DepartureBalance,
    reservation_check_in,
    reservation_check_out,
    room_nights_post,
)

__all__ = [
    "ExtraRequest",
    "RoomRequest",
    "reservation_cancel",
    "reservation_check_in",
    "reservation_check_out",
    "DepartureBalance",
    "reservation_create",
    "reservation_create_for_guest",
    "reservation_mark_no_show",
    "reservation_modify",
    "room_assign",
    "room_back_in_service",
    "room_create",
    "room_housekeeping_set",
    "room_move",
    "room_nights_post",
    "room_out_of_order",
    "room_set_active",
    "room_type_sync_capacity",
]
