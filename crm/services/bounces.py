"""Bounces reported by the mail provider (POST /m/bounces/): the campaign report's
"delivered" is what was sent less what bounced, and a hard bounce (the address does not
exist) stops every later campaign e-mail to that address.

The provider signs each notification like the card provider signs its webhooks: the header
`X-Auberge-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" with
EMAIL_BOUNCE_SECRET>`, refused outside a 5-minute window (a replay of an old capture) or
when no secret is configured. The body is JSON: {"id": event id, "email": address,
"type": "hard" | "soft", "recipient": the X-Auberge-Recipient header of the e-mail sent
(optional), "detail": the server's answer (optional)}. An event id seen before changes
nothing.
"""

import hashlib
import hmac
import json
import time

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.db.models.functions import Lower
from django.utils import timezone

from crm.models import CampaignRecipient, EmailBounce

SIGNATURE_HEADER = "X-Auberge-Signature"
RECIPIENT_HEADER = "X-Auberge-Recipient"
TOLERANCE_SECONDS = 300


class BounceRefused(Exception):
    """The notification is not signed with our secret (or is too old, or malformed)."""


def bounce_signature(*, payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The header value a provider sends (used by tests and the provider's side)."""
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def bounce_verify(*, payload: bytes, header: str, secret: str, now: float | None = None) -> dict:
    """The notification's JSON once its signature is checked. Raises BounceRefused."""
    if not secret:
        raise BounceRefused("no EMAIL_BOUNCE_SECRET configured")
    parts = dict(p.split("=", 1) for p in (header or "").split(",") if "=" in p)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        raise BounceRefused("no timestamp")
    now = time.time() if now is None else now
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        raise BounceRefused("outside the tolerance window")
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    if not hmac.compare_digest(expected.hexdigest(), parts.get("v1", "")):
        raise BounceRefused("bad signature")
    try:
        event = json.loads(payload)
    except ValueError:
        raise BounceRefused("not JSON")
    if not isinstance(event, dict):
        raise BounceRefused("not an object")
    return event


def bounce_record(*, event: dict) -> bool:
    """Record a verified bounce: the e-mail it names is marked bounced (the recipient's
    token when the provider returns it, else the latest campaign e-mail sent to the
    address), and a hard bounce suppresses the address. False for a replay or an event
    without an address (nothing changes). Raises ValueError on an unknown type."""
    email = str(event.get("email") or "").strip().lower()[:254]
    kind = str(event.get("type") or "hard").lower()
    if kind not in EmailBounce.Kind.values:
        raise ValueError("unknown bounce type")
    event_id = str(event.get("id") or "")[:100]
    if not email or not event_id:
        return False
    token = str(event.get("recipient") or "")
    with transaction.atomic():
        recipients = CampaignRecipient.objects.filter(
            status=CampaignRecipient.Status.SENT, guest__email__iexact=email
        )
        recipient = None
        if token:
            try:
                recipient = recipients.filter(token=token).first()
            except Exception:  # not a UUID: the address decides
                recipient = None
        if recipient is None:
            recipient = recipients.order_by("-sent_at", "-pk").first()
        try:
            with transaction.atomic():
                EmailBounce.objects.create(
                    event_id=event_id,
                    email=email,
                    kind=kind,
                    recipient=recipient,
                    detail=str(event.get("detail") or "")[:300],
                )
        except IntegrityError:
            return False  # seen before
        if recipient is not None:
            CampaignRecipient.objects.filter(pk=recipient.pk, bounced_at__isnull=True).update(
                bounced_at=timezone.now()
            )
    return True


def hard_bounced(email: str) -> bool:
    """A hard bounce was reported for this address: no campaign e-mail goes to it."""
    return EmailBounce.objects.filter(
        kind=EmailBounce.Kind.HARD, email=(email or "").strip().lower()
    ).exists()


def hard_bounce_exists(email_field: str = "email"):
    """An Exists() to filter guests whose address hard-bounced (one SQL statement)."""
    return Exists(
        EmailBounce.objects.filter(kind=EmailBounce.Kind.HARD, email=Lower(OuterRef(email_field)))
    )
