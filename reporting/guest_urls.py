from django.urls import path

from reporting import guest_views

app_name = "guest_profiles"

urlpatterns = [
    path("<uuid:public_id>/", guest_views.guest_profile_view, name="profile"),
]
