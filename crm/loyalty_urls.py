"""The loyalty programme's rules in the manager's back office (/manage/loyalty/, issue 21)."""

from django.urls import path

from crm import manage_views

app_name = "loyalty"

urlpatterns = [path("", manage_views.loyalty_settings, name="settings")]
