"""Webhooks API under /api/v1/properties/<property_slug>/webhooks: a manager's (capability
`manage`) subscriptions, their delivery log and resend. Thin: the same services as the
screen; the payloads sent are documented as callbacks of the create operation."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from core.api import IDEMPOTENCY_PARAMETER, PropertyScopedApi, idempotent_response
from core.api_reads import ListParams, cursor_page, jsonable, page_of, query_params
from core.exceptions import NotFound
from webhooks import selectors, services
from webhooks.events import EVENTS
from webhooks.models import WebhookSubscription
from webhooks.schema import webhook_callbacks

EVENT_CHOICES = sorted(EVENTS)


class SubscriptionOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    url = serializers.CharField()
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_CHOICES))
    description = serializers.CharField()
    is_active = serializers.BooleanField()
    secret = serializers.CharField(help_text="The `whsec_` secret that signs the deliveries.")
    failing_since = serializers.DateTimeField(allow_null=True)
    disabled_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class AttemptOutput(serializers.Serializer):
    started_at = serializers.DateTimeField()
    status_code = serializers.IntegerField(allow_null=True)
    error = serializers.CharField()
    duration_ms = serializers.IntegerField()
    resend = serializers.BooleanField()


class DeliveryOutput(serializers.Serializer):
    message_id = serializers.CharField()
    event = serializers.CharField()
    status = serializers.ChoiceField(choices=["pending", "delivered", "failed"])
    attempts = serializers.IntegerField()
    last_status_code = serializers.IntegerField(allow_null=True)
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    delivered_at = serializers.DateTimeField(allow_null=True)
    payload = serializers.DictField()
    log = AttemptOutput(many=True)


def _subscription(data: WebhookSubscription) -> dict:
    return SubscriptionOutput(data).data


def _get(property, subscription_id) -> WebhookSubscription:
    subscription = WebhookSubscription.objects.filter(
        property=property, public_id=subscription_id
    ).first()
    if subscription is None:
        raise NotFound()
    return subscription


class WebhookListApi(PropertyScopedApi):
    """The property's webhook subscriptions; add one (its secret comes back once here and
    on every read by a manager)."""

    capability = "manage"

    class InputSerializer(serializers.Serializer):
        url = serializers.URLField(max_length=1000)
        events = serializers.ListField(
            child=serializers.ChoiceField(choices=EVENT_CHOICES), min_length=1, max_length=50
        )
        description = serializers.CharField(
            max_length=200, required=False, default="", allow_blank=True
        )

    @extend_schema(
        operation_id="webhooks_list",
        parameters=[ListParams],
        responses={200: page_of(SubscriptionOutput, "WebhookSubscriptionPage")},
    )
    def get(self, request, property_slug: str):
        params = query_params(request, ListParams)
        page = cursor_page(
            selectors.subscriptions_list(property=self.property),
            params=params,
            serialize=lambda rows: [_subscription(s) for s in rows],
        )
        return Response(page)

    @extend_schema(
        operation_id="webhooks_create",
        request=InputSerializer,
        responses={201: SubscriptionOutput},
        parameters=[IDEMPOTENCY_PARAMETER],
        callbacks=webhook_callbacks(),
    )
    def post(self, request, property_slug: str):
        params = self.InputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data

        def compute():
            subscription = services.webhook_subscription_create(
                property=self.property, actor=request.user, **data
            )
            return status.HTTP_201_CREATED, _subscription(subscription)

        return idempotent_response(request, scope="webhooks.create", compute=compute)


class WebhookDetailApi(PropertyScopedApi):
    """One subscription: read, change (url, events, description, is_active), delete."""

    capability = "manage"

    class InputSerializer(serializers.Serializer):
        url = serializers.URLField(max_length=1000, required=False)
        events = serializers.ListField(
            child=serializers.ChoiceField(choices=EVENT_CHOICES),
            min_length=1,
            max_length=50,
            required=False,
        )
        description = serializers.CharField(max_length=200, required=False)
        is_active = serializers.BooleanField(required=False)

    @extend_schema(operation_id="webhooks_detail", responses={200: SubscriptionOutput})
    def get(self, request, property_slug: str, subscription_id):
        return Response(_subscription(_get(self.property, subscription_id)))

    @extend_schema(
        operation_id="webhooks_update",
        request=InputSerializer,
        responses={200: SubscriptionOutput},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    def patch(self, request, property_slug: str, subscription_id):
        params = self.InputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        subscription = _get(self.property, subscription_id)

        def compute():
            updated = services.webhook_subscription_update(
                subscription=subscription, actor=request.user, **params.validated_data
            )
            return status.HTTP_200_OK, jsonable(_subscription(updated))

        return idempotent_response(
            request, scope=f"webhooks.update:{subscription.pk}", compute=compute
        )

    @extend_schema(
        operation_id="webhooks_delete", responses={204: None}, parameters=[IDEMPOTENCY_PARAMETER]
    )
    def delete(self, request, property_slug: str, subscription_id):
        def compute():
            services.webhook_subscription_delete(
                subscription=_get(self.property, subscription_id), actor=request.user
            )
            return status.HTTP_204_NO_CONTENT, None

        # the key names the subscription by its id in the URL: a replay finds it gone
        return idempotent_response(
            request, scope=f"webhooks.delete:{self.property.pk}:{subscription_id}", compute=compute
        )


class WebhookDeliveriesApi(PropertyScopedApi):
    """The delivery log of a subscription, newest first, a page at a time, with each
    attempt's HTTP status."""

    capability = "manage"

    @extend_schema(
        operation_id="webhooks_deliveries",
        parameters=[ListParams],
        responses={200: page_of(DeliveryOutput, "WebhookDeliveryPage")},
    )
    def get(self, request, property_slug: str, subscription_id):
        params = query_params(request, ListParams)
        subscription = _get(self.property, subscription_id)
        page = cursor_page(
            subscription.deliveries.all(),
            params=params,
            keys=("-pk",),
            serialize=lambda rows: (
                DeliveryOutput(selectors.deliveries_with_log(rows), many=True).data
            ),
        )
        return Response(page)


class WebhookResendApi(PropertyScopedApi):
    """Send a delivery again as it was: the same `webhook-id`, a fresh signature."""

    capability = "manage"

    class OutputSerializer(serializers.Serializer):
        message_id = serializers.CharField()
        queued = serializers.BooleanField()

    @extend_schema(
        operation_id="webhooks_resend",
        request=None,
        responses={202: OutputSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    def post(self, request, property_slug: str, subscription_id, message_id: str):
        subscription = _get(self.property, subscription_id)
        delivery = subscription.deliveries.filter(message_id=message_id).first()
        if delivery is None:
            raise NotFound()

        def compute():
            services.webhook_resend(delivery=delivery, actor=request.user)
            return status.HTTP_202_ACCEPTED, {"message_id": delivery.message_id, "queued": True}

        return idempotent_response(request, scope="webhooks.resend", compute=compute)
