"""Celery tasks of the devices app: thin, idempotent, retried with backoff."""

from celery import shared_task

from devices.exceptions import PrinterUnavailable


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(PrinterUnavailable,),
    retry_backoff=2,  # 2, 4, 8, ... seconds (jittered), capped below
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=10,
)
def print_job_send_task(self, *, print_job_id: int) -> None:
    """Send one print job; the service's claim makes a redelivery or a retry harmless."""
    from devices.services import print_job_send

    print_job_send(print_job_id=print_job_id)


@shared_task(acks_late=True)
def print_jobs_relay_task(*, print_job_ids: list[int]) -> None:
    """Hand each job of a batch (a send's station tickets, published as one message from
    the request) its own send task and retries. A redelivery publishes them again: the send
    service's claim makes that harmless."""
    for print_job_id in print_job_ids:
        print_job_send_task.delay(print_job_id=print_job_id)


@shared_task(acks_late=True)
def print_jobs_reset_stale_task() -> int:
    """Periodic: hand back jobs left "sending" by a worker that died mid-send."""
    from devices.services import print_jobs_reset_stale

    return print_jobs_reset_stale()


@shared_task(acks_late=True)
def card_exchange_task(transaction_id: int, outbox_id: int | None = None):
    """One card terminal exchange (may wait minutes for the cardholder): sent at most once."""
    from core.outbox import outbox_run
    from devices.cards import card_exchange

    outbox_run(outbox_id, lambda: card_exchange(transaction_id=transaction_id))
