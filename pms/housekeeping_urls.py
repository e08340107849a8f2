from django.urls import path

from pms.views import housekeeping as views

app_name = "housekeeping"

urlpatterns = [
    path("", views.board, name="board"),
    path("rooms/<int:room_id>/status/", views.set_status, name="set_status"),
    path("rooms/<int:room_id>/minibar/", views.minibar, name="minibar"),
    path("out-of-order/", views.out_of_order, name="out_of_order"),
    path("out-of-order/<int:period_id>/end/", views.back_in_service, name="back_in_service"),
]
