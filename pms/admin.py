from django.contrib import admin

from pms.models import (
    Reservation,
    ReservationExtra,
    ReservationRoom,
    Restriction,
    Room,
    RoomAssignment,
    RoomOutOfOrder,
    RoomType,
)


@admin.register(RoomType)
class RoomTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name_fr", "property", "base_occupancy", "max_occupancy"]
    list_filter = ["property"]
    raw_id_fields = ["product"]


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["number", "room_type", "property", "floor", "housekeeping_status", "is_active"]
    list_filter = ["property", "room_type", "housekeeping_status", "is_active"]
    search_fields = ["number"]


@admin.register(RoomOutOfOrder)
class RoomOutOfOrderAdmin(admin.ModelAdmin):
    list_display = ["room", "start", "end", "reason", "released_at"]
    list_filter = ["room__property"]
    # capacity follows these periods: change them through pms.services.room_out_of_order
    readonly_fields = ["room", "start", "end", "created_by", "released_at"]


@admin.register(Restriction)
class RestrictionAdmin(admin.ModelAdmin):
    list_display = [
        "day",
        "property",
        "room_type",
        "min_stay",
        "closed_to_arrival",
        "closed_to_departure",
    ]
    list_filter = ["property", "room_type"]
    date_hierarchy = "day"


class ReservationRoomInline(admin.TabularInline):
    model = ReservationRoom
    extra = 0
    fields = ["room_type", "room", "adults", "children", "price_total", "applied_rule"]
    readonly_fields = fields
    can_delete = False


class ReservationExtraInline(admin.TabularInline):
    model = ReservationExtra
    extra = 0
    fields = ["product", "quantity", "day", "slot_time", "total"]
    readonly_fields = fields
    can_delete = False


@admin.register(Reservation)
class ReservationAdmin(admin.ModelAdmin):
    """Read-mostly: reservations change through the services (capacity, folio, audit)."""

    list_display = ["reference", "guest", "property", "status", "channel", "arrival", "departure"]
    list_filter = ["property", "status", "channel"]
    search_fields = ["reference", "external_reference", "guest__last_name", "guest__email"]
    date_hierarchy = "arrival"
    list_select_related = ["guest", "property"]
    inlines = [ReservationRoomInline, ReservationExtraInline]
    readonly_fields = [
        "property",
        "reference",
        "guest",
        "company",
        "status",
        "channel",
        "arrival",
        "departure",
        "adults",
        "children",
        "total_price",
        "folio",
        "created_by",
        "checked_in_at",
        "checked_out_at",
        "cancelled_at",
        "option_expires_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(RoomAssignment)
class RoomAssignmentAdmin(admin.ModelAdmin):
    list_display = ["room", "reservation_room", "start", "end", "released_at"]
    list_filter = ["room__property"]
    readonly_fields = ["reservation_room", "room", "start", "end", "released_at"]

    def has_add_permission(self, request) -> bool:
        return False
