from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("accounting/", views.accounting, name="accounting"),
    path("accounting/verification/", views.verification_status, name="verification_status"),
    path("open-balances/", views.open_balances_list, name="open_balances"),
    path("accounting/export/<str:kind>/", views.accounting_export, name="accounting_export"),
    path("accounting/jobs/", views.export_job_start, name="export_job_start"),
    path("accounting/jobs/<uuid:public_id>/", views.export_job_status, name="export_job_status"),
    path(
        "accounting/jobs/<uuid:public_id>/download/",
        views.export_job_download,
        name="export_job_download",
    ),
    path("accounting/public-key.pem", views.signing_public_key, name="signing_public_key"),
    path("invoices/<uuid:public_id>.pdf", views.invoice_pdf, name="invoice_pdf"),
]
