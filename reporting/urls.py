from django.urls import path

from reporting import views

app_name = "reporting"

urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("export.<str:kind>", views.dashboard_export, name="dashboard_export"),
    path("financial/", views.financial_view, name="financial"),
    path("financial/export.csv", views.financial_csv, name="financial_csv"),
    path("staff/", views.staff_view, name="staff"),
    path("alerts/", views.alerts_inbox, name="alerts"),
    path("stock/", views.stock_margins_view, name="stock_margins"),
    path("alerts/<int:pk>/acknowledge/", views.alert_acknowledge_view, name="alert_acknowledge"),
]
