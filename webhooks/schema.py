"""The webhook payloads in the OpenAPI schema: one callback per event on the subscription's
create operation (OpenAPI 3.0 callbacks, where 3.1 would use a webhooks section). Version 1;
the field lists here are the contract of the `data` each service emits."""

from drf_spectacular.utils import OpenApiCallback, OpenApiResponse, extend_schema
from rest_framework import serializers

from webhooks.events import EVENTS, ORGANIZATION_EVENTS, PAYLOAD_VERSION


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


class GuestEventData(serializers.Serializer):
    """The identity the profile was created with; no notes, diet or allergies."""

    id = serializers.UUIDField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()
    language = serializers.CharField()
    country = serializers.CharField()
    created_at = serializers.DateTimeField()


class GuestMergedEventData(serializers.Serializer):
    id = serializers.UUIDField(help_text="The profile kept.")
    merged_id = serializers.UUIDField(
        help_text="The duplicate merged into it (its reservations and folios now name `id`)."
    )
    merged_at = serializers.DateTimeField()


class GuestErasedEventData(serializers.Serializer):
    """No personal data: erase what you keep of this profile."""

    id = serializers.UUIDField()
    erased_at = serializers.DateTimeField()


class AvailabilityChangeData(serializers.Serializer):
    pool = serializers.CharField(help_text="The capacity pool's code.")
    kind = serializers.ChoiceField(choices=["night", "slot", "day", "stock"])
    products = serializers.ListField(
        child=serializers.CharField(), help_text="The codes of the products sold from it."
    )
    room_types = serializers.ListField(
        child=serializers.CharField(), help_text="The room types whose nights these are."
    )
    first_day = serializers.DateField(allow_null=True, help_text="null for counted stock.")
    last_day = serializers.DateField(allow_null=True, help_text="Included.")


class AvailabilityEventData(serializers.Serializer):
    """Coalesced: one message per property per run of the beat (every minute), for all the
    capacity changed in (since, until]: sales, bookings, cancellations, releases, rooms out
    of order. Read the numbers with the availability API."""

    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    changes = AvailabilityChangeData(many=True)


class AlertEventData(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(
        choices=[
            "low_stock",
            "basket",
            "discounts",
            "voids",
            "cash",
            "ical",
            "print",
            "journal",
            "night_audit",
            "offline",
        ]
    )
    cause = serializers.CharField(help_text="What the alert is about: one open alert per cause.")
    message = serializers.CharField(help_text="Worded in the property's language.")
    data = serializers.DictField(help_text="The alert's figures, by kind.")
    created_at = serializers.DateTimeField()


DATA = {
    "alert.raised": AlertEventData,
    "availability.changed": AvailabilityEventData,
    "guest.created": GuestEventData,
    "guest.merged": GuestMergedEventData,
    "guest.erased": GuestErasedEventData,
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


ORGANIZATION_DOC = (
    "Guests belong to the organisation: the event goes to the subscribers of every property "
    "of it, each delivery naming its own property. "
)
EVENT_DOCS = {
    **dict.fromkeys(ORGANIZATION_EVENTS, ORGANIZATION_DOC),
    "availability.changed": (
        "Coalesced, not sent per sale: a beat (every minute) sends one message per property "
        "per run, listing each capacity pool whose buckets changed in (since, until] with "
        "its products, room types and runs of days; `until` lags the run by "
        "WEBHOOKS_AVAILABILITY_SETTLE_SECONDS (30) so no open transaction's change is "
        "missed. Read the numbers with GET …/products/availability. "
    ),
}


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
            "data": (DATA.get(event) or DATA[event.split(".")[0]])(),
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
                summary=EVENTS[event],  # lazy: the schema is written in the reader's language
                description=EVENT_DOCS.get(event, "") + HEADERS_DOC,
                request=ENVELOPES[event],
                responses={200: OpenApiResponse(description="Received.")},
            ),
        )
        for event in EVENTS
    ]
