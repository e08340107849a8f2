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


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def guest_order_online_refresh_task(guest_order_id: int, outbox_id: int | None = None) -> str:
    """A guest's order paid by card, heard from the provider's webhook: the sale is made here
    (published through the outbox by `guest_order_intent_seen`)."""
    from core.outbox import outbox_run
    from pos.services.guest_orders import guest_order_online_refresh_by_id

    return (
        outbox_run(
            outbox_id, lambda: guest_order_online_refresh_by_id(guest_order_id=guest_order_id)
        )
        or ""
    )


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def online_gift_card_refresh_task(purchase_id: int, outbox_id: int | None = None) -> str:
    """A gift card bought online, heard from the provider's webhook: read the intent back and
    issue the card once (published through the outbox by `online_gift_card_intent_seen`)."""
    from core.outbox import outbox_run
    from pos.services.online_gift_cards import online_gift_card_refresh_by_id

    return (
        outbox_run(outbox_id, lambda: online_gift_card_refresh_by_id(purchase_id=purchase_id)) or ""
    )


@shared_task(acks_late=True)
def online_gift_cards_expire_task() -> int:
    """Beat: online gift-card purchases never paid expire (their intent cancelled)."""
    from pos.services.online_gift_cards import online_gift_cards_expire

    return online_gift_cards_expire()


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def collect_email_task(guest_order_id: int, kind: str, outbox_id: int | None = None) -> bool:
    """A click-and-collect guest's e-mail: the order confirmed once paid, or ready to collect
    (published through the outbox by `pos.services.click_collect.collect_email`)."""
    from core.outbox import outbox_run
    from pos.services.click_collect import collect_email_send

    return bool(
        outbox_run(outbox_id, lambda: collect_email_send(guest_order_id=guest_order_id, kind=kind))
    )


@shared_task(acks_late=True)
def collect_no_shows_task() -> int:
    """Beat: click-and-collect orders to pay at pickup not collected by their slot's end
    plus the outlet's grace are marked not collected, their place and stock given back."""
    from pos.services.click_collect import collect_no_shows_release

    return collect_no_shows_release()


@shared_task(acks_late=True)
def collect_kitchen_send_due_task() -> int:
    """Beat: click-and-collect orders for a later day go to the kitchen display and the
    station printers on their day, the outlet's lead time before their pickup."""
    from pos.services.click_collect import collect_kitchen_send_due

    return collect_kitchen_send_due()


@shared_task(acks_late=True)
def kiosk_orders_expire_task() -> int:
    """Beat: kiosk orders left awaiting their card payment or their payment at the counter
    past their time are cancelled (nothing was sold: nothing fiscal to write)."""
    from pos.services.kiosk_payments import kiosk_orders_expire

    return kiosk_orders_expire()
