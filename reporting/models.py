"""Reporting owns no business data: only the managers' alerts (what was noticed, who
acknowledged it) and the thresholds that decide them."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Property


class AlertSettings(models.Model):
    """A property's alert thresholds (defaults when it has no row)."""

    property = models.OneToOneField(
        Property, on_delete=models.CASCADE, related_name="alert_settings"
    )
    basket_k = models.DecimalField(
        _("unusual basket: k"),
        max_digits=4,
        decimal_places=1,
        default=Decimal("3.5"),
        validators=[MinValueValidator(Decimal("1.0"))],
        help_text=_(
            "A ticket is unusual when it is more than k × MAD (scaled by 1.4826) away from the "
            "median of its outlet's last 30 days."
        ),
    )
    rate_factor = models.DecimalField(
        _("discount and void rate: factor over the team"),
        max_digits=4,
        decimal_places=1,
        default=Decimal("2.0"),
        validators=[MinValueValidator(Decimal("1.0"))],
    )
    cash_threshold = models.DecimalField(
        _("cash difference threshold"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("10.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )

    class Meta:
        verbose_name = _("alert settings")
        verbose_name_plural = _("alert settings")


class Alert(models.Model):
    """Something a manager should look at. One unresolved alert per cause: `cause` names it
    (a stock pool, a ticket, a drawer, a feed…), and a second detection of the same cause
    finds the first alert instead of adding one."""

    class Kind(models.TextChoices):
        LOW_STOCK = "low_stock", _("Low stock")
        UNUSUAL_BASKET = "basket", _("Unusual basket")
        DISCOUNT_RATE = "discounts", _("Discount rate")
        VOID_RATE = "voids", _("Void rate")
        CASH_DIFFERENCE = "cash", _("Cash difference")
        ICAL_FEED = "ical", _("iCal feed")
        PRINT_FAILED = "print", _("Print job failed")
        JOURNAL = "journal", _("Journal verification")
        NIGHT_AUDIT = "night_audit", _("Night audit not run")
        OFFLINE_CONFLICT = "offline", _("Offline sale conflict")
        OFFLINE_VOID = "offline_void", _("Offline void refused")
        CLOCK_OUT = "clock_out", _("Forgotten clock-out")

    # kinds whose cause can go away by itself (stock received, feed working again, the shift
    # closed): resolved when no longer detected. The others are events: they stay until
    # acknowledged.
    STATE_KINDS = frozenset({"low_stock", "ical", "print", "journal", "night_audit", "clock_out"})

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    cause = models.CharField(max_length=200)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    digested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["property", "cause"],
                condition=Q(resolved_at__isnull=True),
                name="alert_one_unresolved_per_cause",
            )
        ]
        indexes = [
            # the inbox: a property's unresolved alerts, newest first
            models.Index(
                fields=["property", "-created_at"],
                condition=Q(resolved_at__isnull=True),
                name="alert_inbox",
            ),
        ]


class SalesFact(models.Model):
    """Derived, rebuildable: one business day's ticket lines (voided tickets left out, tourist
    tax too) summed per outlet, terminal, cashier, revenue category and local hour. Rebuilt
    from the documents by `reporting.facts`; never edited by hand."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    outlet = models.CharField(max_length=100)
    terminal = models.CharField(max_length=100)
    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+"
    )
    category = models.CharField(max_length=20)
    hour = models.PositiveSmallIntegerField()
    net = models.DecimalField(max_digits=14, decimal_places=2)
    discount = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        indexes = [models.Index(fields=["property", "day"])]


class ProductFact(models.Model):
    """Derived, rebuildable: a day's net and quantity per product description."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    description = models.CharField(max_length=300)
    net = models.DecimalField(max_digits=14, decimal_places=2)
    quantity = models.DecimalField(max_digits=14, decimal_places=3)

    class Meta:
        indexes = [models.Index(fields=["property", "day"])]


class BasketFact(models.Model):
    """Derived, rebuildable: a day's tickets (baskets) and their net per outlet, status (paid
    or charged to a room) and the kind of the order's outlet, with the orders' covers."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    outlet = models.CharField(max_length=100)
    status = models.CharField(max_length=20)
    outlet_kind = models.CharField(max_length=12, blank=True)
    tickets = models.PositiveIntegerField()
    net = models.DecimalField(max_digits=14, decimal_places=2)
    covers = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["property", "day"])]


class FactsWatermark(models.Model):
    """How far a property's facts are up to date: documents written before `refreshed_at`
    (less a safety margin for transactions still open then) are in the facts."""

    property = models.OneToOneField(Property, on_delete=models.CASCADE, related_name="+")
    refreshed_at = models.DateTimeField()


class RoomFact(models.Model):
    """Derived, rebuildable: a night's posted room nights and their net per booking channel
    (accommodation folio lines by service date)."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    channel = models.CharField(max_length=20, blank=True)
    nights = models.DecimalField(max_digits=14, decimal_places=3)
    revenue = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        indexes = [models.Index(fields=["property", "day"])]


class StayFact(models.Model):
    """Derived, rebuildable: one checked-out stay, on its departure day — its nights, whether
    it bought an extra or used the spa, and the local minute of its check-out (ALOS, upsell
    rate, spa conversion, check-out time without reading folio lines and orders)."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    nights = models.PositiveIntegerField()
    has_extra = models.BooleanField()
    has_spa = models.BooleanField()
    checkout_minutes = models.PositiveIntegerField(null=True)

    class Meta:
        indexes = [models.Index(fields=["property", "day"])]


class DepartureFact(models.Model):
    """Derived, rebuildable: the folio net of the stays that departed on a day, per revenue
    category (spend per stay by department; tourist tax left out)."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    category = models.CharField(max_length=20)
    net = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        indexes = [models.Index(fields=["property", "day"])]


class FolioFact(models.Model):
    """Derived, rebuildable: a business day's folio revenue outside the tickets (POS lines
    charged to a room and the tourist tax left out), with, per folio, what the booking engine
    sold as extras (`folio` set only on those rows, so stays can be counted over a range)."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    folio_id = models.BigIntegerField(null=True)
    net = models.DecimalField(max_digits=14, decimal_places=2)
    engine_net = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        indexes = [models.Index(fields=["property", "day"])]


class Budget(models.Model):
    """A month's targets entered by the manager (admin), compared on the dashboard: spread over
    the period's days in proportion (a month's budget × days of it in the period ÷ its days)."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    room_revenue = models.DecimalField(
        _("room revenue HT"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    total_revenue = models.DecimalField(
        _("total revenue HT"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    occupancy = models.DecimalField(
        _("occupancy (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )

    class Meta:
        ordering = ["property", "month"]
        verbose_name = _("budget")
        verbose_name_plural = _("budgets")
        constraints = [
            models.UniqueConstraint(fields=["property", "month"], name="budget_month_unique"),
            models.CheckConstraint(condition=Q(month__day=1), name="budget_first_of_month"),
        ]
