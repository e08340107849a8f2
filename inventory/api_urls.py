"""Inventory API routes (relative to /api/v1/properties/<property_slug>/)."""

from django.urls import path

from inventory import api

urlpatterns = [
    path("products", api.ProductListApi.as_view(), name="api-products"),
    path(
        "products/availability",
        api.ProductAvailabilityApi.as_view(),
        name="api-product-availability",
    ),
    path("quote", api.QuoteApi.as_view(), name="api-quote"),
]
