"""A sale prints its receipt only on request and kicks the drawer on cash, after commit, on the
terminal's printer; the bytes reach a real TCP printer on 127.0.0.1."""

from decimal import Decimal

import pytest

from billing.services.payments import TenderInput
from devices.documents import document_from_json
from devices.models import CashDrawer, DrawerOpening, Printer, PrintJob
from devices.rendering import render_text
from devices.services import print_job_send
from pos.services.checkout import order_checkout
from tests.pos.helpers import line

pytestmark = pytest.mark.django_db


@pytest.fixture
def printer(hotel, terminal):
    printer = Printer.objects.create(
        property=hotel, code="bar", name="Bar", connection="file", file_path="/dev/null"
    )
    CashDrawer.objects.create(property=hotel, printer=printer, name="Tiroir bar")
    terminal.printer = printer
    terminal.save()
    return printer


def sell(hotel, terminal, cashier, product, method="cash", print_receipt=False):
    return order_checkout(
        property=hotel,
        terminal=terminal,
        actor=cashier,
        lines=[line(product("spritz"), "2")],
        tenders=[
            TenderInput(
                method=method,
                amount=Decimal("22.00"),
                terminal_reference="TPE-1" if method == "card" else "",
                tendered=Decimal("30.00") if method == "cash" else None,
            )
        ],
        print_receipt=print_receipt,
    )


def test_cash_sale_without_receipt_only_opens_the_drawer(
    hotel, catalog, product, terminal, cashier, printer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        sell(hotel, terminal, cashier, product)
    job = PrintJob.objects.get()
    assert (job.kind, job.open_drawer) == ("drawer", True)
    assert DrawerOpening.objects.get().reason == "cash_payment"
    assert len(callbacks) >= 1  # the send task is enqueued after commit, not before


def test_card_sale_with_receipt_prints_without_drawer(
    hotel, catalog, product, terminal, cashier, printer
):
    order = sell(hotel, terminal, cashier, product, method="card", print_receipt=True)
    job = PrintJob.objects.get()
    assert (job.kind, job.open_drawer) == ("receipt", False)
    assert not DrawerOpening.objects.exists()
    text = render_text(document_from_json(job.kind, job.document), columns=48)
    assert str(order.ticket) in text
    assert "Spritz" in text
    assert hotel.siret in text
    assert "20" in text and "22" in text  # the VAT rate and the total


def test_cash_receipt_is_sent_to_the_printer(
    hotel, catalog, product, terminal, cashier, printer, tmp_path
):
    Printer.objects.filter(pk=printer.pk).update(file_path=str(tmp_path / "bar.bin"))
    terminal.refresh_from_db()
    sell(hotel, terminal, cashier, product, print_receipt=True)
    job = PrintJob.objects.get()
    print_job_send(print_job_id=job.pk)
    data = (tmp_path / "bar.bin").read_bytes()
    assert data.startswith(b"\x1b@")
    assert b"\x1bp" in data  # drawer pulse on the cash receipt
    job.refresh_from_db()
    assert job.status == "printed"


def test_no_printer_no_job(hotel, catalog, product, terminal, cashier):
    sell(hotel, terminal, cashier, product, print_receipt=True)
    assert not PrintJob.objects.exists()
