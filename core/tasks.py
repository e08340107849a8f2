"""Celery tasks of core: thin, idempotent."""

from celery import shared_task


@shared_task(acks_late=True)
def outbox_dispatch_task() -> int:
    """Beat, every minute: publish outbox messages the broker missed at commit time."""
    from core.outbox import outbox_dispatch_pending

    return outbox_dispatch_pending()


@shared_task(acks_late=True)
def backup_task() -> str:
    """Beat, nightly: an encrypted backup into BACKUP_DIR, then the retention. Without
    BACKUP_KEY nothing is written (logged as an error, every night, until it is set)."""
    import logging

    from django.conf import settings

    from core.backups import BackupError, backup_create, backups_prune

    try:
        archive = backup_create()
    except BackupError as error:
        logging.getLogger(__name__).error("backup: %s", error)
        return f"failed: {error}"
    backups_prune(daily=settings.BACKUP_KEEP_DAILY, weekly=settings.BACKUP_KEEP_WEEKLY)
    return str(archive)


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def staff_invite_email_task(
    user_id: int, property_id: int, base_url: str, language: str, outbox_id: int | None = None
) -> None:
    """The invitation with its set-password link, sent after commit (core.staff)."""
    from core.outbox import outbox_run
    from core.staff import staff_invite_email_send

    outbox_run(
        outbox_id,
        lambda: staff_invite_email_send(
            user_id=user_id, property_id=property_id, base_url=base_url, language=language
        ),
    )
