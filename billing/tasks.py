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
def invoice_email_task(invoice_id: int, email: str = "", outbox_id: int | None = None) -> bool:
    """Render an issued invoice's PDF and e-mail it (published through the outbox by
    invoice_issue, or by the front desk's "e-mail" button with the address to use): the claim
    on `outbox_id` sends it once."""
    from billing.models import Invoice
    from billing.services.invoice_documents import invoice_email_send
    from core.outbox import outbox_run

    def send() -> bool:
        invoice = Invoice.objects.select_related("property", "guest").filter(pk=invoice_id).first()
        return invoice is not None and invoice_email_send(invoice=invoice, email=email)

    return bool(outbox_run(outbox_id, send))


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def accounting_exports_task() -> int:
    """Beat, daily at 05:30 (after the closures): yesterday's FEC and CSV of every property
    into VAR_DIR/exports/<property slug>/."""
    from datetime import timedelta

    from django.conf import settings

    from billing.services.fec import exports_write
    from core.models import Property

    count = 0
    for prop in Property.objects.order_by("pk"):
        day = prop.business_date() - timedelta(days=1)
        count += len(exports_write(property=prop, day=day, directory=settings.VAR_DIR / "exports"))
    return count


# An export of a year streams up to millions of lines: more time than the default limits.
@shared_task(acks_late=True, soft_time_limit=3300, time_limit=3600)
def export_job_task(job_id: int, outbox_id: int | None = None) -> str:
    """Run one on-demand export (published through the outbox by export_job_request; the
    claim on `outbox_id` runs it once). Not retried automatically: a failure is shown on the
    job, and the accountant asks again."""
    from billing.services.exports import export_job_run
    from core.outbox import outbox_run

    job = outbox_run(outbox_id, lambda: export_job_run(job_id=job_id))
    return job.status if job is not None else "already run"


@shared_task(acks_late=True, soft_time_limit=3300, time_limit=3600)
def journal_verify_task(
    property_id: int | None = None, actor: str = "beat", outbox_id: int | None = None
) -> int:
    """Verify the fiscal record and record each run in the property's JET. Beat, daily at
    05:15 (after the closures, before the exports): every property, and the managers and
    accountants are e-mailed when something is broken. From the accountant's button (through
    the outbox, with `property_id` and the person who asked): that property, the result shown
    on the screen. Returns the number of broken properties."""
    from django.utils import translation

    from billing.services.verification import (
        property_verify,
        verification_alert,
        verification_record,
    )
    from core.models import Property
    from core.outbox import outbox_run

    properties = Property.objects.order_by("pk")
    if property_id is not None:
        properties = properties.filter(pk=property_id)

    def verify() -> int:
        broken = 0
        for prop in properties:
            # the findings are recorded as text: in the property's language
            with translation.override(prop.default_language or "fr"):
                result = property_verify(property=prop)
                verification_record(result, actor=actor)
            if not result.ok:
                broken += 1
                if property_id is None:
                    verification_alert(result)
        return broken

    return outbox_run(outbox_id, verify) or 0
