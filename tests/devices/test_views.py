"""The printer status screen: managers only, scoped to the active property."""

import pytest
from django.urls import reverse

from core.models import AuditEntry, Role
from devices.models import DrawerOpening, PrintJob
from devices.services import print_job_enqueue
from tests.factories.devices import CashDrawerFactory, PrinterFactory, make_receipt

pytestmark = pytest.mark.django_db


@pytest.fixture
def bar(hotel):
    printer = PrinterFactory(property=hotel, code="bar", name="Bar receipts", port=9)
    CashDrawerFactory(printer=printer, name="Bar drawer")
    return printer


@pytest.fixture
def failed_receipt(bar, enqueued):
    job = print_job_enqueue(
        printer=bar, kind="receipt", document=make_receipt(), idempotency_key="sale-1"
    )
    PrintJob.objects.filter(pk=job.pk).update(
        status=PrintJob.Status.FAILED, attempts=3, last_error="Connection refused"
    )
    job.refresh_from_db()
    return job


def test_manager_sees_printers_with_their_last_error_and_actions(client, manager, failed_receipt):
    # given
    client.force_login(manager)
    # when
    response = client.get(reverse("devices:printer_status"))
    # then
    assert response.status_code == 200
    page = response.content.decode()
    assert "Bar receipts" in page and "127.0.0.1:9" in page
    assert "Connection refused" in page
    assert reverse("devices:job_retry", args=[failed_receipt.pk]) in page
    assert reverse("devices:receipt_reprint", args=[failed_receipt.pk]) in page
    assert reverse("devices:test_page", args=[failed_receipt.printer_id]) in page
    drawer = failed_receipt.printer.cash_drawer
    assert reverse("devices:drawer_no_sale", args=[drawer.pk]) in page
    assert f'href="{reverse("devices:printer_status")}"' in page  # in the main navigation


def test_waiter_gets_403(client, waiter, bar, enqueued):
    client.force_login(waiter)
    assert client.get(reverse("devices:printer_status")).status_code == 403
    assert client.post(reverse("devices:test_page", args=[bar.pk])).status_code == 403
    assert not PrintJob.objects.exists()


def test_staff_of_another_property_get_404_on_our_ids(
    client, other_hotel, staff_of, failed_receipt, enqueued
):
    # given: a manager of another hotel
    outsider = staff_of(other_hotel, Role.MANAGER, username="outsider")
    client.force_login(outsider)
    printer = failed_receipt.printer
    # when / then
    assert client.post(reverse("devices:test_page", args=[printer.pk])).status_code == 404
    assert client.post(reverse("devices:job_retry", args=[failed_receipt.pk])).status_code == 404
    reprint = reverse("devices:receipt_reprint", args=[failed_receipt.pk])
    assert client.post(reprint).status_code == 404
    assert client.get(reverse("devices:job_preview", args=[failed_receipt.pk])).status_code == 404
    no_sale = reverse("devices:drawer_no_sale", args=[printer.cash_drawer.pk])
    assert client.post(no_sale).status_code == 404
    assert "Bar receipts" not in client.get(reverse("devices:printer_status")).content.decode()
    assert PrintJob.objects.count() == 1
    assert not DrawerOpening.objects.exists()
    assert enqueued.ids == [failed_receipt.pk]


def test_no_sale_needs_pos_approve_and_is_recorded(client, manager, staff_of, hotel, bar, enqueued):
    drawer = bar.cash_drawer
    url = reverse("devices:drawer_no_sale", args=[drawer.pk])
    # a cashier takes cash payments but may not open the drawer without a sale
    client.force_login(staff_of(hotel, Role.CASHIER, username="cashier"))
    assert client.post(url, {"idempotency_key": "k1"}).status_code == 403
    assert not DrawerOpening.objects.exists()
    # a manager may, once per form submission
    client.force_login(manager)
    response = client.post(url, {"idempotency_key": "k2", "note": "float"})
    client.post(url, {"idempotency_key": "k2", "note": "float"})
    assert response.status_code == 302
    opening = DrawerOpening.objects.get()
    assert opening.reason == DrawerOpening.Reason.NO_SALE and opening.actor == manager
    assert opening.note == "float"
    assert opening.print_job.kind == PrintJob.Kind.DRAWER and opening.print_job.open_drawer
    entry = AuditEntry.objects.get(action="devices.drawer.opened")
    assert entry.actor == manager and entry.data["reason"] == "no_sale"
    assert enqueued.ids == [opening.print_job_id]


def test_retry_reprint_and_test_page_buttons(client, manager, failed_receipt, enqueued):
    client.force_login(manager)
    # retry
    response = client.post(reverse("devices:job_retry", args=[failed_receipt.pk]))
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="devices.print_job.retried").count() == 1
    # reprint
    client.post(
        reverse("devices:receipt_reprint", args=[failed_receipt.pk]), {"idempotency_key": "r1"}
    )
    duplicate = PrintJob.objects.get(is_duplicate=True)
    assert duplicate.reprint_of == failed_receipt
    assert duplicate.document["fiscal"]["reprint_count"] == 1
    assert AuditEntry.objects.get(action="devices.receipt.reprinted").actor == manager
    # test page
    client.post(reverse("devices:test_page", args=[failed_receipt.printer_id]))
    assert PrintJob.objects.filter(kind=PrintJob.Kind.TEST).count() == 1
    assert enqueued.ids == [
        failed_receipt.pk,
        failed_receipt.pk,
        duplicate.pk,
        PrintJob.objects.get(kind=PrintJob.Kind.TEST).pk,
    ]
    # a printed job cannot be "retried"
    PrintJob.objects.filter(kind=PrintJob.Kind.TEST).update(
        status="printed", printed_at="2026-01-01T00:00Z"
    )
    test_job = PrintJob.objects.get(kind=PrintJob.Kind.TEST)
    response = client.post(reverse("devices:job_retry", args=[test_job.pk]), follow=True)
    assert "Only a failed print job can be sent again." in response.content.decode()


def test_preview_shows_the_paper_as_text(client, manager, failed_receipt):
    client.force_login(manager)
    response = client.get(reverse("devices:job_preview", args=[failed_receipt.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Crème brûlée" in page and "Ticket T-000123" in page and "€23.80" in page


def test_demo_seed_creates_file_printers_idempotently(db, settings, tmp_path):
    from core import demo as core_demo
    from devices import demo
    from devices.models import CashDrawer, Printer

    settings.VAR_DIR = tmp_path
    context = core_demo.seed()
    demo.seed(context)
    demo.seed(context)
    printers = Printer.objects.filter(property=context["property"]).order_by("code")
    assert [p.code for p in printers] == ["bar", "cuisine"]
    assert all(p.connection == Printer.Connection.FILE for p in printers)
    assert printers[0].file_path == str(tmp_path / "printers" / "bar.escpos")
    assert (tmp_path / "printers").is_dir()
    assert CashDrawer.objects.get().printer == printers[0]
