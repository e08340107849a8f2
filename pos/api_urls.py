"""pos API routes (relative to /api/v1/properties/<property_slug>/)."""

from django.urls import path

from pos.api import OrderCheckoutApi, OrderDetailApi, OrderRefundApi

urlpatterns: list = [
    path("pos/orders", OrderCheckoutApi.as_view(), name="api-pos-order-checkout"),
    path("pos/orders/<int:order_id>", OrderDetailApi.as_view(), name="api-pos-order-detail"),
    path("pos/orders/<int:order_id>/refund", OrderRefundApi.as_view(), name="api-pos-order-refund"),
]
