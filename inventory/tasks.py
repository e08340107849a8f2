from celery import shared_task


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def holds_release_expired_task() -> int:
    """Beat, every 5 minutes: expired holds (abandoned carts) return to sale."""
    from inventory.services.capacity import holds_release_expired

    return holds_release_expired()


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def purchase_order_email_task(order_id: int, outbox_id: int | None = None) -> bool:
    """E-mail a sent purchase order's PDF to its supplier (published through the outbox by
    purchase_order_send; the claim on `outbox_id` sends it once)."""
    from core.outbox import outbox_run
    from inventory.models import PurchaseOrder
    from inventory.services.purchasing import purchase_order_email_send

    def send() -> bool:
        order = (
            PurchaseOrder.objects.select_related("property", "supplier", "location")
            .filter(pk=order_id)
            .first()
        )
        return order is not None and purchase_order_email_send(order=order)

    return bool(outbox_run(outbox_id, send))
