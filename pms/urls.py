from django.urls import path

from pms import frontdesk_views as views

app_name = "frontdesk"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("grid/", views.grid, name="grid"),
    path("reservations/<str:reference>/", views.reservation, name="reservation"),
    path("reservations/<str:reference>/check-in/", views.check_in, name="check_in"),
    path("reservations/<str:reference>/check-out/", views.check_out, name="check_out"),
    path("reservations/<str:reference>/payment/", views.settle, name="settle"),
]
