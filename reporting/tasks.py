from celery import shared_task


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def alerts_evaluate_task() -> int:
    """Beat, every 15 minutes: every property's alert rules, then a digest of what is new."""
    from core.models import Property
    from reporting.services import alert_digest_request, alerts_evaluate

    count = 0
    for prop in Property.objects.order_by("pk"):
        count += len(alerts_evaluate(property=prop))
        alert_digest_request(property=prop)
    return count


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def alert_digest_task(property_id: int, alert_ids: list, outbox_id: int | None = None) -> int:
    """E-mail one digest (published through the outbox; the claim sends it once)."""
    from core.outbox import outbox_run
    from reporting.services import alert_digest_send

    return (
        outbox_run(
            outbox_id, lambda: alert_digest_send(property_id=property_id, alert_ids=alert_ids)
        )
        or 0
    )


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def facts_refresh_task() -> int:
    """Beat, every 5 minutes: the days touched since the last refresh, every property."""
    from core.models import Property
    from reporting.facts import facts_refresh

    return sum(facts_refresh(property=prop) for prop in Property.objects.order_by("pk"))


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def campaigns_trigger_task() -> int:
    """Beat, hourly: triggered campaigns queue the guests due (after check-out, birthdays,
    seasons); crm's release task sends them at each campaign's rate."""
    from reporting.campaigns import campaigns_trigger

    return campaigns_trigger()
