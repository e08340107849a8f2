"""Money rows: folios and their lines, POS tickets, payments, VAT lines, number sequences.

Issued tickets, folio lines and payments are append-only: a correction is a new row."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Property, TimeStampedModel
from core.money import money_field
from inventory.models import RevenueCategory


class NumberSequence(models.Model):
    """Gap-free numbering: the row is locked and incremented inside the issuing transaction."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="sequences")
    series = models.CharField(max_length=30)
    next_value = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["property", "series"]
        constraints = [
            models.UniqueConstraint(fields=["property", "series"], name="sequence_series_unique")
        ]

    def __str__(self) -> str:
        return f"{self.series}: {self.next_value}"


class Folio(TimeStampedModel):
    """The running account of a stay (or of a company paying part of it)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        SETTLED = "settled", _("Settled")

    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="folios")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    holder_name = models.CharField(_("holder"), max_length=200)
    guest = models.ForeignKey(
        "crm.Guest", on_delete=models.PROTECT, null=True, blank=True, related_name="folios"
    )
    company = models.ForeignKey(
        "crm.Company", on_delete=models.PROTECT, null=True, blank=True, related_name="folios"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    currency = models.CharField(max_length=3, default="EUR")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("folio")
        verbose_name_plural = _("folios")
        indexes = [models.Index(fields=["property", "status"])]

    def __str__(self) -> str:
        return f"{self.holder_name} ({self.pk})"


class SaleLineFields(models.Model):
    """What every sold line carries, locked at sale time (BIL-3)."""

    description = models.CharField(max_length=300)
    product = models.ForeignKey(
        "inventory.Product", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    quantity = models.DecimalField(max_digits=10, decimal_places=3)
    unit_price = money_field()
    total = money_field()
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2)
    vat_amount = money_field()
    net = money_field()
    revenue_category = models.CharField(max_length=20, choices=RevenueCategory.choices)
    applied_rule = models.CharField(max_length=200, blank=True)

    class Meta:
        abstract = True


class FolioLine(SaleLineFields):
    """A charge on a folio: a room night, an extra, a POS charge-to-room line."""

    folio = models.ForeignKey(Folio, on_delete=models.PROTECT, related_name="lines")
    business_date = models.DateField()
    service_date = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=100, blank=True, db_index=True)
    reverses = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversals"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    terminal = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["service_date", "pk"]
        indexes = [models.Index(fields=["folio", "business_date"])]
        constraints = [
            # a night, a POS line or an extra is posted once, whatever retries happen
            models.UniqueConstraint(
                fields=["folio", "source"], condition=~Q(source=""), name="folio_line_source_unique"
            ),
        ]


class Ticket(TimeStampedModel):
    """A POS sale document, numbered without gaps per property, immutable once issued."""

    class Status(models.TextChoices):
        PAID = "paid", _("Paid")
        CHARGED_TO_ROOM = "charged_to_room", _("Charged to room")

    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="tickets")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.PositiveIntegerField()
    business_date = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices)
    outlet = models.CharField(max_length=100)
    terminal = models.CharField(max_length=100)
    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    folio = models.ForeignKey(
        Folio, on_delete=models.PROTECT, null=True, blank=True, related_name="tickets"
    )
    guest = models.ForeignKey(
        "crm.Guest", on_delete=models.PROTECT, null=True, blank=True, related_name="tickets"
    )
    total = money_field()
    total_vat = money_field()
    tip = money_field(default=0)
    currency = models.CharField(max_length=3, default="EUR")

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["property", "number"], name="ticket_number_unique")
        ]
        indexes = [models.Index(fields=["property", "business_date"])]

    def __str__(self) -> str:
        return f"T{self.number:06d}"


class TicketLine(SaleLineFields):
    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="lines")
    variant = models.ForeignKey(
        "inventory.Variant", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    modifiers = models.JSONField(default=list, blank=True)
    discount = money_field(default=0)
    service_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["ticket", "pk"]


class TicketVat(models.Model):
    """The VAT breakdown of a ticket, one row per rate (sum of its lines)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="vat_lines")
    rate = models.DecimalField(max_digits=5, decimal_places=2)
    net = money_field()
    vat = money_field()
    gross = money_field()

    class Meta:
        ordering = ["ticket", "-rate"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "rate"], name="ticket_vat_rate_unique")
        ]


class Payment(models.Model):
    """Money received (or refunded, negative) against a ticket or a folio. No card data:
    only the payment terminal's reference."""

    class Method(models.TextChoices):
        CASH = "cash", _("Cash")
        CARD = "card", _("Card")
        WALLET = "wallet", _("Wallet")
        VOUCHER = "voucher", _("Voucher")
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")

    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(max_length=20, choices=Method.choices)
    amount = money_field()
    tendered = money_field(null=True, blank=True)
    change = money_field(default=0)
    terminal_reference = models.CharField(max_length=100, blank=True)
    ticket = models.ForeignKey(
        Ticket, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    folio = models.ForeignKey(
        Folio, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    business_date = models.DateField()
    terminal = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ticket__isnull=False) | Q(folio__isnull=False),
                name="payment_has_document",
            ),
            models.CheckConstraint(condition=~Q(amount=0), name="payment_not_zero"),
        ]
        indexes = [models.Index(fields=["property", "business_date", "method"])]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.amount}"
