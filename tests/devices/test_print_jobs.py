"""Print jobs: created in the caller's transaction, claimed once, retried, reprinted."""

from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.db import transaction
from django.utils import timezone

from core.audit import audit_log
from core.exceptions import IdempotencyConflict, InvalidInput, PermissionDenied
from core.models import AuditEntry, Role
from devices.documents import document_from_json
from devices.exceptions import NoCashDrawer, PrinterUnavailable, PrintJobNotRetryable
from devices.models import DrawerOpening, PrintJob
from devices.rendering import render_text
from devices.services import (
    drawer_open_no_sale,
    print_job_enqueue,
    print_job_retry,
    print_job_send,
    print_jobs_reset_stale,
    printer_test_page,
    receipt_reprint,
)
from devices.tasks import print_job_send_task
from tests.devices.conftest import TcpListener
from tests.factories.devices import PrinterFactory, make_kitchen_ticket, make_receipt

pytestmark = pytest.mark.django_db


def _receipt_job(printer, key="sale-1", **kw):
    return print_job_enqueue(
        printer=printer, kind="receipt", document=make_receipt(), idempotency_key=key, **kw
    )


def test_enqueue_creates_the_job_and_sends_it_after_commit(network_printer, enqueued):
    # when
    job = _receipt_job(network_printer)
    # then
    assert enqueued.ids == [job.pk]
    job.refresh_from_db()
    assert job.status == PrintJob.Status.QUEUED and job.attempts == 0
    assert job.property_id == network_printer.property_id
    assert job.document["ticket_number"] == "T-000123"
    assert job.document["total_gross"] == "23.80"


def test_enqueue_with_the_same_key_replays_the_first_job(network_printer, enqueued):
    first = _receipt_job(network_printer)
    again = _receipt_job(network_printer)
    assert again.pk == first.pk
    assert PrintJob.objects.count() == 1
    assert enqueued.ids == [first.pk]
    with pytest.raises(IdempotencyConflict):
        print_job_enqueue(
            printer=network_printer,
            kind="kitchen",
            document=make_kitchen_ticket(),
            idempotency_key="sale-1",
        )


def test_nothing_is_sent_when_the_caller_rolls_back(
    network_printer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                _receipt_job(network_printer)
                raise RuntimeError("payment declined")
    assert callbacks == []
    assert not PrintJob.objects.exists()


def test_refusing_printer_leaves_the_sale_committed_and_the_job_failed_and_retried(
    hotel, free_port, enqueued
):
    # given: a sale committed together with its receipt job, the printer refusing connections
    printer = PrinterFactory(property=hotel, port=free_port)
    with transaction.atomic():
        sale = audit_log(action="pos.sale.paid", property=hotel, data={"ticket": "T-000123"})
        job = _receipt_job(printer)
    # when: the task runs (in-process here; test_celery_worker runs the real retry loop)
    with pytest.raises(Retry) as retry:
        print_job_send_task.apply(kwargs={"print_job_id": job.pk})
    # then: the sale stays, the job is failed, and Celery was asked to retry it later
    assert AuditEntry.objects.filter(pk=sale.pk).exists()
    assert isinstance(retry.value.exc, PrinterUnavailable)
    assert 0 <= retry.value.when <= 2  # first backoff step, jittered
    job.refresh_from_db()
    assert job.status == PrintJob.Status.FAILED and job.attempts == 1
    assert "Connection refused" in job.last_error
    # and when the printer comes back, the next attempt prints it, once
    server = TcpListener(port=free_port)
    try:
        print_job_send_task.apply(kwargs={"print_job_id": job.pk})
        print_job_send_task.apply(kwargs={"print_job_id": job.pk})
        server.wait_for(1)
    finally:
        server.close()
    job.refresh_from_db()
    assert job.status == PrintJob.Status.PRINTED and job.last_error == ""
    assert len(server.connections) == 1
    assert server.received.count(b"\x1b@") == 1


def test_sending_twice_prints_once(network_printer, listener, enqueued):
    # given
    job = _receipt_job(network_printer)
    # when: the task is delivered twice (a redelivery after a lost ack)
    print_job_send(print_job_id=job.pk)
    second = print_job_send(print_job_id=job.pk)
    listener.wait_for(1)
    # then
    assert second.status == PrintJob.Status.PRINTED and second.attempts == 1
    assert len(listener.connections) == 1
    assert listener.received.count(b"Ticket T-000123") == 1


def test_a_job_being_sent_is_not_sent_again(network_printer, listener, enqueued):
    job = _receipt_job(network_printer)
    PrintJob.objects.filter(pk=job.pk).update(status=PrintJob.Status.SENDING, attempts=1)
    result = print_job_send(print_job_id=job.pk)
    assert result.status == PrintJob.Status.SENDING and result.attempts == 1
    assert listener.connections == []


def test_cash_payment_opens_the_drawer_and_records_it(
    network_printer, bar_drawer, listener, cashier, enqueued
):
    # when
    job = _receipt_job(network_printer, open_drawer=True, actor=cashier)
    print_job_send(print_job_id=job.pk)
    listener.wait_for(1)
    # then
    opening = DrawerOpening.objects.get()
    assert opening.reason == DrawerOpening.Reason.CASH_PAYMENT
    assert opening.drawer == bar_drawer and opening.print_job == job and opening.actor == cashier
    entry = AuditEntry.objects.get(action="devices.drawer.opened")
    assert entry.data["reason"] == "cash_payment" and entry.data["ticket_number"] == "T-000123"
    assert listener.received.startswith(b"\x1b@\x1bp\x00\x32\x32")


def test_drawer_cannot_open_on_a_printer_without_one(network_printer, enqueued):
    with pytest.raises(NoCashDrawer):
        _receipt_job(network_printer, open_drawer=True)
    assert not PrintJob.objects.exists()


@pytest.mark.parametrize("new_key", [False, True])
def test_a_refused_job_leaves_the_callers_transaction_going(network_printer, enqueued, new_key):
    """A job refused before anything is written (no drawer, a document of the wrong kind)
    never dooms the sale around it, with or without the savepoint a known key skips."""
    with transaction.atomic():
        with pytest.raises(NoCashDrawer):
            _receipt_job(network_printer, open_drawer=True, new_key=new_key)
        with pytest.raises(InvalidInput, match="prints a"):
            print_job_enqueue(
                printer=network_printer,
                kind="kitchen",
                document=make_receipt(),
                idempotency_key="k-1",
                new_key=new_key,
            )
        job = _receipt_job(network_printer, key="sale-2", new_key=new_key)
    assert list(PrintJob.objects.values_list("pk", flat=True)) == [job.pk]
    assert enqueued.ids == [job.pk]


def test_reprint_is_a_duplicata_with_its_count_and_never_opens_the_drawer(
    network_printer, bar_drawer, listener, manager, write_artifact, enqueued
):
    # given: a cash receipt already printed
    original = _receipt_job(network_printer, open_drawer=True)
    print_job_send(print_job_id=original.pk)
    # when
    first = receipt_reprint(print_job=original, actor=manager)
    second = receipt_reprint(print_job=first, actor=manager)
    print_job_send(print_job_id=second.pk)
    listener.wait_for(2)
    # then
    assert first.is_duplicate and first.reprint_of == original and not first.open_drawer
    assert first.document["fiscal"]["reprint_count"] == 1
    assert second.reprint_of == original and second.document["fiscal"]["reprint_count"] == 2
    assert enqueued.ids == [original.pk, first.pk, second.pk]
    entries = AuditEntry.objects.filter(action="devices.receipt.reprinted").order_by("pk")
    assert [e.data["reprint_count"] for e in entries] == [1, 2]
    assert entries[0].actor == manager
    reprinted = listener.connections[1]
    assert b"DUPLICATA" in reprinted and b"reprint no. 2" in reprinted
    assert b"\x1bp" not in reprinted
    assert DrawerOpening.objects.count() == 1
    text = render_text(document_from_json("receipt", second.document), columns=48)
    write_artifact("reprint_2", text)
    assert "DUPLICATA reprint no. 2" in text


def test_reprint_with_a_key_replays(network_printer, manager, enqueued):
    original = _receipt_job(network_printer)
    first = receipt_reprint(print_job=original, actor=manager, idempotency_key="form-1")
    again = receipt_reprint(print_job=original, actor=manager, idempotency_key="form-1")
    assert again.pk == first.pk
    assert PrintJob.objects.filter(is_duplicate=True).count() == 1


def test_retry_sends_a_failed_job_again_and_refuses_a_printed_one(
    network_printer, manager, enqueued
):
    job = _receipt_job(network_printer)
    PrintJob.objects.filter(pk=job.pk).update(status=PrintJob.Status.FAILED, last_error="off")
    job.refresh_from_db()
    print_job_retry(print_job=job, actor=manager)
    assert enqueued.ids == [job.pk, job.pk]
    assert AuditEntry.objects.filter(action="devices.print_job.retried").count() == 1
    PrintJob.objects.filter(pk=job.pk).update(
        status=PrintJob.Status.PRINTED, printed_at=timezone.now()
    )
    job.refresh_from_db()
    with pytest.raises(PrintJobNotRetryable):
        print_job_retry(print_job=job, actor=manager)


def test_test_page_prints_settings_and_accents(network_printer, listener, manager, enqueued):
    job = printer_test_page(printer=network_printer, actor=manager)
    print_job_send(print_job_id=job.pk)
    listener.wait_for(1)
    assert job.kind == PrintJob.Kind.TEST
    assert "Crème brûlée, Café, Œuf".encode("cp858", errors="replace") in listener.received
    assert f"127.0.0.1:{network_printer.port}".encode() in listener.received


def test_no_sale_needs_a_manager_and_is_recorded(bar_drawer, listener, manager, cashier, enqueued):
    # a cashier may take cash but not open the drawer without a sale
    with pytest.raises(PermissionDenied):
        drawer_open_no_sale(drawer=bar_drawer, actor=cashier, idempotency_key="ns-1")
    assert not DrawerOpening.objects.exists() and not PrintJob.objects.exists()
    # a manager may
    opening = drawer_open_no_sale(
        drawer=bar_drawer, actor=manager, idempotency_key="ns-2", note="change for the till"
    )
    again = drawer_open_no_sale(drawer=bar_drawer, actor=manager, idempotency_key="ns-2")
    assert again == opening
    assert opening.reason == DrawerOpening.Reason.NO_SALE and opening.actor == manager
    assert AuditEntry.objects.get(action="devices.drawer.opened").data["reason"] == "no_sale"
    print_job_send(print_job_id=opening.print_job_id)
    listener.wait_for(1)
    assert listener.received == b"\x1b@\x1bp\x00\x32\x32"


def test_sweeper_gives_back_jobs_left_sending(network_printer, enqueued):
    # given: one job abandoned mid-send by a dead worker, one being sent right now
    stale = _receipt_job(network_printer, key="a")
    fresh = _receipt_job(network_printer, key="b")
    PrintJob.objects.filter(pk=stale.pk).update(
        status=PrintJob.Status.SENDING, updated_at=timezone.now() - timedelta(minutes=10)
    )
    PrintJob.objects.filter(pk=fresh.pk).update(status=PrintJob.Status.SENDING)
    # when
    assert print_jobs_reset_stale() == 1
    # then
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == PrintJob.Status.FAILED and "Interrupted" in stale.last_error
    assert fresh.status == PrintJob.Status.SENDING
    assert enqueued.ids[-1] == stale.pk


@pytest.fixture
def cashier(hotel, staff_of):
    return staff_of(hotel, Role.CASHIER, username="cashier")


def test_a_broker_down_at_sale_time_leaves_the_job_queued_and_the_sweep_prints_it(
    network_printer, listener, django_capture_on_commit_callbacks, celery_eager
):
    """The task queue is down when the sale commits: the sale's request does not fail, the job
    waits as "queued", and the minute sweep publishes it once the broker is back."""
    # given: the broker is down when the job's send task is published after commit
    from celery import current_app

    from tests.worker import broker_down

    current_app.conf.task_always_eager = False  # publish for real, to the dead broker
    with broker_down(), django_capture_on_commit_callbacks(execute=True) as callbacks:
        job = _receipt_job(network_printer, key="down")
    current_app.conf.task_always_eager = True  # from now on tasks run here (celery_eager)
    assert len(callbacks) == 1  # it was published after commit, and failed quietly
    job.refresh_from_db()
    assert job.status == PrintJob.Status.QUEUED and listener.received == b""
    # when: a minute later the sweep runs (the task runs in-process here)
    PrintJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(minutes=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert print_jobs_reset_stale() == 1
    # then: it is printed, once
    listener.wait_for(1)
    job.refresh_from_db()
    assert job.status == PrintJob.Status.PRINTED
    assert listener.received.count(b"Ticket T-000123") == 1
