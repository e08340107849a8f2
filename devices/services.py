"""Every write of the devices app: enqueue, send, retry, reprint, test page, no-sale drawer.

Printing is at-least-once by construction and exactly-once in practice: a job row is
created in the caller's transaction, a task is enqueued on commit, and the sender claims the
row with a compare-and-set update (queued/failed -> sending) before touching the printer, so
a redelivered or duplicated task finds nothing to claim once the job is sending or printed.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log, audited_save
from core.exceptions import IdempotencyConflict, InvalidInput, PermissionDenied
from core.roles import role_has
from core.scoping import membership_for
from core.signals import receipt_reprinted
from devices.documents import (
    DOCUMENT_CLASSES,
    Document,
    DocumentError,
    ReceiptDocument,
    TestPageDocument,
    document_from_json,
)
from devices.exceptions import NoCashDrawer, NotAReceipt, PrinterUnavailable, PrintJobNotRetryable
from devices.lock_objects import print_job_lock
from devices.models import CardReader, CashDrawer, DrawerOpening, Printer, PrintJob
from devices.rendering import PrintSettings, render_escpos
from devices.transports import send_bytes

logger = logging.getLogger(__name__)

# A job left "sending" this long was abandoned by a crashed worker (sends time out in seconds).
STALE_SENDING_AFTER = timedelta(minutes=5)
# A job still queued this long after it was written was not published (broker down then).
UNPUBLISHED_AFTER = timedelta(minutes=1)
ERROR_MAX_LENGTH = 2000
PRINT_JOB_SEND_TASK = "devices.tasks.print_job_send_task"
PRINT_JOBS_RELAY_TASK = "devices.tasks.print_jobs_relay_task"


def _drawer_of(printer: Printer) -> CashDrawer | None:
    try:
        drawer = printer.cash_drawer
    except CashDrawer.DoesNotExist:
        return None
    return drawer if drawer.is_active else None


def _enqueue_send(*print_job_ids: int) -> None:
    """Publish the send of these jobs after commit. The job rows are the outbox: a broker
    down at that moment leaves them queued (logged, never raised into the sale that just
    committed) and the minute sweep publishes them again (print_jobs_reset_stale)."""
    ids = list(print_job_ids)
    transaction.on_commit(lambda: _publish_send(ids))


def _publish_send(print_job_ids: list[int]) -> bool:
    """One job's send task; several jobs (a send's station tickets) as one message that the
    worker splits into one send task per job, each with its own retries."""
    from celery import current_app

    from core.outbox import PUBLISH_RETRY_POLICY

    if len(print_job_ids) == 1:
        task, kwargs = PRINT_JOB_SEND_TASK, {"print_job_id": print_job_ids[0]}
    else:
        task, kwargs = PRINT_JOBS_RELAY_TASK, {"print_job_ids": print_job_ids}
    try:  # the tasks named, not imported (devices.tasks imports this module)
        if current_app.conf.task_always_eager:
            # in-process (tests, a demo without a worker): the task must be imported here
            current_app.loader.import_default_modules()
        registered = current_app.tasks.get(task)
        if registered is not None:
            registered.delay(**kwargs)
        else:
            # by name through the broker, as the outbox does: a web process never imports
            # the tasks modules (`current_app.tasks[...]` there was a KeyError, and every
            # receipt waited for the minute's sweep)
            current_app.send_task(
                task, kwargs=kwargs, retry=True, retry_policy=PUBLISH_RETRY_POLICY
            )
    except Exception as exc:  # noqa: BLE001 - any broker failure: the sweep publishes it later
        logger.warning("print jobs %s not published (%s): the sweep will", print_job_ids, exc)
        return False
    return True


def _job_check(*, printer: Printer, kind: str, document: Document | None, open_drawer: bool):
    """Refuse a job that cannot print, before anything is written."""
    if kind not in PrintJob.Kind.values:
        raise InvalidInput(f"Unknown print job kind {kind!r}")
    expected = DOCUMENT_CLASSES.get(kind)
    if expected is not None and not isinstance(document, expected):
        raise InvalidInput(f"A {kind} job prints a {expected.__name__}")
    if expected is None and document is not None:
        raise InvalidInput(f"A {kind} job prints no document")
    if open_drawer and kind not in (PrintJob.Kind.RECEIPT, PrintJob.Kind.DRAWER):
        raise InvalidInput("Only a receipt or a drawer job opens the cash drawer")
    if open_drawer and _drawer_of(printer) is None:
        raise NoCashDrawer()


def _job_create(
    *,
    printer: Printer,
    kind: str,
    document: Document | None,
    idempotency_key: str,
    open_drawer: bool,
    actor,
    reprint_of: PrintJob | None = None,
    new_key: bool = False,
) -> tuple[PrintJob, bool]:
    """Check the job (`_job_check`), then create its row (or find the one with this key).
    Returns (job, created).

    `new_key`: the caller's key names a row its own transaction just created (a new
    ticket), so no job can hold it yet: no lookup, no savepoint."""
    _job_check(printer=printer, kind=kind, document=document, open_drawer=open_drawer)

    def create() -> PrintJob:
        return PrintJob.objects.create(
            property_id=printer.property_id,
            printer=printer,
            kind=kind,
            document=document.to_json() if document is not None else {},
            idempotency_key=idempotency_key,
            open_drawer=open_drawer,
            is_duplicate=reprint_of is not None,
            reprint_of=reprint_of,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )

    if new_key:
        return create(), True
    existing = PrintJob.objects.filter(idempotency_key=idempotency_key).first()
    if existing is None:
        try:
            with transaction.atomic():
                job = create()
            return job, True
        except IntegrityError:
            # Another request with the same key committed first: replay its job.
            existing = PrintJob.objects.get(idempotency_key=idempotency_key)
    if existing.printer_id != printer.pk or existing.kind != kind:
        raise IdempotencyConflict()
    return existing, False


def _record_drawer_opening(
    *, job: PrintJob, reason: str, actor, note: str = "", data: dict | None = None
) -> DrawerOpening:
    drawer = _drawer_of(job.printer)
    opening = DrawerOpening.objects.create(
        property_id=job.property_id,
        drawer=drawer,
        print_job=job,
        reason=reason,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        note=note,
    )
    audit_log(
        action="devices.drawer.opened",
        property=job.printer.property,
        actor=actor,
        target=drawer,
        data={"reason": reason, "print_job_id": job.pk, "note": note, **(data or {})},
    )
    return opening


def print_job_enqueue(
    *,
    printer: Printer,
    kind: str,
    document: Document | None,
    idempotency_key: str,
    open_drawer: bool = False,
    actor=None,
    new_key: bool = False,
) -> PrintJob:
    """Record a print job in the caller's transaction; it is sent after commit.

    `open_drawer=True` (a cash payment) adds the drawer pulse to the receipt and records a
    `DrawerOpening` with an audit entry, in the same transaction.
    Idempotent: the same `idempotency_key` returns the first job and enqueues nothing
    (`new_key=True` when the key names a row the caller's transaction just created: the
    lookup is skipped).
    Raises: InvalidInput (document does not fit the kind), NoCashDrawer, IdempotencyConflict.
    After commit: `print_job_send_task`.
    """
    # Refused before the block below: a refusal then never touches the caller's transaction.
    _job_check(printer=printer, kind=kind, document=document, open_drawer=open_drawer)
    # A new key needs no savepoint: no job can hold it, so nothing inside can fail but a
    # write, and no caller carries on after a failed write (a sale rolls back whole).
    with transaction.atomic(savepoint=not new_key):
        job, created = _job_create(
            printer=printer,
            kind=kind,
            document=document,
            idempotency_key=idempotency_key,
            open_drawer=open_drawer,
            actor=actor,
            new_key=new_key,
        )
        if created:
            if open_drawer:  # a cash payment, with or without a receipt (no-sale: own path)
                _record_drawer_opening(
                    job=job,
                    reason=DrawerOpening.Reason.CASH_PAYMENT,
                    actor=actor,
                    data={"ticket_number": getattr(document, "ticket_number", "")},
                )
            _enqueue_send(job.pk)
    return job


def print_jobs_enqueue_new(
    *, printer_documents: Sequence[tuple[Printer, Document, str]], kind: str, actor=None
) -> list[PrintJob]:
    """Record several print jobs of `kind` (printer, document, idempotency key), each key
    naming a row the caller's transaction has just created (a send's kitchen tickets): all
    checked before anything is written, then one INSERT, and one message after commit.
    No drawer opens. Raises: InvalidInput (a document that does not fit the kind)."""
    for printer, document, _key in printer_documents:
        _job_check(printer=printer, kind=kind, document=document, open_drawer=False)
    created_by = actor if getattr(actor, "is_authenticated", False) else None
    jobs = PrintJob.objects.bulk_create(
        [
            PrintJob(
                property_id=printer.property_id,
                printer=printer,
                kind=kind,
                document=document.to_json(),
                idempotency_key=key,
                created_by=created_by,
            )
            for printer, document, key in printer_documents
        ]
    )
    if jobs:
        _enqueue_send(*(job.pk for job in jobs))
    return jobs


def print_job_render(*, print_job: PrintJob) -> bytes:
    """The exact bytes this job sends to its printer."""
    printer = print_job.printer
    drawer = _drawer_of(printer)
    settings = PrintSettings(
        columns=printer.columns,
        code_page=printer.code_page,
        profile=printer.escpos_profile,
        drawer_pin=drawer.kick_pin if drawer else CashDrawer.KickPin.PIN_2,
    )
    document = document_from_json(print_job.kind, print_job.document)
    return render_escpos(document, settings=settings, open_drawer=print_job.open_drawer)


def _mark_failed(print_job_id: int, error: str) -> None:
    PrintJob.objects.filter(pk=print_job_id, status=PrintJob.Status.SENDING).update(
        status=PrintJob.Status.FAILED,
        last_error=error[:ERROR_MAX_LENGTH],
        updated_at=timezone.now(),
    )


def print_job_send(*, print_job_id: int) -> PrintJob:
    """Claim the job, render it, send it to the printer, and mark it printed (once).

    Never call inside a transaction: it talks to a printer (seconds at worst).
    Idempotent: a job already sending or printed is left alone and nothing is sent.
    Raises: PrinterUnavailable after marking the job failed (the task retries it).
    """
    claimed = PrintJob.objects.filter(
        pk=print_job_id, status__in=[PrintJob.Status.QUEUED, PrintJob.Status.FAILED]
    ).update(status=PrintJob.Status.SENDING, attempts=F("attempts") + 1, updated_at=timezone.now())
    job = PrintJob.objects.select_related("printer", "printer__property").get(pk=print_job_id)
    if claimed != 1:
        logger.info("print job %s is %s: nothing to send", job.pk, job.status)
        return job
    if not job.printer.is_active:
        _mark_failed(job.pk, "The printer is deactivated in the settings")
        job.refresh_from_db()
        return job
    try:
        data = print_job_render(print_job=job)
    except (DocumentError, LookupError, ValueError) as exc:
        # A snapshot that cannot be rendered will not render better later: no retry.
        logger.exception("print job %s cannot be rendered", job.pk)
        _mark_failed(job.pk, f"Cannot render the document: {exc}")
        job.refresh_from_db()
        return job
    try:
        send_bytes(job.printer, data)
    except PrinterUnavailable as exc:
        _mark_failed(job.pk, str(exc))
        raise
    now = timezone.now()
    PrintJob.objects.filter(pk=job.pk, status=PrintJob.Status.SENDING).update(
        status=PrintJob.Status.PRINTED, printed_at=now, last_error="", updated_at=now
    )
    job.refresh_from_db()
    return job


@transaction.atomic
def print_job_retry(*, print_job: PrintJob, actor) -> PrintJob:
    """Send a failed (or never sent) job again, as it was.

    Raises: PrintJobNotRetryable when the job is printed or being sent.
    After commit: `print_job_send_task` (the claim makes a double send harmless)."""
    if print_job.status not in (PrintJob.Status.FAILED, PrintJob.Status.QUEUED):
        raise PrintJobNotRetryable()
    audit_log(
        action="devices.print_job.retried",
        property=print_job.property,
        actor=actor,
        target=print_job,
        data={"attempts": print_job.attempts, "last_error": print_job.last_error},
    )
    _enqueue_send(print_job.pk)
    return print_job


# Who can redraw a receipt as its sale stands now (a refund since the original): pos
# registers one at start-up (devices imports nothing of pos or billing).
ReceiptSource = Callable[..., "ReceiptDocument | None"]
_receipt_sources: list[ReceiptSource] = []


def register_receipt_source(source: ReceiptSource) -> None:
    """`source(property=, ticket_number=, language=)` returns the receipt of that ticket as
    it stands now, or None when it knows no such ticket."""
    if source not in _receipt_sources:
        _receipt_sources.append(source)


def _receipt_now(original: PrintJob, stored: ReceiptDocument) -> ReceiptDocument:
    for source in _receipt_sources:
        current = source(
            property=original.property,
            ticket_number=stored.ticket_number,
            language=stored.language,
        )
        if current is not None:
            return current
    return stored


@transaction.atomic
def receipt_reprint(
    *,
    print_job: PrintJob,
    actor,
    idempotency_key: str | None = None,
    printer: Printer | None = None,
    document: ReceiptDocument | None = None,
) -> PrintJob:
    """A new job printing the same receipt marked "DUPLICATA" with its reprint number
    (`document`: the receipt as it stands now, when the sale changed since, e.g. refunded).

    Locks: the original receipt job (reprint numbers never collide).
    Never opens the cash drawer. Raises: NotAReceipt, InvalidInput (printer elsewhere).
    After commit: `print_job_send_task`."""
    original_id = print_job.reprint_of_id or print_job.pk
    original = print_job_lock(print_job_id=original_id)
    if original.kind != PrintJob.Kind.RECEIPT:
        raise NotAReceipt()
    target_printer = printer or original.printer
    if target_printer.property_id != original.property_id:
        raise InvalidInput("The printer belongs to another property")
    if idempotency_key:
        existing = PrintJob.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            if existing.reprint_of_id != original.pk:
                raise IdempotencyConflict()
            return existing
    reprint_count = original.reprints.count() + 1
    if document is None:
        document = _receipt_now(original, ReceiptDocument.from_json(original.document))
    document = document.as_duplicate(reprint_count=reprint_count)
    job, created = _job_create(
        printer=target_printer,
        kind=PrintJob.Kind.RECEIPT,
        document=document,
        idempotency_key=idempotency_key or f"reprint:{original.pk}:{reprint_count}",
        open_drawer=False,
        actor=actor,
        reprint_of=original,
    )
    if created:
        receipt_reprinted.send(
            sender=PrintJob,
            property=original.property,
            ticket_number=document.ticket_number,
            copy=reprint_count,
            actor=actor,
            printer=target_printer.name,
        )
    audit_log(
        action="devices.receipt.reprinted",
        property=original.property,
        actor=actor,
        target=job,
        data={
            "original_print_job_id": original.pk,
            "ticket_number": document.ticket_number,
            "reprint_count": reprint_count,
        },
    )
    _enqueue_send(job.pk)
    return job


@transaction.atomic
def printer_test_page(*, printer: Printer, actor) -> PrintJob:
    """Print the printer's settings and an accents sample. After commit: the send task."""
    local_now = timezone.localtime(timezone.now(), printer.property.tz)
    document = TestPageDocument(
        printer_name=printer.name,
        connection=f"{printer.get_connection_display()} {printer.address}",
        paper_width_mm=printer.paper_width,
        code_page=printer.code_page,
        requested_at=local_now,
        requested_by=(actor.get_full_name() or actor.get_username()) if actor else "",
        language=printer.property.default_language,
    )
    job = print_job_enqueue(
        printer=printer,
        kind=PrintJob.Kind.TEST,
        document=document,
        idempotency_key=f"test:{printer.pk}:{uuid.uuid4()}",
        actor=actor,
    )
    audit_log(
        action="devices.printer.test_page",
        property=printer.property,
        actor=actor,
        target=printer,
        data={"print_job_id": job.pk},
    )
    return job


@transaction.atomic
def drawer_open_no_sale(
    *, drawer: CashDrawer, actor, idempotency_key: str, note: str = ""
) -> DrawerOpening:
    """Open a cash drawer without a sale; needs the `pos.approve` right at its property.

    Records a `DrawerOpening` and an audit entry. Idempotent on `idempotency_key`.
    Raises: PermissionDenied, NoCashDrawer (drawer switched off).
    After commit: `print_job_send_task` sends the pulse (no paper)."""
    membership = membership_for(actor, drawer.property_id)
    if membership is None or not role_has(membership.role, "pos.approve"):
        raise PermissionDenied()
    job, created = _job_create(
        printer=drawer.printer,
        kind=PrintJob.Kind.DRAWER,
        document=None,
        idempotency_key=idempotency_key,
        open_drawer=True,
        actor=actor,
    )
    if not created:
        return job.drawer_opening
    opening = _record_drawer_opening(
        job=job, reason=DrawerOpening.Reason.NO_SALE, actor=actor, note=note
    )
    _enqueue_send(job.pk)
    return opening


@transaction.atomic
def print_jobs_reset_stale(*, older_than: timedelta = STALE_SENDING_AFTER) -> int:
    """Give back jobs a crashed worker left "sending": mark them failed and send them again;
    and publish again jobs still queued a minute after they were written (the broker was
    down when they were published: the send task's claim makes a double publication harmless).

    Sends time out within seconds, so a row sending for minutes has no live sender.
    Returns the number of jobs reset or published again. After commit: one send task per job."""
    now = timezone.now()
    unsent = list(
        PrintJob.objects.filter(
            status=PrintJob.Status.QUEUED, updated_at__lt=now - UNPUBLISHED_AFTER
        ).values_list("pk", flat=True)
    )
    for job_id in unsent:
        _enqueue_send(job_id)
    cutoff = now - older_than
    stale_ids = list(
        PrintJob.objects.filter(status=PrintJob.Status.SENDING, updated_at__lt=cutoff).values_list(
            "pk", flat=True
        )
    )
    reset = 0
    for job_id in stale_ids:
        updated = PrintJob.objects.filter(
            pk=job_id, status=PrintJob.Status.SENDING, updated_at__lt=cutoff
        ).update(
            status=PrintJob.Status.FAILED,
            last_error="Interrupted while sending (worker stopped); sent again",
            updated_at=timezone.now(),
        )
        if updated:
            reset += 1
            _enqueue_send(job_id)
    return reset + len(unsent)


__all__ = [
    "PrinterUnavailable",
    "drawer_open_no_sale",
    "print_job_enqueue",
    "print_jobs_enqueue_new",
    "print_job_render",
    "print_job_retry",
    "print_job_send",
    "print_jobs_reset_stale",
    "printer_test_page",
    "receipt_reprint",
]


PRINTER_FIELDS = (
    "code",
    "name",
    "connection",
    "host",
    "port",
    "usb_vendor_id",
    "usb_product_id",
    "serial_device",
    "serial_baudrate",
    "file_path",
    "paper_width",
    "code_page",
    "escpos_profile",
    "check_paper",
    "is_active",
)


@transaction.atomic
def printer_save(*, property, actor, fields: dict, printer: Printer | None = None) -> Printer:
    """Create or change a printer of `property` from the manager's outlets screen: the
    connection's address is required for its kind (the model's constraints), the code unique
    in the property. Audited (devices.printer.created / .changed); InvalidInput, nothing
    saved, on a bad value."""
    if printer is not None and printer.property_id != property.pk:
        raise InvalidInput(_("No such printer."))
    unknown = set(fields) - set(PRINTER_FIELDS)
    if unknown:
        raise InvalidInput(_("Unknown field."))
    row = printer or Printer(property=property)
    return audited_save(
        row, names=PRINTER_FIELDS, changes=dict(fields), action="devices.printer", actor=actor
    )


CARD_READER_FIELDS = (
    "name",
    "protocol",
    "host",
    "port",
    "till_number",
    "answer_timeout",
    "is_active",
)


def card_reader_save(
    *, property, actor, fields: dict, reader: CardReader | None = None
) -> CardReader:
    """Create or change a card terminal of `property` from the manager's outlets screen
    (issue 21): its address on the shop's network, port, till number and answer time-out.
    Audited (devices.card_reader.created / .changed); InvalidInput, nothing saved."""
    if reader is not None and reader.property_id != property.pk:
        raise InvalidInput(_("No such card terminal."))
    if set(fields) - set(CARD_READER_FIELDS):
        raise InvalidInput(_("Unknown field."))
    fields = dict(fields)
    fields["host"] = (fields.get("host") or "").strip()
    if not fields["host"] or any(c.isspace() for c in fields["host"]):
        raise InvalidInput(
            _("Give the card terminal's address on the network, such as 192.168.1.50."),
            extra={"field": "host"},
        )
    till = str(fields.get("till_number") or "")
    if not (len(till) == 2 and till.isdigit()):
        raise InvalidInput(
            _("The till number has 2 digits, such as 01."), extra={"field": "till_number"}
        )
    timeout = fields.get("answer_timeout")
    if timeout is not None and not (10 <= timeout <= 600):
        raise InvalidInput(
            _("The answer time-out is between 10 and 600 seconds."),
            extra={"field": "answer_timeout"},
        )
    return audited_save(
        reader or CardReader(property=property),
        names=CARD_READER_FIELDS,
        changes=fields,
        action="devices.card_reader",
        actor=actor,
    )
