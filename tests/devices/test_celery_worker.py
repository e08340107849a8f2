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


def test_a_web_process_publishes_print_jobs_without_importing_the_tasks():
    """A gunicorn worker never imports devices.tasks: the send is published by the task's
    name to the broker (before, a KeyError left every receipt to the minute's sweep)."""
    import json
    import os
    import subprocess
    import sys

    import redis
    from django.conf import settings

    app.control.purge()
    code = (
        "import django; django.setup()\n"
        "from celery import current_app\n"
        "from devices.services import PRINT_JOB_SEND_TASK, _publish_send\n"
        "assert PRINT_JOB_SEND_TASK not in current_app.tasks\n"
        "print(_publish_send([424242]), _publish_send([1, 2]))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True"]
    queued = redis.Redis.from_url(settings.CELERY_BROKER_URL).lrange("celery", 0, -1)
    tasks = sorted(
        (json.loads(raw)["headers"]["task"], json.loads(raw)["headers"]["argsrepr"])
        for raw in queued
    )
    app.control.purge()
    assert [task for task, _args in tasks] == [
        "devices.tasks.print_job_send_task",
        "devices.tasks.print_jobs_relay_task",
    ]
