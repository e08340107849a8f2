"""Room types and rooms in the back office, under /manage/rooms/ (PMS-1, PLT-6)."""

from django.urls import path

from pms.views import rooms

app_name = "rooms"

urlpatterns = [
    path("rooms/", rooms.rooms, name="list"),
    path("rooms/types/<int:pk>/", rooms.room_type_edit, name="type_edit"),
    path("rooms/<int:pk>/", rooms.room_edit, name="room_edit"),
]
