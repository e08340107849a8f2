"""Room types and rooms in the back office, under /manage/rooms/ (PMS-1, PLT-6)."""

from django.urls import path

from pms.views import rooms

app_name = "rooms"

urlpatterns = [
    path("rooms/", rooms.rooms, name="list"),
    path("rooms/types/<int:pk>/", rooms.room_type_edit, name="type_edit"),
    path("rooms/types/<int:pk>/photos/", rooms.room_type_photo_new, name="photo_new"),
    path("rooms/photos/<int:pk>/", rooms.room_type_photo_edit, name="photo_edit"),
    path("rooms/<int:pk>/", rooms.room_edit, name="room_edit"),
]
