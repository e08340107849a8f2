from django.urls import path

from pos import cash_views, counter_views, table_views, views

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
    path("receipts/<int:order_id>/email/", table_views.receipt_email, name="receipt_email"),
    path("receipts/<int:order_id>/print/", table_views.receipt_print, name="receipt_print"),
    path("tables/", table_views.floor, name="floor"),
    path("tables/<int:table_id>/open/", table_views.open_table, name="open_table"),
    path("tabs/<int:tab_id>/", table_views.tab, name="tab"),
    path("tabs/<int:tab_id>/add/", table_views.tab_add, name="tab_add"),
    path(
        "tabs/<int:tab_id>/lines/<int:line_id>/remove/", table_views.tab_remove, name="tab_remove"
    ),
    path("tabs/<int:tab_id>/send/", table_views.tab_send_view, name="tab_send"),
    path("tabs/<int:tab_id>/pay/", table_views.tab_pay, name="tab_pay"),
    path("tabs/<int:tab_id>/lines/<int:line_id>/void/", table_views.tab_void, name="tab_void"),
    path(
        "tabs/<int:tab_id>/lines/<int:line_id>/discount/",
        table_views.tab_discount,
        name="tab_discount",
    ),
    path("tabs/<int:tab_id>/served/", table_views.tab_served, name="tab_served"),
    path("tabs/<int:tab_id>/move/", table_views.tab_move, name="tab_move"),
    path("tabs/<int:tab_id>/guest/", table_views.tab_guest, name="tab_guest"),
    path("tabs/<int:tab_id>/split/", table_views.tab_split, name="tab_split"),
    path("kitchen/", table_views.kitchen, {"station": "kitchen"}, name="kitchen_default"),
    path("kitchen/<str:station>/", table_views.kitchen, name="kitchen"),
    path(
        "kitchen/<str:station>/tickets/<int:ticket_id>/bump/",
        table_views.kitchen_bump,
        name="kitchen_bump",
    ),
    path("cash/", cash_views.drawer, name="cash"),
    path("cash/open/", cash_views.drawer_open, name="cash_open"),
    path("cash/close/", cash_views.drawer_close, name="cash_close"),
    path("cash/movement/", cash_views.drawer_movement, name="cash_movement"),
    path("cash/x/", cash_views.x_report, name="cash_x"),
    path("cash/sessions/<int:session_id>/", cash_views.z_report, name="cash_report"),
]
