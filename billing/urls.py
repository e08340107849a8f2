from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("accounting/", views.accounting, name="accounting"),
    path("accounting/export/<str:kind>/", views.accounting_export, name="accounting_export"),
    path("invoices/<uuid:public_id>.pdf", views.invoice_pdf, name="invoice_pdf"),
]
