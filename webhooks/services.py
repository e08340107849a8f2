"""Webhooks: subscriptions, the events the business services emit, and their delivery.

`webhook_emit` is called by a service inside its transaction: one WebhookDelivery per
matching subscription and one outbox message each, so an event leaves if and only if the
business operation commits. The delivery itself (`webhook_deliver`) runs in a Celery task,
outside any transaction: signed per Standard Webhooks (`standardwebhooks`), posted to the
address checked by the SSRF guard (core.net), logged attempt by attempt; a failure is tried
again later (exponential backoff with jitter, by the beat sweep `webhooks_retry_due`), and a
subscription failing for WEBHOOKS_DISABLE_AFTER_DAYS is switched off and its managers told.
Delivery is at least once: the `webhook-id` header stays the same on every attempt."""

import json
import logging
import random
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from standardwebhooks import Webhook

from core.audit import audit_log
from core.exceptions import InvalidInput
from core.models import Property
from core.net import UnsafeUrl, pinned_session, pinned_target, resolve_checked
from core.outbox import outbox_enqueue, outbox_enqueue_many
from webhooks.events import EVENTS, ORGANIZATION_EVENTS, PAYLOAD_VERSION
from webhooks.models import (
    CoalescedEventMark,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)

logger = logging.getLogger(__name__)

DELIVER_TASK = "webhooks.tasks.webhook_deliver_task"
DISABLED_EMAIL_TASK = "webhooks.tasks.webhook_disabled_email_task"
CONNECT_TIMEOUT = 5
READ_TIMEOUT = 10


# --- subscriptions ---------------------------------------------------------------------------


def _clean_url(url: str) -> str:
    """http(s), at most 1000 characters, to a public address unless the documented
    WEBHOOKS_ALLOW_PRIVATE_TARGETS setting allows private and loopback ones (tests, a
    receiver on the hotel's own network). Resolves DNS: call it outside a transaction."""
    url = (url or "").strip()
    if len(url) > 1000:
        raise InvalidInput(_("The address is too long."), extra={"field": "url"})
    try:
        resolve_checked(url, allow_private=settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS)
    except UnsafeUrl as exc:
        messages = {
            "scheme": _("Give an http or https address."),
            "unresolved": _("The host name of this address does not resolve."),
            "private": _("This address points to a private or local network: it is refused."),
        }
        raise InvalidInput(messages[exc.reason], extra={"field": "url"})
    return url


def _clean_events(events: Iterable[str]) -> list[str]:
    chosen = sorted(set(events or []))
    unknown = [e for e in chosen if e not in EVENTS]
    if unknown:
        raise InvalidInput(
            _("Unknown event: %(events)s.") % {"events": ", ".join(unknown)},
            extra={"field": "events", "unknown": unknown},
        )
    if not chosen:
        raise InvalidInput(_("Choose at least one event."), extra={"field": "events"})
    return chosen


def webhook_subscription_create(
    *, property: Property, url: str, events: Iterable[str], description: str = "", actor=None
) -> WebhookSubscription:
    """A new subscription, active, with a fresh secret. Raises InvalidInput."""
    url = _clean_url(url)
    chosen = _clean_events(events)
    with transaction.atomic():
        subscription = WebhookSubscription.objects.create(
            property=property, url=url, events=chosen, description=(description or "")[:200]
        )
        audit_log(
            action="webhooks.subscription.created",
            property=property,
            actor=actor,
            target=subscription,
            data={"url": url, "events": chosen},
        )
    return subscription


def webhook_subscription_update(
    *,
    subscription: WebhookSubscription,
    url: str | None = None,
    events: Iterable[str] | None = None,
    description: str | None = None,
    is_active: bool | None = None,
    actor=None,
) -> WebhookSubscription:
    """Change what is given; switching a subscription back on clears its failure clock."""
    changes: dict = {}
    if url is not None and url.strip() != subscription.url:
        changes["url"] = _clean_url(url)
    if events is not None:
        changes["events"] = _clean_events(events)
    if description is not None:
        changes["description"] = description[:200]
    if is_active is not None and is_active != subscription.is_active:
        changes["is_active"] = is_active
        if is_active:
            changes.update(failing_since=None, disabled_at=None)
    if not changes:
        return subscription
    with transaction.atomic():
        for field, value in changes.items():
            setattr(subscription, field, value)
        subscription.save(update_fields=[*changes, "updated_at"])
        audit_log(
            action="webhooks.subscription.changed",
            property=subscription.property,
            actor=actor,
            target=subscription,
            data={k: v for k, v in changes.items() if k in ("url", "events", "is_active")},
        )
    return subscription


@transaction.atomic
def webhook_subscription_delete(*, subscription: WebhookSubscription, actor=None) -> None:
    audit_log(
        action="webhooks.subscription.deleted",
        property=subscription.property,
        actor=actor,
        target=subscription,
        data={"url": subscription.url},
    )
    subscription.delete()


@transaction.atomic
def webhook_secret_rotate(*, subscription: WebhookSubscription, actor=None) -> str:
    """A new secret (the old one stops verifying at once). Returns it."""
    from webhooks.models import new_secret

    subscription.secret = new_secret()
    subscription.save(update_fields=["secret", "updated_at"])
    audit_log(
        action="webhooks.subscription.secret_rotated",
        property=subscription.property,
        actor=actor,
        target=subscription,
    )
    return subscription.secret


# --- emitting --------------------------------------------------------------------------------


def _cache_key(organization_id: int) -> str:
    return f"webhooks:active:org:{organization_id}"


def _active_subscriptions(organization_id: int) -> list[tuple[int, int, list[str]]]:
    """(id, property id, events) of the active subscriptions of the organisation's
    properties, from the shared cache: the sale and the booking ask on every call, and the
    answer changes only when a manager edits a subscription (webhooks.signals drops it, now
    and after commit). One list per organisation: a property's events read their own rows,
    a guest's (organisation-wide) read them all."""
    key = _cache_key(organization_id)
    found = cache.get(key)
    if found is None:
        found = list(
            WebhookSubscription.objects.filter(
                property__organization_id=organization_id, is_active=True
            )
            .order_by("pk")
            .values_list("pk", "property_id", "events")
        )
        cache.set(key, found, timeout=3600)
    return found


def webhooks_forget(organization_id: int) -> None:
    key = _cache_key(organization_id)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


def _record(
    *, event: str, targets: list[tuple[int, Property]], data: dict | Callable[[], dict]
) -> int:
    """One WebhookDelivery per (subscription id, property) and its outbox message, in two
    INSERTs whatever the number of subscriptions; `data` is built once."""
    now = timezone.now()
    body = data() if callable(data) else data
    payloads: dict[int, dict] = {}
    for _pk, prop in targets:
        if prop.pk not in payloads:
            payload = {
                "type": event,
                "version": PAYLOAD_VERSION,
                "timestamp": now.isoformat(),
                "property": prop.slug,
                "data": body,
            }
            # stored as the JSON it will be sent as (Decimal, dates, UUIDs as strings)
            payloads[prop.pk] = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                subscription_id=pk,
                message_id=f"msg_{uuid.uuid4().hex}",
                event=event,
                payload=payloads[prop.pk],
                queued_at=now,
                created_at=now,
            )
            for pk, prop in targets
        ]
    )
    outbox_enqueue_many(
        task=DELIVER_TASK,
        messages=[
            ({"delivery_id": delivery.pk}, prop)
            for delivery, (_pk, prop) in zip(deliveries, targets, strict=True)
        ],
    )
    return len(deliveries)


def _check_event(event: str) -> None:
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")


def webhook_emit(*, property: Property, event: str, data: dict | Callable[[], dict]) -> int:
    """Record `event` for every active subscription of `property` that asked for it, in the
    caller's transaction (no query when nobody subscribed; `data` may be a function, built
    only when someone did). Returns how many deliveries."""
    _check_event(event)
    targets = [
        (pk, property)
        for pk, property_id, events in _active_subscriptions(property.organization_id)
        if property_id == property.pk and event in events
    ]
    return _record(event=event, targets=targets, data=data) if targets else 0


def webhook_emit_organization(
    *, organization_id: int, event: str, data: dict | Callable[[], dict]
) -> int:
    """Record an organisation-wide `event` (a guest's: guests belong to the organisation)
    for the subscribers of every property of it that asked for it: one delivery per
    subscription, each naming its own property. In the caller's transaction; no query when
    nobody subscribed, three (the properties, the deliveries, the outbox) when some did."""
    if event not in ORGANIZATION_EVENTS:
        raise ValueError(f"{event!r} is a property's event: webhook_emit")
    matches = [
        (pk, property_id)
        for pk, property_id, events in _active_subscriptions(organization_id)
        if event in events
    ]
    if not matches:
        return 0
    properties = Property.objects.in_bulk({property_id for _pk, property_id in matches})
    targets = [(pk, properties[p]) for pk, p in matches if p in properties]
    return _record(event=event, targets=targets, data=data) if targets else 0


def webhook_subscribed(*, property: Property, event: str) -> bool:
    """Whether any active subscription of `property` asked for `event` (the shared cache: no
    query as a rule), so a beat computes a coalesced event only for who will get it."""
    return any(
        property_id == property.pk and event in events
        for _pk, property_id, events in _active_subscriptions(property.organization_id)
    )


def coalesced_window(*, event: str, until: datetime) -> datetime | None:
    """Lock the mark of a coalesced event and move it to `until`, in the caller's transaction
    (the beat that records the event): returns where the last run stopped, so the changes in
    (that, until] are this run's, or None on the first run (nothing before it is sent).
    Two runs at once: the second waits for the first and finds an empty window."""
    mark, created = CoalescedEventMark.objects.get_or_create(event=event, defaults={"until": until})
    if created:
        return None
    mark = CoalescedEventMark.objects.select_for_update().get(pk=mark.pk)
    since = mark.until
    if until > since:
        mark.until = until
        mark.save(update_fields=["until"])
    return since


def webhook_payloads_erase(*, organization_id: int, guest_ids: Iterable) -> int:
    """A guest erased: the delivery log's guest.created payloads of them keep only the id
    (the log must not keep what the erasure removed). In the erasure's transaction."""
    wanted = {str(g) for g in guest_ids}
    rows = list(
        WebhookDelivery.objects.filter(
            subscription__property__organization_id=organization_id,
            event="guest.created",
            payload__data__id__in=sorted(wanted),
        ).only("pk", "payload")
    )
    for row in rows:
        row.payload = {**row.payload, "data": {"id": row.payload["data"]["id"], "erased": True}}
    WebhookDelivery.objects.bulk_update(rows, ["payload"])
    return len(rows)


# --- delivering ------------------------------------------------------------------------------


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff with jitter: base·2^(n-1), capped, then a random half of it
    added to the other half ("equal jitter"), so failing receivers are not hit in step."""
    delay = min(
        settings.WEBHOOKS_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0),
        settings.WEBHOOKS_RETRY_MAX_SECONDS,
    )
    return timedelta(seconds=delay / 2 + random.uniform(0, delay / 2))


def body_of(delivery: WebhookDelivery) -> str:
    return json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True)


def signed_headers(*, secret: str, message_id: str, body: str, at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers for `body` sent at `at`."""
    signature = Webhook(secret).sign(msg_id=message_id, timestamp=at, data=body)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }


def _post(url: str, body: str, headers: dict[str, str]) -> int:
    """POST to the checked address (no redirect followed). The receiver's HTTP status."""
    address = resolve_checked(url, allow_private=settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS)
    pinned, host_header = pinned_target(url, address)
    with pinned_session(url, verify=True) as session:
        response = session.post(
            pinned,
            data=body.encode(),
            timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
            allow_redirects=False,
            headers={
                **headers,
                "Host": host_header,
                "Content-Type": "application/json",
                "User-Agent": "Auberge-Webhooks/1.0",
            },
        )
        response.close()
        return response.status_code


def webhook_deliver(*, delivery_id: int, resend: bool = False) -> WebhookDelivery | None:
    """One attempt (never inside a transaction: it waits on the network). A resend posts a
    delivered or failed delivery again, with the same `webhook-id`."""
    delivery = (
        WebhookDelivery.objects.select_related("subscription", "subscription__property")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None:
        return None
    subscription = delivery.subscription
    if not resend and (
        delivery.status != WebhookDelivery.Status.PENDING or not subscription.is_active
    ):
        WebhookDelivery.objects.filter(pk=delivery.pk).update(queued_at=None)
        return delivery
    body = body_of(delivery)
    started = timezone.now()
    clock = time.monotonic()
    status_code, error = None, ""
    try:
        headers = signed_headers(
            secret=subscription.secret, message_id=delivery.message_id, body=body, at=started
        )
        status_code = _post(subscription.url, body, headers)
        if not 200 <= status_code < 300:
            error = _("The receiver answered HTTP %(status)s.") % {"status": status_code}
    except UnsafeUrl:
        error = _("The address points to a private or local network: not sent.")
    except requests.Timeout:
        error = _("The receiver did not answer in time.")
    except requests.RequestException as exc:
        error = _("The receiver could not be reached: %(error)s") % {"error": type(exc).__name__}
    ok = not error
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            started_at=started,
            status_code=status_code,
            error=error[:500],
            duration_ms=int((time.monotonic() - clock) * 1000),
            resend=resend,
        )
        delivery = WebhookDelivery.objects.select_for_update(of=("self",)).get(pk=delivery.pk)
        delivery.attempts += 1
        delivery.last_status_code = status_code
        delivery.last_error = error[:500]
        delivery.queued_at = None
        if ok:
            delivery.status = WebhookDelivery.Status.DELIVERED
            delivery.delivered_at = timezone.now()
            delivery.next_attempt_at = None
            WebhookSubscription.objects.filter(pk=subscription.pk).update(failing_since=None)
        elif delivery.status == WebhookDelivery.Status.PENDING:
            delivery.next_attempt_at = timezone.now() + retry_delay(delivery.attempts)
            if _failure_clock(subscription=subscription, now=started):
                delivery.status = WebhookDelivery.Status.FAILED
                delivery.next_attempt_at = None
        delivery.save(
            update_fields=[
                "attempts",
                "last_status_code",
                "last_error",
                "queued_at",
                "status",
                "delivered_at",
                "next_attempt_at",
            ]
        )
    return delivery


def _failure_clock(*, subscription: WebhookSubscription, now: datetime) -> bool:
    """Start the failure clock, or switch the subscription off when it ran out (True)."""
    locked = WebhookSubscription.objects.select_for_update(of=("self",)).get(pk=subscription.pk)
    if locked.failing_since is None:
        locked.failing_since = now
        locked.save(update_fields=["failing_since"])
        return False
    if not locked.is_active:
        return False
    if now - locked.failing_since >= timedelta(days=settings.WEBHOOKS_DISABLE_AFTER_DAYS):
        locked.is_active = False
        locked.disabled_at = now
        locked.save(update_fields=["is_active", "disabled_at", "updated_at"])
        locked.deliveries.filter(status=WebhookDelivery.Status.PENDING).update(
            status=WebhookDelivery.Status.FAILED, next_attempt_at=None
        )
        audit_log(
            action="webhooks.subscription.disabled",
            property=locked.property,
            target=locked,
            data={"failing_since": locked.failing_since.isoformat()},
        )
        outbox_enqueue(
            task=DISABLED_EMAIL_TASK,
            kwargs={"subscription_id": locked.pk},
            property=locked.property,
        )
        return True
    return False


def webhooks_retry_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Beat: queue again the failed attempts whose backoff elapsed. Returns how many."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                status=WebhookDelivery.Status.PENDING,
                queued_at__isnull=True,
                next_attempt_at__lte=now,
                subscription__is_active=True,
            )
            .select_related("subscription")
            .order_by("next_attempt_at", "pk")[:limit]
        )
        for delivery in due:
            delivery.queued_at = now
            delivery.save(update_fields=["queued_at"])
            outbox_enqueue(task=DELIVER_TASK, kwargs={"delivery_id": delivery.pk})
    return len(due)


@transaction.atomic
def webhook_resend(*, delivery: WebhookDelivery, actor=None) -> None:
    """Send a delivery again as it was (same `webhook-id`: the receiver may drop it)."""
    audit_log(
        action="webhooks.delivery.resent",
        property=delivery.subscription.property,
        actor=actor,
        target=delivery,
        data={"message_id": delivery.message_id},
    )
    outbox_enqueue(
        task=DELIVER_TASK,
        kwargs={"delivery_id": delivery.pk, "resend": True},
        property=delivery.subscription.property,
    )


def webhook_disabled_email(*, subscription_id: int) -> int:
    """E-mail the property's managers that a subscription was switched off (after commit)."""
    from django.contrib.auth import get_user_model
    from django.core.mail import send_mail
    from django.utils import translation

    from core.models import Role

    subscription = (
        WebhookSubscription.objects.select_related("property").filter(pk=subscription_id).first()
    )
    if subscription is None:
        return 0
    prop = subscription.property
    recipients = sorted(
        set(
            get_user_model()
            .objects.filter(
                memberships__property=prop,
                memberships__role__in=[Role.MANAGER, Role.ADMIN],
                memberships__is_active=True,
                is_active=True,
            )
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )
    if not recipients:
        return 0
    with translation.override(prop.default_language or "fr"):
        subject = _("%(property)s: a webhook was switched off") % {"property": prop.name}
        body = _(
            "The webhook to %(url)s has failed since %(since)s and was switched off: no "
            "event is sent to it any more. Check the receiver, then switch it back on in "
            "Auberge (Webhooks)."
        ) % {"url": subscription.url, "since": subscription.failing_since}
    return send_mail(subject, body, None, recipients)
