from django.urls import path

from pos import counter_views, views

app_name = "pos"

urlpatterns = [
    path("terminals/", views.terminals, name="terminals"),
    path("counter/", counter_views.counter, name="counter"),
    path("counter/add/", counter_views.counter_add, name="counter_add"),
    path("counter/scan/", counter_views.counter_scan, name="counter_scan"),
    path("counter/remove/<int:index>/", counter_views.counter_remove, name="counter_remove"),
    path("counter/clear/", counter_views.counter_clear, name="counter_clear"),
    path("counter/pay/", counter_views.counter_pay, name="counter_pay"),
    path("counter/receipt/<int:order_id>/", counter_views.counter_receipt, name="counter_receipt"),
    path(
        "counter/receipt/<int:order_id>/refund/",
        counter_views.counter_refund,
        name="counter_refund",
    ),
]
