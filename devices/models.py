"""Printers, the cash drawers attached to them, print jobs and drawer openings.

Other apps point at these rows (a POS terminal or kitchen station has a FK to `Printer`);
devices itself never imports pos, pms or billing."""

import builtins

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Property, TimeStampedModel


class Printer(TimeStampedModel):
    """An ESC/POS printer of a property, reached over USB, serial, the network or a file."""

    class Connection(models.TextChoices):
        USB = "usb", _("USB")
        SERIAL = "serial", _("Serial")
        NETWORK = "network", _("Network")
        FILE = "file", _("File")

    class PaperWidth(models.IntegerChoices):
        MM_58 = 58, _("58 mm (32 characters)")
        MM_80 = 80, _("80 mm (48 characters)")

    class CodePage(models.TextChoices):
        # python-escpos encodes with these names and sends the matching ESC t n of the
        # printer profile (Epson default: CP858 = 19, CP1252 = 16, ISO-8859-15 = 40).
        CP858 = "CP858", _("CP858 (Latin-1 + euro, recommended)")
        CP1252 = "CP1252", _("CP1252 (Windows Latin-1)")
        ISO8859_15 = "ISO_8859-15", _("ISO-8859-15 (Latin-9)")
        CP850 = "CP850", _("CP850 (no euro sign)")

    property = models.ForeignKey(
        Property, on_delete=models.CASCADE, related_name="printers", verbose_name=_("property")
    )
    code = models.SlugField(
        _("code"), max_length=50, help_text=_("Short unique name in this property, e.g. bar.")
    )
    name = models.CharField(_("name"), max_length=100)
    connection = models.CharField(_("connection"), max_length=10, choices=Connection.choices)
    usb_vendor_id = models.PositiveIntegerField(_("USB vendor id"), null=True, blank=True)
    usb_product_id = models.PositiveIntegerField(_("USB product id"), null=True, blank=True)
    serial_device = models.CharField(_("serial device"), max_length=200, blank=True)
    serial_baudrate = models.PositiveIntegerField(_("baud rate"), default=9600)
    host = models.CharField(_("host"), max_length=200, blank=True)
    port = models.PositiveIntegerField(
        _("port"), default=9100, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    file_path = models.CharField(_("file path"), max_length=500, blank=True)
    paper_width = models.PositiveSmallIntegerField(
        _("paper width"), choices=PaperWidth.choices, default=PaperWidth.MM_80
    )
    code_page = models.CharField(
        _("code page"), max_length=20, choices=CodePage.choices, default=CodePage.CP858
    )
    escpos_profile = models.CharField(
        _("printer profile"),
        max_length=50,
        default="default",
        help_text=_("python-escpos capabilities profile, e.g. TM-T88V."),
    )
    check_paper = models.BooleanField(
        _("check paper before printing"),
        default=False,
        help_text=_("Ask the printer for its paper sensor first (the printer must answer)."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["property", "name"]
        verbose_name = _("printer")
        verbose_name_plural = _("printers")
        constraints = [
            models.UniqueConstraint(fields=["property", "code"], name="printer_code_unique"),
            models.CheckConstraint(
                condition=Q(paper_width__in=[58, 80]), name="printer_paper_width_valid"
            ),
            models.CheckConstraint(
                condition=~Q(connection="usb")
                | Q(usb_vendor_id__isnull=False, usb_product_id__isnull=False),
                name="printer_usb_ids_required",
            ),
            models.CheckConstraint(
                condition=~Q(connection="serial") | ~Q(serial_device=""),
                name="printer_serial_device_required",
            ),
            models.CheckConstraint(
                condition=~Q(connection="network") | ~Q(host=""),
                name="printer_host_required",
            ),
            models.CheckConstraint(
                condition=~Q(connection="file") | ~Q(file_path=""),
                name="printer_file_path_required",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @builtins.property
    def columns(self) -> int:
        """Characters per line in font A: 32 on 58 mm paper, 48 on 80 mm paper."""
        return 32 if self.paper_width == self.PaperWidth.MM_58 else 48

    @builtins.property
    def address(self) -> str:
        if self.connection == self.Connection.USB:
            return f"USB {self.usb_vendor_id or 0:04x}:{self.usb_product_id or 0:04x}"
        if self.connection == self.Connection.SERIAL:
            return f"{self.serial_device} @ {self.serial_baudrate}"
        if self.connection == self.Connection.NETWORK:
            return f"{self.host}:{self.port}"
        return self.file_path

    def clean(self) -> None:
        required = {
            self.Connection.USB: ["usb_vendor_id", "usb_product_id"],
            self.Connection.SERIAL: ["serial_device"],
            self.Connection.NETWORK: ["host"],
            self.Connection.FILE: ["file_path"],
        }.get(self.connection, [])
        errors = {
            name: _("Required for this connection.")
            for name in required
            if getattr(self, name) in (None, "")
        }
        if errors:
            raise ValidationError(errors)


class CashDrawer(TimeStampedModel):
    """A cash drawer wired to a printer's drawer-kick connector (opened with ESC p)."""

    class KickPin(models.IntegerChoices):
        PIN_2 = 2, _("Connector pin 2")
        PIN_5 = 5, _("Connector pin 5")

    property = models.ForeignKey(
        Property, on_delete=models.CASCADE, related_name="cash_drawers", verbose_name=_("property")
    )
    printer = models.OneToOneField(
        Printer, on_delete=models.PROTECT, related_name="cash_drawer", verbose_name=_("printer")
    )
    name = models.CharField(_("name"), max_length=100)
    kick_pin = models.PositiveSmallIntegerField(
        _("kick pin"), choices=KickPin.choices, default=KickPin.PIN_2
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["property", "name"]
        verbose_name = _("cash drawer")
        verbose_name_plural = _("cash drawers")
        constraints = [
            models.CheckConstraint(condition=Q(kick_pin__in=[2, 5]), name="drawer_kick_pin_valid")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.printer_id and self.property_id and self.printer.property_id != self.property_id:
            raise ValidationError({"printer": _("The printer belongs to another property.")})


class PrintJob(models.Model):
    """One thing to print, created in the caller's transaction and sent after commit.

    The document is a JSON snapshot, so a retry or a reprint prints exactly what was sold."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("Receipt")
        KITCHEN = "kitchen", _("Kitchen ticket")
        TEST = "test", _("Test page")
        DRAWER = "drawer", _("Drawer opening")
        REPORT = "report", _("Report")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        PRINTED = "printed", _("Printed")
        FAILED = "failed", _("Failed")

    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="print_jobs")
    printer = models.ForeignKey(Printer, on_delete=models.PROTECT, related_name="print_jobs")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    document = models.JSONField(_("document"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    open_drawer = models.BooleanField(_("open drawer"), default=False)
    is_duplicate = models.BooleanField(_("duplicate"), default=False)
    reprint_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reprints"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    printed_at = models.DateTimeField(_("printed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("print job")
        verbose_name_plural = _("print jobs")
        indexes = [
            models.Index(fields=["printer", "-created_at"]),
            models.Index(fields=["status", "updated_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="printed", printed_at__isnull=False)
                | (~Q(status="printed") & Q(printed_at__isnull=True)),
                name="print_job_printed_at_iff_printed",
            ),
            models.CheckConstraint(
                condition=Q(open_drawer=False) | Q(kind__in=["receipt", "drawer"]),
                name="print_job_drawer_only_on_receipt",
            ),
            models.CheckConstraint(
                condition=Q(is_duplicate=False) | Q(kind="receipt", reprint_of__isnull=False),
                name="print_job_duplicate_is_receipt_reprint",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.get_status_display()})"


class DrawerOpening(models.Model):
    """Every time a cash drawer is told to open: for a cash payment or a manager's "no sale"."""

    class Reason(models.TextChoices):
        CASH_PAYMENT = "cash_payment", _("Cash payment")
        NO_SALE = "no_sale", _("No sale")

    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="+")
    drawer = models.ForeignKey(CashDrawer, on_delete=models.PROTECT, related_name="openings")
    print_job = models.OneToOneField(
        PrintJob, on_delete=models.PROTECT, related_name="drawer_opening"
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("drawer opening")
        verbose_name_plural = _("drawer openings")

    def __str__(self) -> str:
        return f"{self.drawer} {self.get_reason_display()} {self.created_at:%Y-%m-%d %H:%M}"


class CardReader(TimeStampedModel):
    """A card payment terminal on the shop's network (Caisse-AP over IP). The server, or a
    relay on the shop's LAN (docs/card-terminals.md), opens the TCP connection to it."""

    class Protocol(models.TextChoices):
        CAISSE_AP_IP = "caisse_ap_ip", _("Caisse-AP over IP")

    property = models.ForeignKey(
        Property, on_delete=models.CASCADE, related_name="card_readers", verbose_name=_("property")
    )
    name = models.CharField(_("name"), max_length=100)
    protocol = models.CharField(
        _("protocol"), max_length=20, choices=Protocol.choices, default=Protocol.CAISSE_AP_IP
    )
    host = models.CharField(_("host"), max_length=255)
    port = models.PositiveIntegerField(
        _("port"), default=8888, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    till_number = models.CharField(_("till number"), max_length=2, default="01")
    # how long the terminal may take (the cardholder types the PIN, tries again…)
    answer_timeout = models.PositiveIntegerField(_("answer time-out (seconds)"), default=180)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["property", "name"]
        verbose_name = _("card terminal")
        verbose_name_plural = _("card terminals")

    def __str__(self) -> str:
        return self.name


class CardTransaction(models.Model):
    """One request to a card terminal for a sale (`reference`: the sale's key), and what it
    answered. Only the masked card number and the authorisation are kept. At most one attempt
    of a sale is in flight, and none is started while an earlier one's outcome is unknown:
    a card is never charged twice for one sale."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Waiting for the card")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")
        ABANDONED = "abandoned", _("Abandoned")
        ERROR = "error", _("Not carried out")
        UNREACHABLE = "unreachable", _("Terminal unreachable")
        UNKNOWN = "unknown", _("No answer: check the terminal")

    IN_FLIGHT = (Status.PENDING, Status.SENT)

    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="+")
    reader = models.ForeignKey(CardReader, on_delete=models.PROTECT, related_name="transactions")
    reference = models.CharField(max_length=100)
    attempt = models.PositiveSmallIntegerField(default=1)
    refund = models.BooleanField(default=False)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="EUR")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    failure_code = models.CharField(max_length=2, blank=True)
    authorisation = models.CharField(max_length=20, blank=True)
    masked_pan = models.CharField(max_length=19, blank=True)
    card_type = models.CharField(max_length=3, blank=True)
    message = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    # the till stopped waiting before the answer came: an approval after that is "late"
    given_up_at = models.DateTimeField(null=True, blank=True)
    late = models.BooleanField(default=False)
    # the payment it became (a sale's key), or empty while unused
    used_for = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["property", "reference", "attempt"], name="card_transaction_attempt"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="card_transaction_amount"),
        ]

    def __str__(self) -> str:
        return f"{self.reference}#{self.attempt} {self.status}"
