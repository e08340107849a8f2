"""Exports on demand: the accountant runs an export, a real Celery worker writes it to
storage while the row shows progress, the screen polls it and offers the download."""

import csv
import io
import time
from decimal import Decimal

import pytest
from celery import signals
from celery.contrib.testing.worker import start_worker
from django.db import connections
from django.urls import reverse
from kombu import pools

from billing.models import ExportJob, JournalEntry
from billing.services.folios import ChargeInput, folio_open, folio_post_charges
from billing.services.invoices import invoice_issue
from billing.tasks import export_job_task
from config.celery import app
from core.models import OutboxMessage, Role
from core.outbox import outbox_dispatch_pending
from tests.worker import broker_down

D = Decimal


def _close_worker_connections(**kwargs):
    connections.close_all()


@pytest.fixture
def celery_worker():
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
    app.control.purge()
    signals.task_postrun.connect(_close_worker_connections, weak=False)
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING") as worker:
            yield worker
    finally:
        signals.task_postrun.disconnect(_close_worker_connections)


@pytest.fixture
def storage(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    return tmp_path


@pytest.fixture
def accountant(hotel, staff_of):
    return staff_of(hotel, Role.ACCOUNTANT, username="compta")


@pytest.fixture
def sales(hotel, manager):
    hotel.siret = "12345678900012"
    hotel.save()
    folio = folio_open(property=hotel, holder_name="=cmd|' /C calc'!A0")
    folio_post_charges(
        folio=folio,
        charges=[
            ChargeInput(
                "Chambre", D("1"), D("110"), D("110"), D("10"), "accommodation", source="n1"
            ),
            ChargeInput("Vin", D("2"), D("12"), D("24"), D("20"), "alcohol", source="n2"),
        ],
    )
    return invoice_issue(folio=folio, actor=manager)


def _period(hotel, kind):
    day = hotel.business_date()
    return {"kind": kind, "start": day.isoformat(), "end": day.isoformat()}


def _wait_done(job: ExportJob, timeout: float = 30) -> ExportJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.finished:
            return job
        time.sleep(0.1)
    raise AssertionError(f"export {job.pk} still {job.status} ({job.message})")


@pytest.mark.django_db(transaction=True)
def test_accountant_runs_a_fec_export_through_the_worker(
    client, hotel, accountant, sales, storage, celery_worker
):
    client.force_login(accountant)
    response = client.post(reverse("billing:export_job_start"), _period(hotel, "fec"))
    assert response.status_code == 302
    job = _wait_done(ExportJob.objects.get(property=hotel))
    assert job.status == "done", job.message
    assert job.filename == f"123456789FEC{hotel.business_date():%Y%m%d}.txt"
    assert job.lines_done == job.lines_total == 6  # header + 411, 706100, 707200, 2 VAT
    # the screen's row: a download link, no more polling
    row = client.get(reverse("billing:export_job_status", args=[job.public_id])).content.decode()
    assert "hx-trigger" not in row and job.filename in row
    download = client.get(reverse("billing:export_job_download", args=[job.public_id]))
    assert download.status_code == 200
    assert job.filename in download["Content-Disposition"]
    body = b"".join(download.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(body), delimiter="\t"))
    assert rows[0][:3] == ["JournalCode", "JournalLib", "EcritureNum"]
    debit = sum(D(r[11].replace(",", ".")) for r in rows[1:])
    credit = sum(D(r[12].replace(",", ".")) for r in rows[1:])
    assert debit == credit == D("134.00")
    assert JournalEntry.objects.filter(chain="jet", code="20", payload__kind="fec").count() == 1


@pytest.mark.django_db(transaction=True)
def test_csv_export_through_the_worker_neutralises_formulas(
    client, hotel, accountant, sales, storage, celery_worker
):
    client.force_login(accountant)
    client.post(reverse("billing:export_job_start"), _period(hotel, "csv"))
    job = _wait_done(ExportJob.objects.get(property=hotel))
    body = b"".join(
        client.get(reverse("billing:export_job_download", args=[job.public_id])).streaming_content
    ).decode()
    rows = list(csv.DictReader(io.StringIO(body), delimiter=";"))
    assert {r["customer"] for r in rows} == {"'=cmd|' /C calc'!A0"}
    assert job.lines_done == len(rows) + 1


@pytest.mark.django_db(transaction=True)
def test_broker_down_leaves_the_job_pending_with_a_message(
    client, hotel, accountant, sales, storage
):
    client.force_login(accountant)
    with broker_down():
        response = client.post(reverse("billing:export_job_start"), _period(hotel, "fec"))
    assert response.status_code == 302
    job = ExportJob.objects.get(property=hotel)
    assert job.status == "pending" and "cannot be reached" in job.message
    page = client.get(reverse("billing:accounting")).content.decode()
    assert "The task queue cannot be reached" in page
    message = OutboxMessage.objects.get(task="billing.tasks.export_job_task")
    assert message.kwargs == {"job_id": job.pk} and message.dispatched_at is None
    # the broker is back: the outbox sweep publishes it, the run finishes it and clears the
    # message; a second delivery of the same message does nothing
    assert outbox_dispatch_pending() == 1
    app.control.purge()
    assert export_job_task(job.pk, outbox_id=message.pk) == "done"
    job.refresh_from_db()
    assert job.status == "done" and job.message == ""
    assert export_job_task(job.pk, outbox_id=message.pk) == "already run"
    assert JournalEntry.objects.filter(chain="jet", code="20", payload__kind="fec").count() == 1


@pytest.mark.django_db
def test_jobs_are_scoped_to_the_property_and_role(
    client, hotel, other_hotel, accountant, staff_of, waiter, sales, storage
):
    client.force_login(accountant)
    client.post(reverse("billing:export_job_start"), _period(hotel, "csv"))
    ExportJob.objects.update(status="done", storage_name="x", filename="x.csv")
    job = ExportJob.objects.get(property=hotel)
    outsider = staff_of(other_hotel, Role.ACCOUNTANT, username="compta2")
    client.force_login(outsider)
    for name in ("billing:export_job_status", "billing:export_job_download"):
        assert client.get(reverse(name, args=[job.public_id])).status_code == 404
    client.force_login(waiter)
    assert client.get(reverse("billing:export_job_status", args=[job.public_id])).status_code == 403
    assert (
        client.post(reverse("billing:export_job_start"), _period(hotel, "fec")).status_code == 403
    )


@pytest.mark.django_db
def test_bad_period_or_kind_creates_nothing(client, hotel, accountant):
    client.force_login(accountant)
    day = hotel.business_date()
    for data in (
        {"kind": "fec", "start": day.isoformat(), "end": "2000-01-01"},
        {"kind": "nope", "start": day.isoformat(), "end": day.isoformat()},
        {"kind": "fec", "start": "x", "end": day.isoformat()},
    ):
        assert client.post(reverse("billing:export_job_start"), data).status_code == 302
    assert not ExportJob.objects.exists()
