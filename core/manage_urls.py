"""The staff and history screens of the back office, under /manage/ (PLT-1, PLT-6)."""

from django.urls import path

from core import manage_views

app_name = "manage"

urlpatterns = [
    path("staff/invite/", manage_views.staff_invite_view, name="staff_invite"),
    path("staff/<int:pk>/", manage_views.staff_edit, name="staff_edit"),
    path("staff/welcome/<uidb64>/<token>/", manage_views.WelcomeView.as_view(), name="welcome"),
    path("history/", manage_views.history, name="history"),
    path("property/", manage_views.property_settings, name="property"),
]
