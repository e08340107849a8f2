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


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def invoice_email_task(invoice_id: int, email: str = "") -> bool:
    """Render an issued invoice's PDF and e-mail it (enqueued on commit by invoice_issue, or
    by the front desk's "e-mail" button with the address to use)."""
    from billing.models import Invoice
    from billing.services.invoice_documents import invoice_email_send

    invoice = Invoice.objects.select_related("property", "guest").filter(pk=invoice_id).first()
    if invoice is None:
        return False
    return invoice_email_send(invoice=invoice, email=email)


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def accounting_exports_task() -> int:
    """Beat, daily at 05:30 (after the closures): yesterday's FEC and CSV of every property
    into VAR_DIR/exports/<property slug>/."""
    from datetime import timedelta

    from django.conf import settings

    from billing.services.accounting import exports_write
    from core.models import Property

    count = 0
    for prop in Property.objects.order_by("pk"):
        day = prop.business_date() - timedelta(days=1)
        count += len(exports_write(property=prop, day=day, directory=settings.VAR_DIR / "exports"))
    return count
