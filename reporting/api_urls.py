"""reporting API routes (relative to /api/v1/properties/<property_slug>/); reporting sits above
every app, so config/api_urls.py includes it and no lower app does."""

from django.urls import path

from reporting.api import KpisApi

urlpatterns = [path("reports/kpis", KpisApi.as_view(), name="api-reporting-kpis")]
