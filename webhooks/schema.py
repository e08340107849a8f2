"""The webhook payloads in the OpenAPI schema: one callback per event on the subscription's
create operation (OpenAPI 3.0 callbacks, where 3.1 would use a webhooks section). Version 1;
the field lists here are the contract of the `data` each service emits."""

from drf_spectacular.utils import OpenApiCallback, OpenApiResponse, extend_schema
from rest_framework import serializers

from webhooks.events import EVENTS, PAYLOAD_VERSION


class ReservationEventData(serializers.Serializer):
    id = serializers.UUIDField()
    reference = serializers.CharField()
    status = serializers.CharField()
    channel = serializers.CharField()
    external_reference = serializers.CharField()
    arrival = serializers.DateField()
    departure = serializers.DateField()
    adults = serializers.IntegerField()
    children = serializers.IntegerField()
    total_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    guest_id = serializers.UUIDField()


class PaymentEventData(serializers.Serializer):
    method = serializers.CharField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    reference = serializers.CharField(help_text="The card terminal's authorisation, if any.")


class OrderEventData(serializers.Serializer):
    id = serializers.IntegerField()
    client_key = serializers.CharField(allow_null=True)
    status = serializers.CharField()
    ticket_number = serializers.IntegerField()
    business_date = serializers.DateField()
    outlet = serializers.CharField()
    currency = serializers.CharField()
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    payments = PaymentEventData(many=True, required=False, help_text="order.paid")
    refunds = PaymentEventData(many=True, required=False, help_text="order.refunded")
    reason = serializers.CharField(required=False, help_text="order.refunded")


class FolioLineEventData(serializers.Serializer):
    description = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3)
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    vat_rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    service_date = serializers.DateField(allow_null=True)
    business_date = serializers.DateField()
    source = serializers.CharField()


class FolioChargeEventData(serializers.Serializer):
    folio_id = serializers.UUIDField()
    currency = serializers.CharField()
    lines = FolioLineEventData(many=True)


class InvoiceEventData(serializers.Serializer):
    id = serializers.UUIDField()
    number = serializers.CharField()
    original_number = serializers.CharField(allow_null=True, help_text="credit_note.issued")
    folio_id = serializers.UUIDField()
    issue_date = serializers.DateField()
    currency = serializers.CharField()
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    net = serializers.DecimalField(max_digits=12, decimal_places=2)
    vat_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    paid = serializers.DecimalField(max_digits=12, decimal_places=2)
    balance = serializers.DecimalField(max_digits=12, decimal_places=2)


DATA = {
    "reservation": ReservationEventData,
    "stay": ReservationEventData,
    "order": OrderEventData,
    "folio": FolioChargeEventData,
    "invoice": InvoiceEventData,
    "credit_note": InvoiceEventData,
}

HEADERS_DOC = (
    "Signed per Standard Webhooks: `webhook-id` (the same on every retry and resend: drop "
    "duplicates by it), `webhook-timestamp` (seconds), `webhook-signature` (`v1,<base64 "
    "HMAC-SHA256 of id.timestamp.body>` with the subscription's `whsec_` secret). Answer 2xx "
    "within 10 s; anything else is retried with exponential backoff (docs/webhooks.md)."
)


def _envelope(event: str) -> type[serializers.Serializer]:
    name = "Webhook" + "".join(p.title() for p in event.replace(".", "_").split("_"))
    return type(
        name,
        (serializers.Serializer,),
        {
            "type": serializers.ChoiceField(choices=[event]),
            "version": serializers.ChoiceField(choices=[PAYLOAD_VERSION]),
            "timestamp": serializers.DateTimeField(),
            "property": serializers.CharField(help_text="The property's slug."),
            "data": DATA[event.split(".")[0]](),
            "__module__": __name__,
        },
    )


ENVELOPES = {event: _envelope(event) for event in EVENTS}


def webhook_callbacks() -> list[OpenApiCallback]:
    return [
        OpenApiCallback(
            name=event,
            path="{$request.body#/url}",
            decorator=extend_schema(
                summary=str(EVENTS[event]),
                description=HEADERS_DOC,
                request=ENVELOPES[event],
                responses={200: OpenApiResponse(description="Received.")},
            ),
        )
        for event in EVENTS
    ]
