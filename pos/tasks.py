"""POS Celery tasks: thin, retried, calling services."""

from celery import shared_task


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def receipt_email_task(
    order_id: int, email: str, language: str, outbox_id: int | None = None
) -> bool:
    """E-mail a sale's receipt (published through the outbox by receipt_email_request): a slow
    or failing SMTP server never holds the waiter's screen, a broker down loses nothing."""
    from core.outbox import outbox_run
    from pos.services.receipts import receipt_email_send

    return bool(
        outbox_run(
            outbox_id,
            lambda: receipt_email_send(order_id=order_id, email=email, language=language),
        )
    )
