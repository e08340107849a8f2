"""Every app's API under /api/v1/ (each app adds its own `api/urls.py` here when it lands)."""

from django.urls import path

from core.api import MeApi

urlpatterns = [
    path("me", MeApi.as_view(), name="api-me"),
]
