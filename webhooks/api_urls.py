"""webhooks API routes (relative to /api/v1/properties/<property_slug>/)."""

from django.urls import path

from webhooks.api import WebhookDeliveriesApi, WebhookDetailApi, WebhookListApi, WebhookResendApi

urlpatterns: list = [
    path("webhooks", WebhookListApi.as_view(), name="api-webhooks"),
    path(
        "webhooks/<uuid:subscription_id>/deliveries",
        WebhookDeliveriesApi.as_view(),
        name="api-webhook-deliveries",
    ),
    path(
        "webhooks/<uuid:subscription_id>/deliveries/<str:message_id>/resend",
        WebhookResendApi.as_view(),
        name="api-webhook-resend",
    ),
    # last: the rights test walks the routes in order, and this one deletes
    path("webhooks/<uuid:subscription_id>", WebhookDetailApi.as_view(), name="api-webhook-detail"),
]
