"""Real transports without hardware: a TCP listener, a pseudo-terminal, a file, no USB."""

import os
import select
import socket
import time

import pytest

from devices.exceptions import PrinterUnavailable
from devices.models import Printer, PrintJob
from devices.services import print_job_enqueue, print_job_send
from tests.devices.conftest import TcpListener
from tests.factories.devices import PrinterFactory, make_kitchen_ticket, make_receipt

pytestmark = pytest.mark.django_db


def _enqueue(printer, key="sale-1", document=None, kind="receipt", **kw):
    return print_job_enqueue(
        printer=printer,
        kind=kind,
        document=document or make_receipt(),
        idempotency_key=key,
        **kw,
    )


def test_network_printer_receives_the_receipt(network_printer, listener, enqueued):
    # given
    job = _enqueue(network_printer)
    # when
    job = print_job_send(print_job_id=job.pk)
    listener.wait_for(1)
    # then
    assert job.status == PrintJob.Status.PRINTED and job.printed_at is not None
    assert job.attempts == 1 and job.last_error == ""
    data = listener.received
    assert data.startswith(b"\x1b@\x1bt\x13")
    assert "Crème brûlée".encode("cp858") in data and b"Caf\x82" in data
    assert b"\x1bE\x01" in data and b"\x1d(k" in data and data.endswith(b"\x1dV\x00")
    assert b"\x1bp" not in data


def test_serial_printer_through_a_pseudo_terminal(hotel, pty_pair, enqueued):
    # given
    master, slave_name = pty_pair
    printer = PrinterFactory(
        property=hotel,
        connection=Printer.Connection.SERIAL,
        host="",
        serial_device=slave_name,
        serial_baudrate=19200,
        paper_width=Printer.PaperWidth.MM_58,
    )
    job = _enqueue(printer, kind="kitchen", document=make_kitchen_ticket())
    # when
    job = print_job_send(print_job_id=job.pk)
    received = b""
    while select.select([master], [], [], 0.5)[0]:
        received += os.read(master, 65536)
    # then
    assert job.status == PrintJob.Status.PRINTED
    assert received.startswith(b"\x1b@\x1bt\x13")
    assert b"\x1b!\x30\x1bE\x012 x Cr\x8ame br\x96l\x82e\n" in received  # large type
    assert received.endswith(b"\x1dV\x00")


def test_file_printer_writes_the_bytes(hotel, tmp_path, enqueued):
    path = tmp_path / "bar.bin"
    printer = PrinterFactory(
        property=hotel, connection=Printer.Connection.FILE, host="", file_path=str(path)
    )
    job = print_job_send(print_job_id=_enqueue(printer).pk)
    assert job.status == PrintJob.Status.PRINTED
    assert path.read_bytes().startswith(b"\x1b@") and b"Caf\x82" in path.read_bytes()


def test_missing_usb_printer_fails_cleanly(hotel, enqueued):
    # given: a USB printer that is not plugged in (no device, no libusb on this machine)
    printer = PrinterFactory(
        property=hotel,
        connection=Printer.Connection.USB,
        host="",
        usb_vendor_id=0x04B8,
        usb_product_id=0x0E15,
    )
    job = _enqueue(printer)
    # when
    with pytest.raises(PrinterUnavailable) as excinfo:
        print_job_send(print_job_id=job.pk)
    # then
    job.refresh_from_db()
    assert job.status == PrintJob.Status.FAILED and job.attempts == 1
    assert job.last_error.startswith("USB 04b8:0e15:")
    assert str(excinfo.value) == job.last_error


def test_refused_connection_marks_the_job_failed(hotel, free_port, enqueued):
    printer = PrinterFactory(property=hotel, port=free_port)
    job = _enqueue(printer)
    with pytest.raises(PrinterUnavailable):
        print_job_send(print_job_id=job.pk)
    job.refresh_from_db()
    assert job.status == PrintJob.Status.FAILED
    assert "Connection refused" in job.last_error


def test_printer_that_never_answers_times_out_in_3_seconds(hotel, enqueued):
    # given: a listener whose accept queue is full, so a new connection hangs
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    filler = socket.create_connection(("127.0.0.1", port))
    printer = PrinterFactory(property=hotel, port=port)
    job = _enqueue(printer)
    try:
        # when
        started = time.monotonic()
        with pytest.raises(PrinterUnavailable):
            print_job_send(print_job_id=job.pk)
        elapsed = time.monotonic() - started
    finally:
        filler.close()
        server.close()
    # then
    assert 2.5 < elapsed < 4.5
    job.refresh_from_db()
    assert job.status == PrintJob.Status.FAILED and "timed out" in job.last_error


@pytest.mark.parametrize(
    ("status_byte", "expected"),
    [(b"\x12", PrintJob.Status.PRINTED), (b"\x72", PrintJob.Status.FAILED)],
)
def test_paper_sensor_is_asked_first_when_configured(hotel, status_byte, expected, enqueued):
    # given: a printer answering DLE EOT 4 with "paper present" (0x12) or "paper end" (0x72)
    server = TcpListener(reply=status_byte)
    printer = PrinterFactory(property=hotel, port=server.port, check_paper=True)
    job = _enqueue(printer)
    try:
        # when
        try:
            print_job_send(print_job_id=job.pk)
        except PrinterUnavailable:
            pass
        server.wait_for(1)
    finally:
        server.close()
    # then
    job.refresh_from_db()
    assert job.status == expected
    assert server.received.startswith(b"\x10\x04\x04")
    if expected == PrintJob.Status.FAILED:
        assert job.last_error == "Out of paper"
        assert b"\x1b@" not in server.received
    else:
        assert b"Caf\x82" in server.received
