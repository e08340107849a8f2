import uuid

from webhooks.models import WebhookDelivery, WebhookSubscription


def make_subscription(property, url: str = "https://hooks.example.com/auberge"):
    """A subscription (written directly: no DNS lookup) and one delivered message of it."""
    subscription = WebhookSubscription.objects.create(
        property=property, url=url, events=["order.paid", "reservation.created"]
    )
    delivery = WebhookDelivery.objects.create(
        subscription=subscription,
        message_id=f"msg_{uuid.uuid4().hex}",
        event="order.paid",
        payload={"type": "order.paid", "version": 1, "data": {}},
        status=WebhookDelivery.Status.DELIVERED,
        attempts=1,
        last_status_code=200,
    )
    return subscription, delivery
