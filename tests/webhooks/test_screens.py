"""The manager's webhook screen and the webhooks API: add, see the log, resend; a private
address refused with a translated message; scoped to the manager's own property."""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.models import OutboxMessage, Role
from tests.webhooks.factories import make_subscription
from webhooks.models import WebhookSubscription

pytestmark = pytest.mark.django_db


def test_a_manager_adds_a_webhook_on_screen_and_resends_a_delivery(
    settings, client, hotel, manager
):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    client.force_login(manager)
    # when the manager adds a webhook
    response = client.post(
        reverse("webhooks:list"),
        {"url": "http://127.0.0.1:9/hooks", "events": ["order.paid", "stay.checked_in"]},
    )
    subscription = WebhookSubscription.objects.get(property=hotel)
    assert response.status_code == 302
    assert subscription.events == ["order.paid", "stay.checked_in"]
    page = client.get(response.url).content.decode()
    assert subscription.secret in page and subscription.secret.startswith("whsec_")

    # the delivery log shows each attempt's HTTP status, and resend queues the same message
    other, delivery = make_subscription(hotel)
    page = client.get(reverse("webhooks:detail", args=[other.pk])).content.decode()
    assert delivery.message_id in page and "Delivered" in page
    delivery.log.create(status_code=200, duration_ms=12)
    assert "HTTP 200" in client.get(reverse("webhooks:detail", args=[other.pk])).content.decode()
    client.post(reverse("webhooks:resend", args=[delivery.pk]))
    message = OutboxMessage.objects.get(task="webhooks.tasks.webhook_deliver_task")
    assert message.kwargs == {"delivery_id": delivery.pk, "resend": True}


def test_a_private_address_is_refused_on_screen_in_french(settings, client, hotel, manager):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    client.cookies["django_language"] = "fr"
    client.force_login(manager)
    response = client.post(
        reverse("webhooks:list"), {"url": "http://192.168.1.20/hooks", "events": ["order.paid"]}
    )
    assert response.status_code == 422
    assert "réseau privé ou local" in response.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_only_managers_of_the_property_see_its_webhooks(client, hotel, other_hotel, staff_of):
    subscription, delivery = make_subscription(hotel)
    client.force_login(staff_of(hotel, Role.FRONT_DESK, username="desk"))
    assert client.get(reverse("webhooks:list")).status_code == 403
    client.force_login(staff_of(other_hotel, Role.MANAGER, username="other-manager"))
    assert client.get(reverse("webhooks:detail", args=[subscription.pk])).status_code == 404
    assert client.post(reverse("webhooks:resend", args=[delivery.pk])).status_code == 404
    assert not OutboxMessage.objects.exists()


def _api(user) -> APIClient:
    api = APIClient()
    api.credentials(
        HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    return api


def test_the_api_manages_subscriptions_and_refuses_a_private_address(
    settings, hotel, other_hotel, manager, staff_of
):
    api = _api(manager)
    base = f"/api/v1/properties/{hotel.slug}/webhooks"
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    refused = api.post(base, {"url": "http://127.0.0.1/x", "events": ["order.paid"]}, "json")
    assert refused.status_code == 422 and refused.json()["extra"]["field"] == "url"
    assert not WebhookSubscription.objects.exists()

    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    created = api.post(
        base,
        {"url": "http://127.0.0.1/x", "events": ["reservation.created"]},
        "json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    assert created.status_code == 201
    body = created.json()
    assert body["secret"].startswith("whsec_") and body["is_active"] is True
    replay = api.post(
        base,
        {"url": "http://127.0.0.1/x", "events": ["reservation.created"]},
        "json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    assert replay.json()["id"] == body["id"] and WebhookSubscription.objects.count() == 1
    changed = api.patch(f"{base}/{body['id']}", {"is_active": False}, "json")
    assert changed.status_code == 200 and changed.json()["is_active"] is False
    assert api.get(base).json() == {"results": [body | {"is_active": False}], "next": None}
    assert api.get(f"{base}/{body['id']}/deliveries").json() == {"results": [], "next": None}

    # another property's manager gets 404 on this one's subscription
    other = _api(staff_of(other_hotel, Role.MANAGER, username="other-manager"))
    other_base = f"/api/v1/properties/{other_hotel.slug}/webhooks"
    assert other.get(f"{other_base}/{body['id']}").status_code == 404
    assert other.delete(f"{other_base}/{body['id']}").status_code == 404

    assert api.delete(f"{base}/{body['id']}").status_code == 204
    assert not WebhookSubscription.objects.exists()


def test_the_cached_subscriptions_follow_every_change(settings, hotel, manager):
    from webhooks.services import webhook_emit, webhook_subscription_update

    subscription, _delivery = make_subscription(hotel)
    assert webhook_emit(property=hotel, event="order.paid", data={}) == 1  # now cached
    webhook_subscription_update(subscription=subscription, is_active=False, actor=manager)
    assert webhook_emit(property=hotel, event="order.paid", data={}) == 0
    webhook_subscription_update(subscription=subscription, is_active=True, actor=manager)
    webhook_subscription_update(subscription=subscription, events=["stay.checked_in"])
    assert webhook_emit(property=hotel, event="order.paid", data={}) == 0
    assert webhook_emit(property=hotel, event="stay.checked_in", data={}) == 1
    subscription.delete()
    assert webhook_emit(property=hotel, event="stay.checked_in", data={}) == 0


def test_the_api_lists_subscriptions_and_deliveries_a_page_at_a_time(hotel, manager):
    from tests.factories.api import every_page

    made = [make_subscription(hotel, url=f"https://hooks.example.com/{n}") for n in range(5)]
    api = _api(manager)
    base = f"/api/v1/properties/{hotel.slug}/webhooks"
    assert every_page(api, base, limit=2, key="url") == [s.url for s, _d in made]
    subscription, delivery = made[0]
    later, _ = make_subscription(hotel)
    later.deliveries.update(subscription=subscription)  # a second delivery, newer
    log = every_page(api, f"{base}/{subscription.public_id}/deliveries", limit=1, key="message_id")
    assert log == list(subscription.deliveries.order_by("-pk").values_list("message_id", flat=True))
    assert len(log) == 2 and log[-1] == delivery.message_id
    assert api.get(base, {"page": "2"}).status_code == 422
