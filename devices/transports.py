"""Sending bytes to a real printer through python-escpos' connection classes.

Every failure a printer can have (off, unplugged, refusing connections, timing out, out of
paper, a USB stack that is missing) becomes one `PrinterUnavailable`, so the worker marks the
job failed and retries it. Timeouts are short: a dead printer never holds a worker for long.
"""

from __future__ import annotations

import serial
from escpos import printer as escpos_printer
from escpos.escpos import Escpos
from escpos.exceptions import DeviceNotFoundError
from escpos.exceptions import Error as EscposError

from devices.exceptions import PrinterUnavailable
from devices.models import Printer

try:  # pyusb is a dependency, but a host may lack the libusb backend it drives
    import usb.core as usb_core

    USB_ERRORS: tuple[type[BaseException], ...] = (usb_core.USBError, usb_core.NoBackendError)
except ImportError:  # pragma: no cover - pyusb is in requirements.lock
    USB_ERRORS = ()

# Seconds; the brief of the POS: a printer never slows a sale, and a worker never hangs.
CONNECT_TIMEOUT = 3.0
USB_TIMEOUT_MS = 3000

TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    DeviceNotFoundError,
    EscposError,
    OSError,  # includes socket.timeout / TimeoutError, ConnectionRefusedError, BrokenPipeError
    serial.SerialException,  # includes SerialTimeoutException
    *USB_ERRORS,
)


def connection_for(printer: Printer) -> Escpos:
    """A python-escpos printer object for `printer` (not yet connected: 3.x opens lazily)."""
    kwargs = {"profile": printer.escpos_profile}
    if printer.connection == Printer.Connection.NETWORK:
        return escpos_printer.Network(
            host=printer.host, port=printer.port, timeout=CONNECT_TIMEOUT, **kwargs
        )
    if printer.connection == Printer.Connection.SERIAL:
        return escpos_printer.Serial(
            devfile=printer.serial_device,
            baudrate=printer.serial_baudrate,
            timeout=CONNECT_TIMEOUT,
            dsrdtr=False,
            **kwargs,
        )
    if printer.connection == Printer.Connection.USB:
        return escpos_printer.Usb(
            idVendor=printer.usb_vendor_id,
            idProduct=printer.usb_product_id,
            timeout=USB_TIMEOUT_MS,
            **kwargs,
        )
    if printer.connection == Printer.Connection.FILE:
        return escpos_printer.File(devfile=printer.file_path, **kwargs)
    raise PrinterUnavailable(f"Unknown connection {printer.connection!r}")


def _open(device: Escpos, printer: Printer) -> None:
    if printer.connection == Printer.Connection.USB and not escpos_printer.Usb.is_usable():
        raise PrinterUnavailable("USB support (pyusb) is not installed")
    device.open(raise_not_found=True)
    if printer.connection == Printer.Connection.SERIAL:
        # python-escpos only sets the read timeout; a printer holding CTS/XOFF would block
        # writes forever without this one.
        device.device.write_timeout = CONNECT_TIMEOUT


def _check_paper(device: Escpos) -> None:
    status = device.query_status(b"\x10\x04\x04")  # DLE EOT 4: paper roll sensor
    if not status:
        raise PrinterUnavailable("The printer did not answer the paper status request")
    if status[0] & 0x60 == 0x60:
        raise PrinterUnavailable("Out of paper")


def send_bytes(printer: Printer, data: bytes) -> None:
    """Open the printer's connection, write `data`, close. Raises PrinterUnavailable."""
    device = connection_for(printer)
    try:
        _open(device, printer)
        if printer.check_paper:
            _check_paper(device)
        device._raw(data)
        if printer.connection == Printer.Connection.SERIAL:
            device.device.flush()
    except PrinterUnavailable:
        raise
    except TimeoutError as exc:
        raise PrinterUnavailable(f"{printer.address}: timed out ({exc})") from exc
    except TRANSPORT_ERRORS as exc:
        raise PrinterUnavailable(f"{printer.address}: {exc}".strip()) from exc
    finally:
        try:
            device.close()
        except TRANSPORT_ERRORS:
            pass
