"""Inventory API routes (relative to /api/v1/properties/<property_slug>/)."""

from django.urls import path

from inventory import api, api_catalogue

urlpatterns = [
    path("products", api.ProductListApi.as_view(), name="api-products"),
    path(
        "products/availability",
        api.ProductAvailabilityApi.as_view(),
        name="api-product-availability",
    ),
    path("quote", api.QuoteApi.as_view(), name="api-quote"),
    path(
        "catalogue/categories",
        api_catalogue.CategoryListApi.as_view(),
        name="api-catalogue-categories",
    ),
    path(
        "catalogue/categories/<int:category_id>",
        api_catalogue.CategoryDetailApi.as_view(),
        name="api-catalogue-category",
    ),
    path(
        "catalogue/products",
        api_catalogue.ProductCatalogueListApi.as_view(),
        name="api-catalogue-products",
    ),
    path(
        "catalogue/products/<slug:code>",
        api_catalogue.ProductCatalogueDetailApi.as_view(),
        name="api-catalogue-product",
    ),
]
