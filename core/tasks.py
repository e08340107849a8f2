"""Celery tasks of core: thin, idempotent."""

from celery import shared_task


@shared_task(acks_late=True)
def outbox_dispatch_task() -> int:
    """Beat, every minute: publish outbox messages the broker missed at commit time."""
    from core.outbox import outbox_dispatch_pending

    return outbox_dispatch_pending()
