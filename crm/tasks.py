"""crm's Celery tasks: thin, retried, calling services."""

from celery import shared_task


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def campaigns_release_task() -> int:
    """Beat, every minute: queued campaign e-mails go to the outbox at each campaign's rate."""
    from crm.services.campaigns import campaigns_release_due

    return campaigns_release_due()


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def campaign_batch_send_task(recipient_ids: list, outbox_id: int | None = None) -> int:
    """Send one released batch (published through the outbox; the claim sends it once, and
    each recipient's status makes a resent batch skip what already left)."""
    from core.outbox import outbox_run
    from crm.services.campaigns import campaign_batch_send

    return outbox_run(outbox_id, lambda: campaign_batch_send(recipient_ids=recipient_ids)) or 0


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def gift_cards_expire_task() -> int:
    """Beat, daily: every property's gift cards and vouchers past their date expire."""
    from core.models import Property
    from crm.services.gift_cards import gift_cards_expire

    return sum(gift_cards_expire(property=prop) for prop in Property.objects.order_by("pk"))


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def gift_card_email_task(
    card_ids: list,
    to: list,
    language: str = "fr",
    buyer_name: str = "",
    outbox_id=None,
    recipient_name: str = "",
) -> int:
    """A sold gift card's e-mail with its code and QR (through the outbox: sent once)."""
    from core.outbox import outbox_run
    from crm.services.gift_card_emails import gift_card_email_send

    return (
        outbox_run(
            outbox_id,
            lambda: gift_card_email_send(
                card_ids=card_ids,
                to=to,
                language=language,
                buyer_name=buyer_name,
                recipient_name=recipient_name,
            ),
        )
        or 0
    )
