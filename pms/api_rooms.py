"""Rooms, room types and stays under /api/v1/properties/<property_slug>/: the housekeeping
status of each room (read, and set through pms.services.rooms.room_housekeeping_set, as the
housekeeping phone does) and the stays in house (with their folio, to post charges to)."""

from django.db.models import Count, Exists, OuterRef, Q
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status

from core.api import IDEMPOTENCY_PARAMETER, idempotent_response
from core.api_reads import (
    ListParams,
    PropertyReadApi,
    cursor_page,
    jsonable,
    page_of,
    query_params,
    queryset_version,
)
from core.exceptions import NotFound
from core.roles import role_has
from crm.models import Guest
from pms.models import Reservation, ReservationRoom, Room, RoomOutOfOrder, RoomType
from pms.selectors import stays_in_house
from pms.services.rooms import room_housekeeping_set


class RoomTypeOutputSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    base_occupancy = serializers.IntegerField()
    max_occupancy = serializers.IntegerField()
    product = serializers.CharField(source="product.code")
    rooms = serializers.IntegerField(source="room_count")


class RoomOutputSerializer(serializers.Serializer):
    number = serializers.CharField()
    room_type = serializers.CharField(source="room_type.code")
    floor = serializers.IntegerField()
    features = serializers.CharField()
    housekeeping_status = serializers.ChoiceField(choices=Room.Housekeeping.choices)
    housekeeping_changed_at = serializers.DateTimeField(allow_null=True)
    in_service = serializers.BooleanField(source="is_active")
    out_of_order = serializers.BooleanField(
        source="out_of_order_today", help_text="Out of order today."
    )
    updated_at = serializers.DateTimeField()


ROOM_EXAMPLE = {
    "number": "12",
    "room_type": "classique",
    "floor": 1,
    "features": "balcon",
    "housekeeping_status": "clean",
    "housekeeping_changed_at": "2026-06-01T10:12:00Z",
    "in_service": True,
    "out_of_order": False,
    "updated_at": "2026-06-01T10:12:00Z",
}


def _rooms(property):
    today = property.business_date()
    return (
        Room.objects.filter(property=property)
        .select_related("room_type")
        .annotate(
            out_of_order_today=Exists(
                RoomOutOfOrder.objects.filter(
                    room=OuterRef("pk"), released_at__isnull=True, start__lte=today, end__gt=today
                )
            )
        )
    )


class RoomTypeListApi(PropertyReadApi):
    """The room types, in the order of the screens, with how many rooms each has."""

    area = "pms"

    @extend_schema(
        operation_id="pms_room_type_list",
        parameters=[ListParams],
        responses={200: page_of(RoomTypeOutputSerializer, "PmsRoomTypePage")},
        examples=[
            OpenApiExample(
                "A page",
                response_only=True,
                value={
                    "results": [
                        {
                            "code": "classique",
                            "name": "Chambre Classique",
                            "base_occupancy": 2,
                            "max_occupancy": 3,
                            "product": "nuit-classique",
                            "rooms": 12,
                        }
                    ],
                    "next": None,
                },
            )
        ],
    )
    def get(self, request, property_slug: str):
        params = query_params(request, ListParams)
        room_types = RoomType.objects.filter(property=self.property)
        return self.read(
            request,
            version=queryset_version(room_types, Room.objects.filter(property=self.property)),
            build=lambda: cursor_page(
                room_types.select_related("product").annotate(
                    room_count=Count("rooms", filter=Q(rooms__is_active=True))
                ),
                params=params,
                keys=("sort_order", "code", "pk"),
                serialize=lambda rows: RoomTypeOutputSerializer(rows, many=True).data,
            ),
        )


class RoomListApi(PropertyReadApi):
    """The rooms by number, with their housekeeping status and whether they are out of
    order today."""

    area = "pms"

    class FilterSerializer(ListParams):
        room_type = serializers.CharField(required=False, max_length=20)
        housekeeping_status = serializers.ChoiceField(
            choices=Room.Housekeeping.choices, required=False
        )

    @extend_schema(
        operation_id="pms_room_list",
        parameters=[FilterSerializer],
        responses={200: page_of(RoomOutputSerializer, "PmsRoomPage")},
        examples=[
            OpenApiExample(
                "A page", response_only=True, value={"results": [ROOM_EXAMPLE], "next": None}
            )
        ],
    )
    def get(self, request, property_slug: str):
        params = query_params(request, self.FilterSerializer)
        rooms = Room.objects.filter(property=self.property)
        if "room_type" in params:
            rooms = rooms.filter(room_type__code=params["room_type"])
        if "housekeeping_status" in params:
            rooms = rooms.filter(housekeeping_status=params["housekeeping_status"])
        return self.read(
            request,
            version=[
                self.property.business_date(),
                *queryset_version(
                    rooms, RoomOutOfOrder.objects.filter(room__property=self.property)
                ),
            ],
            build=lambda: cursor_page(
                _rooms(self.property).filter(pk__in=rooms.values("pk")),
                params=params,
                keys=("number", "pk"),
                serialize=lambda rows: RoomOutputSerializer(rows, many=True).data,
            ),
        )


class RoomDetailApi(PropertyReadApi):
    """One room; PATCH sets its housekeeping status (clean, dirty; inspected: a supervisor's
    role, pms.inspect), as the housekeeping phone does. Capability pms.housekeeping (the
    phone's roles: housekeeping, front desk, manager, admin)."""

    area = "pms"
    capability = "pms.housekeeping"

    class InputSerializer(serializers.Serializer):
        housekeeping_status = serializers.ChoiceField(choices=Room.Housekeeping.choices)

    def room(self, number: str) -> Room:
        room = _rooms(self.property).filter(number=number).first()
        if room is None:
            raise NotFound()
        return room

    @extend_schema(
        operation_id="pms_room_detail",
        responses={200: RoomOutputSerializer},
        examples=[OpenApiExample("A room", value=ROOM_EXAMPLE, response_only=True)],
    )
    def get(self, request, property_slug: str, number: str):
        room = self.room(number)
        return self.read(
            request,
            version=[room.updated_at, room.out_of_order_today],
            build=lambda: RoomOutputSerializer(room).data,
        )

    @extend_schema(
        operation_id="pms_room_housekeeping_set",
        request=InputSerializer,
        responses={200: RoomOutputSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        examples=[
            OpenApiExample("Cleaned", value={"housekeeping_status": "clean"}, request_only=True),
            OpenApiExample("The room", value=ROOM_EXAMPLE, response_only=True),
        ],
    )
    def patch(self, request, property_slug: str, number: str):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        room = self.room(number)

        def compute():
            room_housekeeping_set(
                room=room,
                status=data.validated_data["housekeeping_status"],
                actor=request.user,
                may_inspect=role_has(self.membership.role, "pms.inspect"),
            )
            return status.HTTP_200_OK, jsonable(RoomOutputSerializer(self.room(number)).data)

        return idempotent_response(
            request, scope=f"pms.room.housekeeping:{room.pk}", compute=compute
        )


class StayGuestOutputSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()


class StayOutputSerializer(serializers.Serializer):
    reference = serializers.CharField()
    arrival = serializers.DateField()
    departure = serializers.DateField()
    adults = serializers.IntegerField()
    children = serializers.IntegerField()
    guest = StayGuestOutputSerializer()
    rooms = serializers.ListField(child=serializers.CharField(), source="room_numbers")
    # the folio to post charges to (POST …/folios/{public_id}/charges); null without billing.read
    folio = serializers.UUIDField(allow_null=True, source="folio_public_id")
    checked_in_at = serializers.DateTimeField(allow_null=True)


class StayListApi(PropertyReadApi):
    """The stays in house (checked in, not yet out), oldest reservation first."""

    area = "pms"
    capability = "pms.frontdesk"

    class FilterSerializer(ListParams):
        room = serializers.CharField(required=False, max_length=10, help_text="A room number.")

    @extend_schema(
        operation_id="pms_stay_list",
        parameters=[FilterSerializer],
        responses={200: page_of(StayOutputSerializer, "PmsStayPage")},
        examples=[
            OpenApiExample(
                "A page",
                response_only=True,
                value={
                    "results": [
                        {
                            "reference": "R2606-0142",
                            "arrival": "2026-05-30",
                            "departure": "2026-06-02",
                            "adults": 2,
                            "children": 0,
                            "guest": {
                                "public_id": "0b8f3c8e-4d1a-4a57-9a55-2f3c7e1d9b20",
                                "first_name": "Léa",
                                "last_name": "Martin",
                            },
                            "rooms": ["12"],
                            "folio": "3f9a1c2e-5b7d-4e8f-9a0b-1c2d3e4f5a6b",
                            "checked_in_at": "2026-05-30T16:05:00Z",
                        }
                    ],
                    "next": None,
                },
            )
        ],
    )
    def get(self, request, property_slug: str):
        params = query_params(request, self.FilterSerializer)
        stays = stays_in_house(property=self.property, room_number=params.get("room", ""))
        show_folio = role_has(self.membership.role, "billing.read")

        def serialize(rows: list[Reservation]) -> list:
            for stay in rows:
                stay.room_numbers = [r.room.number for r in stay.live_rooms if r.room]
                stay.folio_public_id = stay.folio.public_id if show_folio and stay.folio else None
            return StayOutputSerializer(rows, many=True).data

        return self.read(
            request,
            version=queryset_version(
                stays,
                ReservationRoom.objects.filter(reservation__in=stays.values("pk")),
                Guest.objects.filter(reservations__in=stays.values("pk")),
            ),
            build=lambda: cursor_page(stays, params=params, serialize=serialize),
        )
