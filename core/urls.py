from django.contrib.auth import views as auth_views
from django.urls import path

from core import token_views, two_factor, views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("pin/", views.pin_switch, name="pin_switch"),
    path("staff/", views.staff_list, name="staff_list"),
    path("account/two-factor/", two_factor.two_factor_verify, name="two_factor_verify"),
    path("account/two-factor/setup/", two_factor.two_factor_setup, name="two_factor_setup"),
    path("property/switch/", views.property_switch, name="property_switch"),
    path("api-tokens/", token_views.api_tokens, name="api_tokens"),
    path("api-tokens/<int:pk>/revoke/", token_views.api_token_revoke_view, name="api_token_revoke"),
]
