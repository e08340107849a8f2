from django.urls import path

from pos.views import cash, counter, kitchen, receipts, tables, terminals

app_name = "pos"

urlpatterns = [
    path("terminals/", terminals.terminals, name="terminals"),
    path("counter/", counter.counter, name="counter"),
    path("counter/add/", counter.counter_add, name="counter_add"),
    path("counter/scan/", counter.counter_scan, name="counter_scan"),
    path("counter/remove/<int:index>/", counter.counter_remove, name="counter_remove"),
    path("counter/clear/", counter.counter_clear, name="counter_clear"),
    path("counter/pay/", counter.counter_pay, name="counter_pay"),
    path("counter/receipt/<int:order_id>/", counter.counter_receipt, name="counter_receipt"),
    path(
        "counter/receipt/<int:order_id>/refund/",
        counter.counter_refund,
        name="counter_refund",
    ),
    path("receipts/<int:order_id>/email/", receipts.receipt_email, name="receipt_email"),
    path("receipts/<int:order_id>/print/", receipts.receipt_print, name="receipt_print"),
    path("tables/", tables.floor, name="floor"),
    path("tables/<int:table_id>/open/", tables.open_table, name="open_table"),
    path("tabs/<int:tab_id>/", tables.tab, name="tab"),
    path("tabs/<int:tab_id>/add/", tables.tab_add, name="tab_add"),
    path("tabs/<int:tab_id>/lines/<int:line_id>/remove/", tables.tab_remove, name="tab_remove"),
    path(
        "tabs/<int:tab_id>/lines/<int:line_id>/quantity/",
        tables.tab_quantity,
        name="tab_quantity",
    ),
    path("tabs/<int:tab_id>/repeat/", tables.tab_repeat, name="tab_repeat"),
    path("tabs/<int:tab_id>/send/", tables.tab_send_view, name="tab_send"),
    path("tabs/<int:tab_id>/pay/", tables.tab_pay, name="tab_pay"),
    path("tabs/<int:tab_id>/lines/<int:line_id>/void/", tables.tab_void, name="tab_void"),
    path(
        "tabs/<int:tab_id>/lines/<int:line_id>/discount/",
        tables.tab_discount,
        name="tab_discount",
    ),
    path("tabs/<int:tab_id>/served/", tables.tab_served, name="tab_served"),
    path("tabs/<int:tab_id>/move/", tables.tab_move, name="tab_move"),
    path("tabs/<int:tab_id>/guest/", tables.tab_guest, name="tab_guest"),
    path("tabs/<int:tab_id>/guest/consent/", tables.tab_guest_consent, name="tab_guest_consent"),
    path("tabs/<int:tab_id>/split/", tables.tab_split, name="tab_split"),
    path("kitchen/", kitchen.kitchen, {"station": "kitchen"}, name="kitchen_default"),
    path("kitchen/<str:station>/", kitchen.kitchen, name="kitchen"),
    path(
        "kitchen/<str:station>/tickets/<int:ticket_id>/bump/",
        kitchen.kitchen_bump,
        name="kitchen_bump",
    ),
    path(
        "kitchen/<str:station>/tickets/<int:ticket_id>/lines/<int:line_id>/bump/",
        kitchen.kitchen_line_bump_view,
        name="kitchen_line_bump",
    ),
    path("kitchen/<str:station>/recall/", kitchen.kitchen_recall, name="kitchen_recall"),
    path("cash/", cash.drawer, name="cash"),
    path("cash/open/", cash.drawer_open, name="cash_open"),
    path("cash/close/", cash.drawer_close, name="cash_close"),
    path("cash/movement/", cash.drawer_movement, name="cash_movement"),
    path("cash/x/", cash.x_report, name="cash_x"),
    path("cash/sessions/<int:session_id>/", cash.z_report, name="cash_report"),
]
