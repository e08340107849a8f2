"""Celery tasks of webhooks: thin; each runs its outbox message once."""

from celery import shared_task


@shared_task(acks_late=True)
def webhook_deliver_task(delivery_id: int, resend: bool = False, outbox_id: int | None = None):
    """One attempt of a delivery; a failure is recorded and retried by the sweep, not raised."""
    from core.outbox import outbox_run
    from webhooks.services import webhook_deliver

    outbox_run(outbox_id, lambda: webhook_deliver(delivery_id=delivery_id, resend=resend))


@shared_task(acks_late=True)
def webhooks_retry_due_task() -> int:
    """Beat, every minute: failed deliveries whose backoff elapsed are queued again."""
    from webhooks.services import webhooks_retry_due

    return webhooks_retry_due()


@shared_task(acks_late=True)
def webhook_disabled_email_task(subscription_id: int, outbox_id: int | None = None):
    from core.outbox import outbox_run
    from webhooks.services import webhook_disabled_email

    outbox_run(outbox_id, lambda: webhook_disabled_email(subscription_id=subscription_id))
