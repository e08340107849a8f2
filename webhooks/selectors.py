"""Reads of webhooks: scoped to a property, N+1-free."""

from django.db.models import Count, Prefetch, Q, QuerySet, prefetch_related_objects

from core.models import Property
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription


def subscriptions_list(*, property: Property) -> QuerySet[WebhookSubscription]:
    return WebhookSubscription.objects.filter(property=property).annotate(
        failing=Count("deliveries", filter=Q(deliveries__status=WebhookDelivery.Status.PENDING))
    )


def subscription_get(*, property: Property, pk) -> WebhookSubscription | None:
    return WebhookSubscription.objects.filter(property=property, pk=pk).first()


def deliveries_with_log(rows: list[WebhookDelivery]) -> list[WebhookDelivery]:
    """`rows` with their attempts (the delivery log), newest first: one query."""
    prefetch_related_objects(
        rows, Prefetch("log", queryset=WebhookAttempt.objects.order_by("-started_at", "-pk"))
    )
    return rows


def deliveries_list(*, subscription: WebhookSubscription, limit: int = 50) -> list[WebhookDelivery]:
    """The latest deliveries with their attempts (the delivery log), two queries."""
    return deliveries_with_log(list(subscription.deliveries.all()[:limit]))


def delivery_get(*, property: Property, pk) -> WebhookDelivery | None:
    return (
        WebhookDelivery.objects.select_related("subscription__property")
        .filter(subscription__property=property, pk=pk)
        .first()
    )
