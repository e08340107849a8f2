"""Webhook subscriptions of a property and the log of what was sent to them."""

import secrets
import uuid
from base64 import b64encode

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Property, TimeStampedModel


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` + 32 random bytes in base64."""
    return "whsec_" + b64encode(secrets.token_bytes(32)).decode()


class WebhookSubscription(TimeStampedModel):
    """An integrator's endpoint: the events it wants, signed with its own secret."""

    property = models.ForeignKey(
        Property, on_delete=models.CASCADE, related_name="webhook_subscriptions"
    )
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    url = models.URLField(_("URL"), max_length=1000)
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(max_length=100, default=new_secret, editable=False)
    description = models.CharField(_("description"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # the first failed attempt since the last success: after WEBHOOKS_DISABLE_AFTER_DAYS of
    # failures the subscription is switched off and the managers are told
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["property", "pk"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event for one subscription. `message_id` is the `webhook-id` header: the same on
    every attempt and on a resend, so a receiver can drop duplicates."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    message_id = models.CharField(max_length=64, unique=True)
    event = models.CharField(max_length=50)
    payload = models.JSONField(encoder=DjangoJSONEncoder)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # set while an attempt is queued in the outbox, so the retry sweep does not queue it twice
    queued_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event} {self.message_id}"


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery: what the receiver answered (the delivery log)."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="log")
    started_at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    resend = models.BooleanField(default=False)

    class Meta:
        ordering = ["-started_at", "-pk"]


class CoalescedEventMark(models.Model):
    """How far a coalesced event (one message for many changes, e.g. availability.changed)
    has been sent: changes written up to `until` are in the messages already recorded."""

    event = models.CharField(max_length=50, unique=True)
    until = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.event} ≤ {self.until:%Y-%m-%d %H:%M:%S}"
