from django.urls import path

from devices import views

app_name = "devices"

urlpatterns = [
    path("", views.printer_status, name="printer_status"),
    path("printers/<int:printer_id>/test-page/", views.printer_test_page, name="test_page"),
    path("jobs/<int:job_id>/retry/", views.print_job_retry, name="job_retry"),
    path("jobs/<int:job_id>/reprint/", views.receipt_reprint, name="receipt_reprint"),
    path("jobs/<int:job_id>/preview/", views.print_job_preview, name="job_preview"),
    path("drawers/<int:drawer_id>/no-sale/", views.drawer_no_sale, name="drawer_no_sale"),
]
