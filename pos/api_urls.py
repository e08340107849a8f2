"""pos API routes (relative to /api/v1/properties/<property_slug>/)."""

from django.urls import path

from pos.api import OrderDetailApi, OrderRefundApi, order_checkout_view
from pos.api_cash import CashSessionDetailApi, CashSessionListApi

urlpatterns: list = [
    path("pos/orders", order_checkout_view(), name="api-pos-order-checkout"),
    path("pos/orders/<int:order_id>", OrderDetailApi.as_view(), name="api-pos-order-detail"),
    path("pos/orders/<int:order_id>/refund", OrderRefundApi.as_view(), name="api-pos-order-refund"),
    path("pos/cash-sessions", CashSessionListApi.as_view(), name="api-pos-cash-sessions"),
    path(
        "pos/cash-sessions/<int:session_id>",
        CashSessionDetailApi.as_view(),
        name="api-pos-cash-session",
    ),
]
