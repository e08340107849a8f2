"""The real path: commit, Redis broker, a Celery worker, retries, and a printer on 127.0.0.1."""

import time

import pytest
from celery import signals
from celery.contrib.testing.worker import start_worker
from django.db import connections, transaction
from django.utils import timezone

from config.celery import app
from devices.models import PrintJob
from devices.services import print_job_enqueue
from tests.devices.conftest import TcpListener
from tests.factories.devices import PrinterFactory, make_receipt


def _close_worker_connections(**kwargs):
    # The worker thread opens its own database connections: close them after each task so the
    # test database can be flushed and dropped.
    connections.close_all()


@pytest.fixture
def celery_worker():
    # Another test may have force-closed the app's broker pool (tests/core/test_healthz
    # simulates an outage): start from fresh connection and producer pools.
    app._pool = None
    app.amqp._producer_pool = None
    app.control.purge()  # messages left in the test broker by an interrupted run
    signals.task_postrun.connect(_close_worker_connections, weak=False)
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING") as worker:
            yield worker
    finally:
        signals.task_postrun.disconnect(_close_worker_connections)


def _wait_for_status(job: PrintJob, status: str, timeout: float = 20.0) -> PrintJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status == status:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job.pk} is {job.status} ({job.last_error}), not {status}")


@pytest.mark.django_db(transaction=True)
def test_worker_prints_a_committed_receipt(hotel, celery_worker):
    # given
    server = TcpListener()
    printer = PrinterFactory(property=hotel, port=server.port)
    try:
        # when: a sale commits its receipt job
        with transaction.atomic():
            job = print_job_enqueue(
                printer=printer, kind="receipt", document=make_receipt(), idempotency_key="w-1"
            )
            time.sleep(0.3)
            assert server.connections == []  # nothing leaves before commit
        server.wait_for(1, timeout=20)
        job = _wait_for_status(job, PrintJob.Status.PRINTED)
    finally:
        server.close()
    # then
    assert job.attempts == 1
    assert server.received.startswith(b"\x1b@\x1bt\x13")
    assert b"Caf\x82" in server.received and server.received.endswith(b"\x1dV\x00")


@pytest.mark.django_db(transaction=True)
def test_worker_retries_until_the_printer_is_back_and_prints_once(hotel, free_port, celery_worker):
    # given: the printer is off (connections refused)
    printer = PrinterFactory(property=hotel, port=free_port)
    with transaction.atomic():
        job = print_job_enqueue(
            printer=printer, kind="receipt", document=make_receipt(), idempotency_key="w-2"
        )
    job = _wait_for_status(job, PrintJob.Status.FAILED)
    assert "Connection refused" in job.last_error
    # when: the printer comes back on the same address
    server = TcpListener(port=free_port)
    try:
        job = _wait_for_status(job, PrintJob.Status.PRINTED, timeout=30)
        time.sleep(1)  # give a duplicate delivery the chance to show up
    finally:
        server.close()
    # then: printed once, after at least one failed attempt
    assert job.attempts >= 2
    assert len(server.connections) == 1
    assert server.received.count(b"Ticket T-000123") == 1


@pytest.mark.django_db(transaction=True)
def test_worker_prints_each_station_ticket_of_one_send(hotel, celery_worker):
    """A send to two stations is published as one message; the worker prints both."""
    from devices.documents import KitchenItem, KitchenTicketDocument
    from devices.services import print_jobs_enqueue_new

    kitchen, bar = TcpListener(), TcpListener()
    printers = [PrinterFactory(property=hotel, port=s.port) for s in (kitchen, bar)]
    try:
        with transaction.atomic():
            jobs = print_jobs_enqueue_new(
                printer_documents=[
                    (
                        printer,
                        KitchenTicketDocument(
                            station=station,
                            table="5",
                            items=(KitchenItem(name=dish),),
                            sent_at=timezone.now(),
                            covers=2,
                            waiter="Camille",
                            order_reference=f"K{n}",
                        ),
                        f"w-kitchen-{n}",
                    )
                    for n, (printer, station, dish) in enumerate(
                        zip(printers, ("kitchen", "bar"), ("Loup", "Spritz"), strict=True)
                    )
                ],
                kind="kitchen",
            )
        kitchen.wait_for(1, timeout=20)
        bar.wait_for(1, timeout=20)
        for job in jobs:
            _wait_for_status(job, PrintJob.Status.PRINTED)
    finally:
        kitchen.close()
        bar.close()
    assert b"Loup" in kitchen.received and b"Spritz" in bar.received
