"""pms API routes (relative to /api/v1/properties/<property_slug>/)."""

from django.urls import path

from pms import api, api_rates, api_rooms

urlpatterns = [
    path("availability", api.AvailabilityApi.as_view(), name="api-pms-availability"),
    path("reservations", api.reservation_create_view(), name="api-pms-reservation-create"),
    path(
        "reservations/<str:reference>",
        api.ReservationDetailApi.as_view(),
        name="api-pms-reservation-detail",
    ),
    path(
        "reservations/<str:reference>/cancel",
        api.ReservationCancelApi.as_view(),
        name="api-pms-reservation-cancel",
    ),
    path(
        "reservations/<str:reference>/check-in",
        api.ReservationCheckInApi.as_view(),
        name="api-pms-reservation-check-in",
    ),
    path(
        "reservations/<str:reference>/check-out",
        api.ReservationCheckOutApi.as_view(),
        name="api-pms-reservation-check-out",
    ),
]

urlpatterns += [
    path("room-types", api_rooms.RoomTypeListApi.as_view(), name="api-pms-room-types"),
    path("rooms", api_rooms.RoomListApi.as_view(), name="api-pms-rooms"),
    path("rooms/<str:number>", api_rooms.RoomDetailApi.as_view(), name="api-pms-room"),
    path("stays", api_rooms.StayListApi.as_view(), name="api-pms-stays"),
]

urlpatterns += [path("rates", api_rates.RatesCalendarApi.as_view(), name="api-pms-rates")]
