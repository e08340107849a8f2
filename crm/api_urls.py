"""crm API routes (relative to /api/v1/properties/<property_slug>/)."""

from django.urls import path

from crm import api

urlpatterns = [
    path("guests", api.GuestListApi.as_view(), name="api-crm-guests"),
    path("guests/<uuid:public_id>", api.GuestDetailApi.as_view(), name="api-crm-guest"),
    path("guests/<uuid:public_id>/merge", api.GuestMergeApi.as_view(), name="api-crm-guest-merge"),
    path(
        "guests/<uuid:public_id>/export", api.GuestExportApi.as_view(), name="api-crm-guest-export"
    ),
    path("guests/<uuid:public_id>/erase", api.GuestEraseApi.as_view(), name="api-crm-guest-erase"),
]
