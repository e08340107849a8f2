"""PMS Celery tasks: thin, idempotent, calling services."""

from datetime import timedelta

from celery import shared_task


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def room_nights_post_task() -> int:
    """Night audit (daily, after the business day rolled): post last night's room charges for
    every property. Idempotent by folio line source, so a retry posts nothing twice."""
    from core.models import Property
    from pms.services.stays import room_nights_post

    posted = 0
    for prop in Property.objects.order_by("pk"):
        posted += room_nights_post(
            property=prop, business_date=prop.business_date() - timedelta(days=1)
        )
    return posted


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def booking_emails_task(
    reservation_id: int, language: str, instructions: str, outbox_id: int | None = None
) -> None:
    """The booking engine's confirmation to the guest and notification to the property, sent
    after commit by a worker: a slow or failing SMTP server never touches the guest's page.
    Published through the outbox: the claim on `outbox_id` sends them once."""
    from core.outbox import outbox_run
    from pms.services.booking import booking_emails_send

    outbox_run(
        outbox_id,
        lambda: booking_emails_send(
            reservation_id=reservation_id, language=language, instructions=instructions
        ),
    )


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def options_expire_task() -> int:
    """Beat, every minute: options whose hold ran out (abandoned booking-engine payment steps)
    are cancelled and their capacity returns to sale. Idempotent."""
    from pms.services.booking import options_expire

    return options_expire()


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def police_forms_purge_task() -> int:
    """Beat, daily: police forms older than 6 months are deleted (the purge audited).
    Idempotent: a second run finds nothing left to delete."""
    from pms.services.police import police_forms_purge

    return police_forms_purge()
