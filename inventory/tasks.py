from celery import shared_task


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def holds_release_expired_task() -> int:
    """Beat, every 5 minutes: expired holds (abandoned carts) return to sale."""
    from inventory.services.capacity import holds_release_expired

    return holds_release_expired()
