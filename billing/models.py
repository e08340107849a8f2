"""Money rows: folios and their lines, POS tickets, payments, VAT lines, number sequences.

Issued tickets, folio lines and payments are append-only: a correction is a new row."""

import builtins
import uuid
from datetime import date

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from core import formatting
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
    # A stay checked out with its balance not settled: transferred to a company's account
    # (city ledger) or left open on a manager's PIN; listed in the open balances until paid.
    left_open_at = models.DateTimeField(_("left open at"), null=True, blank=True)
    left_open_reason = models.CharField(_("reason"), max_length=300, blank=True)
    left_open_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )

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

    # no index of its own: (property, number) and (property, business_date) lead with it
    property = models.ForeignKey(
        Property, on_delete=models.PROTECT, related_name="tickets", db_index=False
    )
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
    # a credit ticket (a refund of some lines) names the ticket it refunds; its lines are
    # negative and each names the line it credits (TicketLine.credits)
    credits = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_tickets"
    )

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
    credits = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_lines"
    )

    class Meta:
        ordering = ["ticket", "pk"]


class VatBreakdown(models.Model):
    """One row per VAT rate of a document: the sums of its lines at that rate."""

    rate = models.DecimalField(max_digits=5, decimal_places=2)
    net = money_field()
    vat = money_field()
    gross = money_field()

    class Meta:
        abstract = True


class TicketVat(VatBreakdown):
    """The VAT breakdown of a ticket (sum of its lines)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="vat_lines")

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
        GIFT_CARD = "gift_card", _("Gift card")
        LOYALTY = "loyalty", _("Loyalty points")
        PROMOTION = "promotion", _("Promotional voucher")
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")
        CHEQUE = "cheque", _("Cheque")
        # French payment titles (REFERENCE §9.2): each its own tender and clearing account
        MEAL_VOUCHER = "meal_voucher", _("Meal voucher (paper)")
        MEAL_VOUCHER_CARD = "meal_voucher_card", _("Meal voucher (card)")
        HOLIDAY_VOUCHER = "holiday_voucher", _("Holiday voucher (ANCV)")

    # no index of its own: (property, business_date, method) leads with it
    property = models.ForeignKey(
        Property, on_delete=models.PROTECT, related_name="payments", db_index=False
    )
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


class JournalHead(models.Model):
    """The tip of one hash chain (per property and chain): locked to append, so sequence
    numbers have no gap and every entry names its predecessor's hash."""

    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="+")
    chain = models.CharField(max_length=10)
    last_sequence = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, blank=True)
    perpetual_total = money_field(default=0)
    perpetual_total_abs = money_field(default=0)
    # The fiscal chain's last closed business day, read under the head's lock by every
    # append: no document lands on a day once its closure has counted it.
    closed_through = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["property", "chain"]
        constraints = [
            models.UniqueConstraint(fields=["property", "chain"], name="journal_head_unique")
        ]


class JournalEntry(models.Model):
    """An append-only, hash-chained fiscal event (NF525 principles, docs/architecture.md).

    chain "fiscal": receipts, invoices, credit notes, payments, voids, duplicates, cash-session
    closes and closures, with perpetual grand totals. chain "jet": the technical-event journal
    (sign-ins, closures, exports, verification failures, fiscal settings changes).
    hash = SHA-256(previous hash + canonical JSON of the entry's fields)."""

    class Chain(models.TextChoices):
        FISCAL = "fiscal", _("Fiscal journal")
        JET = "jet", _("Technical events (JET)")

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("Receipt")
        INVOICE = "invoice", _("Invoice")
        CREDIT_NOTE = "credit_note", _("Credit note")
        PAYMENT = "payment", _("Payment")
        VOID = "void", _("Void")
        DUPLICATE = "duplicate", _("Duplicate")
        CASH_SESSION_CLOSE = "cash_session_close", _("Cash session close")
        CLOSURE = "closure", _("Closure")
        EVENT = "event", _("Technical event")

    # no index of its own: (property, chain, sequence) and (property, chain, business_date)
    # lead with it
    property = models.ForeignKey(
        Property, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    chain = models.CharField(max_length=10, choices=Chain.choices)
    sequence = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    code = models.CharField(max_length=40, blank=True)
    document_type = models.CharField(max_length=40, blank=True)
    document_id = models.CharField(max_length=64, blank=True)
    document_number = models.CharField(max_length=40, blank=True)
    business_date = models.DateField()
    gross = money_field(default=0)
    net = money_field(default=0)
    vat = models.JSONField(default=dict, blank=True)
    perpetual_total = money_field(default=0)
    perpetual_total_abs = money_field(default=0)
    actor = models.CharField(max_length=150, blank=True)
    terminal = models.CharField(max_length=100, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    previous_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    # 1: the entry's own fields only (before document seals); 2: also `document_hash`, the
    # SHA-256 of its document's canonical content (billing.services.seals)
    version = models.PositiveSmallIntegerField(default=1)
    document_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["property", "chain", "sequence"]
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")
        constraints = [
            models.UniqueConstraint(
                fields=["property", "chain", "sequence"], name="journal_sequence_unique"
            )
        ]
        indexes = [models.Index(fields=["property", "chain", "business_date"])]

    def __str__(self) -> str:
        return f"{self.chain}#{self.sequence} {self.kind} {self.document_number}"


class JournalCheckpoint(models.Model):
    """A chain's head (sequence and hash) signed with the installation's Ed25519 key at a
    closure: entries removed from the chain's end up to that point can no longer go unseen,
    since nobody without the private key (kept outside the database) can sign a shorter head.
    Insert-only (PostgreSQL trigger)."""

    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="+")
    chain = models.CharField(max_length=10, choices=JournalEntry.Chain.choices)
    sequence = models.PositiveBigIntegerField()
    hash = models.CharField(max_length=64)
    closure = models.ForeignKey(
        "Closure", on_delete=models.PROTECT, null=True, blank=True, related_name="checkpoints"
    )
    signed_at = models.DateTimeField()
    signature = models.TextField()
    key_fingerprint = models.CharField(max_length=80)

    class Meta:
        ordering = ["property", "chain", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["property", "chain", "sequence"], name="journal_checkpoint_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.chain}#{self.sequence} signed {self.signed_at:%Y-%m-%d}"


class Closure(models.Model):
    """A daily, monthly or yearly closure: the period's totals and the perpetual grand total
    at its end, frozen and journaled (NF525 conservation)."""

    class Period(models.TextChoices):
        DAY = "day", _("Daily")
        MONTH = "month", _("Monthly")
        YEAR = "year", _("Yearly")

    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="closures")
    period = models.CharField(max_length=5, choices=Period.choices)
    start = models.DateField()
    end = models.DateField(help_text=_("exclusive"))
    gross = money_field()
    net = money_field()
    vat = models.JSONField(default=dict)
    entries_count = models.PositiveIntegerField()
    last_sequence = models.PositiveBigIntegerField()
    perpetual_total = money_field()
    perpetual_total_abs = money_field()
    journal_entry = models.OneToOneField(
        JournalEntry, on_delete=models.PROTECT, related_name="closure"
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-start", "period"]
        constraints = [
            models.UniqueConstraint(
                fields=["property", "period", "start"], name="closure_unique_period"
            )
        ]

    def __str__(self) -> str:
        """The period as a person reads it in the active language: "Journalière 02/12/2026",
        "Monthly December 2026", "Annuelle 2026" (never an ISO date)."""
        if self.period == self.Period.DAY:
            when = formatting.day(self.start)
        elif self.period == self.Period.MONTH:
            when = date_format(self.start, "YEAR_MONTH_FORMAT")
        else:
            when = str(self.start.year)
        return f"{self.get_period_display()} {when}"


class Invoice(models.Model):
    """An invoice or a credit note (avoir), numbered without gaps per series, frozen at issue.

    Seller and buyer identities, lines, VAT breakdown and payments are snapshots: the row is
    insert-only (PostgreSQL trigger), a correction is a credit note referencing the original."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        CREDIT_NOTE = "credit_note", _("Credit note")

    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="invoices")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    series = models.CharField(max_length=30)
    sequence = models.PositiveIntegerField()
    number = models.CharField(_("number"), max_length=40)
    folio = models.ForeignKey(Folio, on_delete=models.PROTECT, related_name="invoices")
    original = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_notes"
    )
    company = models.ForeignKey(
        "crm.Company", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    guest = models.ForeignKey(
        "crm.Guest", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    issue_date = models.DateField()
    business_date = models.DateField()
    seller = models.JSONField(default=dict)
    buyer = models.JSONField(default=dict)
    currency = models.CharField(max_length=3, default="EUR")
    total = money_field()
    net = money_field()
    vat_total = money_field()
    tourist_tax = money_field(default=0)
    payments = models.JSONField(default=list, blank=True)
    paid = money_field(default=0)
    balance = money_field(default=0)
    reason = models.CharField(max_length=300, blank=True)
    email = models.EmailField(blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        constraints = [
            models.UniqueConstraint(
                fields=["property", "series", "sequence"], name="invoice_number_unique"
            )
        ]
        indexes = [models.Index(fields=["property", "business_date"])]

    def __str__(self) -> str:
        return self.number

    @builtins.property
    def due_date(self):
        """The day a company's invoice is due (its payment terms after the issue date, frozen
        in the buyer at issue); None for a guest's invoice (paid at the desk)."""
        raw = (self.buyer or {}).get("due_date")
        return date.fromisoformat(raw) if raw else None

    @builtins.property
    def is_e_invoice(self) -> bool:
        """A Factur-X e-invoice (BIL-8): the buyer, as frozen at issue, is a company known by
        its SIREN (or SIRET) or its VAT number. A consumer's invoice is a plain PDF."""
        buyer = self.buyer or {}
        return buyer.get("type") == "company" and any(
            (buyer.get(key) or "").strip() for key in ("siren", "siret", "vat_number")
        )


class InvoiceLine(SaleLineFields):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    folio_line = models.ForeignKey(
        FolioLine, on_delete=models.PROTECT, null=True, blank=True, related_name="invoice_lines"
    )
    service_date = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["invoice", "pk"]


class InvoiceVat(VatBreakdown):
    """The VAT breakdown of an invoice (tourist tax excluded)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="vat_lines")

    class Meta:
        ordering = ["invoice", "-rate"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "rate"], name="invoice_vat_rate_unique")
        ]


class TouristTaxRate(models.Model):
    """Taxe de séjour au réel: the commune's tariff per taxable person and
    night for a classification, from a date, plus the additional departmental / regional
    percentages collected with it. Per property and dated: never a constant."""

    property = models.ForeignKey(
        Property, on_delete=models.CASCADE, related_name="tourist_tax_rates"
    )
    classification = models.CharField(
        _("classification"), max_length=20, choices=Property.Classification.choices
    )
    valid_from = models.DateField(_("valid from"))
    amount = money_field(_("communal tariff per person and night"))
    departmental_pct = models.DecimalField(
        _("departmental additional tax (%)"), max_digits=6, decimal_places=2, default=0
    )
    regional_pct = models.DecimalField(
        _("regional additional taxes (%)"), max_digits=6, decimal_places=2, default=0
    )
    commune = models.CharField(_("commune"), max_length=100, blank=True)
    # Unclassified accommodation (CGCT L2333-30, REFERENCE §4): a percentage (1-5 %) of the
    # night's price excl. VAT per occupant, capped; the communal tariff above is then unused
    percent = models.DecimalField(
        _("percentage of the night's price per person (unclassified)"),
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Unclassified accommodation only: 1 to 5 %."),
    )
    cap = models.DecimalField(
        _("cap per person and night (unclassified)"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_(
            "The lower of the highest tariff the commune adopted and the 4-star tariff, before "
            "the additional taxes."
        ),
    )

    class Meta:
        ordering = ["property", "classification", "-valid_from"]
        verbose_name = _("tourist tax rate")
        verbose_name_plural = _("tourist tax rates")
        constraints = [
            models.UniqueConstraint(
                fields=["property", "classification", "valid_from"],
                name="tourist_tax_rate_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_classification_display()} {self.valid_from}: {self.amount}"


class TouristTaxNight(models.Model):
    """One stay-night's tourist tax as collected: taxable and exempt persons (by reason), the
    rate applied and the amount; the source is the folio line's (idempotent posting)."""

    class Exemption(models.TextChoices):
        MINOR = "minor", _("Minor (under 18)")
        SEASONAL_WORKER = "seasonal_worker", _("Seasonal worker employed locally")
        EMERGENCY_HOUSING = "emergency_housing", _("Emergency or temporary housing")
        LOW_RENT = "low_rent", _("Rent below the council threshold")

    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="+")
    folio = models.ForeignKey(Folio, on_delete=models.PROTECT, related_name="tourist_tax_nights")
    folio_line = models.OneToOneField(
        FolioLine, on_delete=models.PROTECT, null=True, blank=True, related_name="tourist_tax"
    )
    source = models.CharField(max_length=100)
    night = models.DateField()
    taxable_persons = models.PositiveSmallIntegerField()
    exempt = models.JSONField(default=dict, blank=True)
    exempt_persons = models.PositiveSmallIntegerField(default=0)
    rate = money_field()
    amount = money_field()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["night", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["property", "source"], name="tourist_tax_night_unique")
        ]
        indexes = [models.Index(fields=["property", "night"])]


class AccountingAccount(models.Model):
    """A property's override of one account of the chart mapping (billing.services.accounting
    DEFAULT_ACCOUNTS holds the French defaults, docs/accounting.md). Keys: "revenue:<category>",
    "vat:<rate>", "tourist_tax", "customers", "deposits", "payment:<method>"."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="accounts")
    key = models.CharField(_("mapping key"), max_length=40)
    number = models.CharField(
        _("account number"),
        max_length=20,
        validators=[RegexValidator(r"^\d{3}[0-9A-Z]*$", _("An account starts with 3 digits."))],
    )
    label = models.CharField(_("account label"), max_length=100)

    class Meta:
        ordering = ["property", "key"]
        verbose_name = _("accounting account")
        verbose_name_plural = _("accounting accounts")
        constraints = [
            models.UniqueConstraint(fields=["property", "key"], name="accounting_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.key} → {self.number}"


class CashCount(models.Model):
    """What was counted for a payment method at the end of a business day (cash in the till,
    card terminal batch total…). Insert-only: a recount is a new row, the latest one counts."""

    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="cash_counts")
    business_date = models.DateField()
    method = models.CharField(max_length=20, choices=Payment.Method.choices)
    counted = money_field(_("counted"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    counted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["business_date", "method", "-created_at", "-pk"]
        indexes = [models.Index(fields=["property", "business_date"])]


class ExportJob(models.Model):
    """An export asked for from the accountant's screen, run by a Celery worker: the row holds
    its progress (lines written / estimated total) and, once done, the stored file's name."""

    class Kind(models.TextChoices):
        FEC = "fec", _("FEC")
        CSV = "csv", _("CSV of document lines")
        ARCHIVE = "archive", _("Signed archive")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a worker")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="export_jobs")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    start = models.DateField()
    end = models.DateField(help_text=_("exclusive"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    message = models.CharField(max_length=300, blank=True)
    lines_done = models.PositiveBigIntegerField(default=0)
    lines_total = models.PositiveBigIntegerField(default=0)
    filename = models.CharField(max_length=200, blank=True)
    storage_name = models.CharField(max_length=300, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")
        indexes = [models.Index(fields=["property", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.start}–{self.end} ({self.status})"

    @builtins.property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.lines_total:
            return 0
        return min(99, int(100 * self.lines_done / self.lines_total))

    @builtins.property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
