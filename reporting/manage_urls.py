"""Alert thresholds and budgets in the manager's back office (issue 21)."""

from django.urls import path

from reporting import manage_views

app_name = "targets"

urlpatterns = [
    path("alerts/settings/", manage_views.alert_settings, name="alerts"),
    path("budgets/", manage_views.budgets, name="budgets"),
]
