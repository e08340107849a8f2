from django.contrib.auth import views as auth_views
from django.urls import path

from core import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("pin/", views.pin_switch, name="pin_switch"),
    path("staff/", views.staff_list, name="staff_list"),
    path("property/switch/", views.property_switch, name="property_switch"),
]
