from celery import shared_task


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def closures_run_due_task() -> int:
    """Beat, daily at 05:00: close yesterday (and last month/year once over) everywhere."""
    from billing.services.closures import closures_run_due
    from core.models import Property

    count = 0
    for prop in Property.objects.order_by("pk"):
        count += len(closures_run_due(property=prop))
    return count
