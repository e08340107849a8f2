"""Exports on demand (issue 5): the accountant asks for a FEC, a CSV of document lines or a
signed archive for a period; an ExportJob row is created and a Celery task writes the file to
storage line by line (constant memory), keeping the row's progress up to date so the screen
can show a progress bar, then a download link.

The task leaves through the outbox (core/outbox.py), written in the request's transaction.
When the broker cannot be reached the job stays pending with a message saying so (never a
500), and the outbox sweep (beat, every minute) publishes it once the broker is back."""

import hashlib
import logging
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import ExportJob, FolioLine, InvoiceLine, Payment, TicketLine
from billing.services.accounting import RECEIPTED_SOURCE_PREFIX
from billing.services.fec import (
    csv_filename,
    csv_rows,
    fec_filename,
    fec_rows,
    stream_lines,
)
from billing.services.journal import JET_ARCHIVE, jet_event
from core.exceptions import InvalidInput
from core.models import OutboxMessage, Property
from core.outbox import outbox_enqueue

logger = logging.getLogger(__name__)

MAX_DAYS = 366
PROGRESS_EVERY_LINES = 5000
PROGRESS_EVERY_SECONDS = 1.0
# the task's hard time limit (billing.tasks.export_job_task): a year streams millions of lines
EXPORT_TIME_LIMIT = timedelta(hours=1)
BROKER_DOWN = "The task queue cannot be reached: the export will start as soon as it is back."


def export_job_request(
    *, property: Property, kind: str, start: date, end: date, actor
) -> ExportJob:
    """Create a pending job for [start, end) and enqueue its task after commit.
    Raises InvalidInput on an unknown kind or a bad period (nothing is created)."""
    if kind not in ExportJob.Kind.values:
        raise InvalidInput(_("Unknown export."))
    if end <= start:
        raise InvalidInput(_("The end date is before the start date."))
    if (end - start).days > MAX_DAYS:
        raise InvalidInput(_("Export at most one year at a time."))
    with transaction.atomic():
        job = ExportJob.objects.create(
            property=property,
            kind=kind,
            start=start,
            end=end,
            requested_by=actor if getattr(actor, "pk", None) else None,
        )
        message = outbox_enqueue(
            task="billing.tasks.export_job_task",
            kwargs={"job_id": job.pk},
            property=property,
            stale_after=EXPORT_TIME_LIMIT + timedelta(minutes=5),
        )
        # registered after the outbox's own publish, so it runs after it
        transaction.on_commit(
            lambda: _export_note_unpublished(job_id=job.pk, message_id=message.pk)
        )
    return job


def _export_note_unpublished(*, job_id: int, message_id: int) -> None:
    """After the commit's publish: a job whose task did not reach the broker says so on the
    screen (the outbox sweep publishes it once the broker is back, and the run clears it)."""
    if OutboxMessage.objects.filter(pk=message_id, dispatched_at__isnull=True).exists():
        ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.PENDING).update(
            message=BROKER_DOWN
        )


def export_estimate(*, property: Property, kind: str, start: date, end: date) -> int:
    """A cheap estimate of the lines the file will have, for the progress bar (COUNT queries
    on indexed columns, no row fetched)."""
    tickets = TicketLine.objects.filter(
        ticket__property=property, ticket__business_date__gte=start, ticket__business_date__lt=end
    )
    folio_lines = FolioLine.objects.filter(
        folio__property=property, business_date__gte=start, business_date__lt=end
    ).exclude(source__startswith=RECEIPTED_SOURCE_PREFIX)
    payments = Payment.objects.filter(
        property=property, business_date__gte=start, business_date__lt=end
    )
    if kind == ExportJob.Kind.CSV:
        credit = InvoiceLine.objects.filter(
            invoice__property=property,
            invoice__business_date__gte=start,
            invoice__business_date__lt=end,
            invoice__kind="credit_note",
        )
        return 1 + tickets.count() + folio_lines.count() + payments.count() + credit.count()
    if kind == ExportJob.Kind.FEC:
        # per day: 411 + one line per revenue account + one per VAT rate; 2 lines per method
        sales = tickets.aggregate(
            days=Count("ticket__business_date", distinct=True),
            categories=Count("revenue_category", distinct=True),
            rates=Count("vat_rate", distinct=True),
        )
        methods = payments.values("business_date", "method").distinct().count()
        per_day = 1 + sales["categories"] + sales["rates"]
        return 1 + sales["days"] * per_day + 2 * methods
    from billing.services.archive import archive_estimate

    return archive_estimate(property=property, start=start, end=end)


def _writer_for(job: ExportJob) -> tuple[str, Callable[..., None]]:
    """(download file name, write(handle, progress)) for the job's kind."""
    prop, start, end = job.property, job.start, job.end
    if job.kind == ExportJob.Kind.ARCHIVE:
        from billing.services.archive import archive_filename, archive_write

        def write_archive(handle, progress):
            archive_write(property=prop, start=start, end=end, handle=handle, progress=progress)

        return archive_filename(property=prop, start=start, end=end), write_archive

    if job.kind == ExportJob.Kind.FEC:
        name = fec_filename(property=prop, end=end)
        lines: Iterator[str] = stream_lines(
            fec_rows(property=prop, start=start, end=end), delimiter="\t"
        )
    else:
        name = csv_filename(property=prop, start=start, end=end)
        lines = stream_lines(csv_rows(property=prop, start=start, end=end), delimiter=";")

    def write_text(handle, progress):
        for text in lines:
            handle.write(text.encode("utf-8"))
            progress(1)

    return name, write_text


class _Progress:
    """Counts lines and writes them to the job row now and then (one UPDATE per 5,000 lines
    or per second, whichever comes later), so the screen sees the file grow."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.done = 0
        self.flushed_at = time.monotonic()
        self.flushed_lines = 0

    def __call__(self, lines: int) -> None:
        self.done += lines
        if (
            self.done - self.flushed_lines >= PROGRESS_EVERY_LINES
            and time.monotonic() - self.flushed_at >= PROGRESS_EVERY_SECONDS
        ):
            self.flush()

    def flush(self) -> None:
        ExportJob.objects.filter(pk=self.job_id).update(lines_done=self.done)
        self.flushed_at, self.flushed_lines = time.monotonic(), self.done


def export_job_run(*, job_id: int) -> ExportJob | None:
    """Run a job (the worker's side): estimate, write to a temporary file with constant
    memory, store it, record its SHA-256 and a JET export event, mark it done. A job already
    done is left alone (redelivery); an error marks it failed with the reason."""
    claimed = ExportJob.objects.filter(
        pk=job_id, status__in=[ExportJob.Status.PENDING, ExportJob.Status.RUNNING]
    ).update(status=ExportJob.Status.RUNNING, started_at=timezone.now(), message="")
    if not claimed:
        return ExportJob.objects.filter(pk=job_id).first()
    job = ExportJob.objects.select_related("property", "requested_by").get(pk=job_id)
    try:
        total = export_estimate(property=job.property, kind=job.kind, start=job.start, end=job.end)
        ExportJob.objects.filter(pk=job.pk).update(lines_total=total, lines_done=0)
        filename, write = _writer_for(job)
        progress = _Progress(job.pk)
        digest = hashlib.sha256()
        tmp_dir = settings.VAR_DIR / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=tmp_dir) as handle:
            write(handle, progress)
            size = handle.tell()
            handle.seek(0)
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
            handle.seek(0)
            storage_name = default_storage.save(
                f"exports/{job.property.slug}/{job.public_id}/{filename}", File(handle)
            )
        progress.flush()
        jet_event(
            property=job.property,
            code=JET_ARCHIVE,
            actor=job.requested_by,
            payload={
                "export": filename,
                "kind": job.kind,
                "start": job.start,
                "end": job.end,
                "sha256": digest.hexdigest(),
            },
        )
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.DONE,
            filename=filename,
            storage_name=storage_name,
            size=size,
            sha256=digest.hexdigest(),
            lines_total=max(total, progress.done),
            finished_at=timezone.now(),
        )
    except Exception as exc:
        logger.exception("export job %s failed", job_id)
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.FAILED,
            message=f"{exc.__class__.__name__}: {exc}"[:300],
            finished_at=timezone.now(),
        )
    job.refresh_from_db()
    return job
