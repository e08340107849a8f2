"""The guest's phone: the QR menu of a table or a room and the order's status (/g/)."""

from django.urls import path

from pos.views import guest

app_name = "guest"

urlpatterns = [
    path("<str:token>/", guest.guest_menu_view, name="menu"),
    path("<str:token>/orders/<uuid:public_id>/", guest.guest_order_status, name="status"),
]
