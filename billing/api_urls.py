"""billing API routes (relative to /api/v1/properties/<property_slug>/)."""

from django.urls import path

from billing.api import (
    CreditNoteIssueApi,
    FolioChargeApi,
    FolioDetailApi,
    InvoiceDetailApi,
    InvoiceIssueApi,
)

urlpatterns: list = [
    path("folios/<uuid:public_id>", FolioDetailApi.as_view(), name="api-billing-folio-detail"),
    path(
        "folios/<uuid:public_id>/charges", FolioChargeApi.as_view(), name="api-billing-folio-charge"
    ),
    path(
        "folios/<uuid:public_id>/invoices",
        InvoiceIssueApi.as_view(),
        name="api-billing-invoice-issue",
    ),
    path(
        "invoices/<uuid:public_id>", InvoiceDetailApi.as_view(), name="api-billing-invoice-detail"
    ),
    path(
        "invoices/<uuid:public_id>/credit-notes",
        CreditNoteIssueApi.as_view(),
        name="api-billing-credit-note-issue",
    ),
]
