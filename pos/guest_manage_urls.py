"""The manager's guest ordering: rules, QR codes and their sheet (/manage/guest-ordering/)."""

from django.urls import path

from pos.views import guest_points

app_name = "guest_ordering"

urlpatterns = [
    path("", guest_points.guest_ordering, name="list"),
    path("outlets/<int:pk>/rules/", guest_points.guest_rules_update, name="rules"),
    path("outlets/<int:pk>/codes/", guest_points.guest_points_make, name="make"),
    path("outlets/<int:pk>/sheet/", guest_points.guest_points_sheet, name="sheet"),
    path("codes/<int:pk>/rotate/", guest_points.guest_point_rotate_view, name="rotate"),
]
