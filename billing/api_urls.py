"""billing API routes (relative to /api/v1/properties/<property_slug>/)."""

from django.urls import path

from billing.api import FolioDetailApi

urlpatterns: list = [
    path("folios/<uuid:public_id>", FolioDetailApi.as_view(), name="api-billing-folio-detail"),
]
