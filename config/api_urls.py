"""Every app's API under /api/v1/. Property-scoped endpoints live under
/api/v1/properties/<property_slug>/ and subclass core.api.PropertyScopedApi."""

from django.urls import include, path

from core.api import MeApi

urlpatterns = [
    path("me", MeApi.as_view(), name="api-me"),
    path("properties/<slug:property_slug>/", include("inventory.api_urls")),
    path("properties/<slug:property_slug>/", include("pms.api_urls")),
    path("properties/<slug:property_slug>/", include("billing.api_urls")),
    path("properties/<slug:property_slug>/", include("pos.api_urls")),
    path("properties/<slug:property_slug>/", include("crm.api_urls")),
    path("properties/<slug:property_slug>/", include("webhooks.api_urls")),
    path("properties/<slug:property_slug>/", include("reporting.api_urls")),
]
