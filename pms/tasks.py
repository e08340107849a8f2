"""PMS Celery tasks: thin, idempotent, calling services."""

from datetime import timedelta

from celery import shared_task


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def room_nights_post_task() -> int:
    """Night audit (daily, after the business day rolled): post last night's room charges for
    every property. Idempotent by folio line source, so a retry posts nothing twice."""
    from core.models import Property
    from pms.services.night_audit import night_audit_report_request
    from pms.services.reservations import no_shows_mark
    from pms.services.stays import room_nights_post

    posted = 0
    for prop in Property.objects.order_by("pk"):
        night = prop.business_date() - timedelta(days=1)
        # the day rolled (the property's roll hour): who was due and never came is a
        # no-show, charged per the rate plan's policy
        no_shows_mark(property=prop, business_date=night)
        posted += room_nights_post(property=prop, business_date=night)
        # the report of what was posted and what is left, e-mailed once to the managers
        night_audit_report_request(property=prop, business_date=night)
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


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def night_audit_report_email_task(
    property_id: int, business_date: str, outbox_id: int | None = None
) -> None:
    """The night audit's report to the managers, sent once through the outbox."""
    from core.outbox import outbox_run
    from pms.services.night_audit import night_audit_report_send

    outbox_run(
        outbox_id,
        lambda: night_audit_report_send(property_id=property_id, business_date=business_date),
    )


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=8)
def online_refund_task(refund_id: int, outbox_id: int | None = None) -> None:
    """Send a requested refund to the card provider (after commit, through the outbox). The
    refund's idempotency key makes a retry after a timeout refund once."""
    from core.outbox import outbox_run
    from pms.services.online_payments import online_refund_send

    outbox_run(outbox_id, lambda: online_refund_send(refund_id=refund_id))


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def online_payment_cancel_task(payment_id: int, outbox_id: int | None = None) -> None:
    """Cancel at the provider an intent whose booking hold ran out (after commit, through the
    outbox); a payment that beat the cancel is applied as late and refunded."""
    from core.outbox import outbox_run
    from pms.services.online_payments import online_payment_cancel_send

    outbox_run(outbox_id, lambda: online_payment_cancel_send(payment_id=payment_id))


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def guest_email_task(guest_email_id: int, outbox_id: int | None = None) -> None:
    """One guest e-mail (pre-arrival, thank-you), claimed once per reservation and kind."""
    from core.outbox import outbox_run
    from pms.services.guest_emails import guest_email_send

    outbox_run(outbox_id, lambda: guest_email_send(guest_email_id=guest_email_id))


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def pre_arrival_emails_task() -> int:
    """Beat, daily: the pre-arrival e-mail (D−3) to the guests who have not had it."""
    from pms.services.guest_emails import pre_arrival_emails_enqueue

    return pre_arrival_emails_enqueue()


@shared_task(acks_late=True)
def availability_changed_task() -> int:
    """Beat, every minute: one availability.changed webhook per subscribed property whose
    capacity changed since the last run (coalesced). Idempotent: the mark moves with them."""
    from pms.services.availability_events import availability_changed_emit

    return availability_changed_emit()
