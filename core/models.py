"""The shared kernel: who owns what (organisation, property) and who may do what (staff roles)."""

import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.validators import embed_origins, validate_embed_origins


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Organization(TimeStampedModel):
    """A company running one or more properties; guests belong to it (CRM-1)."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


def validate_timezone(value: str) -> None:
    try:
        ZoneInfo(value)
    except Exception:
        raise ValidationError(_("Unknown time zone: %(tz)s"), params={"tz": value})


def default_meal_voucher_categories() -> list[str]:
    return ["food"]


class PaperTitleExcess(models.TextChoices):
    """What the till does when paper titres-restaurant or chèques-vacances are worth more
    than what is due: no change is ever given on them (REFERENCE §9.2)."""

    REFUSE = "refuse", _("Refuse the excess")
    TIP = "tip", _("Keep the excess as a tip")


class Property(TimeStampedModel):
    """A hotel, campsite or gîte: the tenant every business row belongs to."""

    class Classification(models.TextChoices):
        # Tourist-tax categories (taxe de séjour: the tariff depends on the classification).
        UNCLASSIFIED = "unclassified", _("Unclassified")
        STARS_1 = "1", _("1 star")
        STARS_2 = "2", _("2 stars")
        STARS_3 = "3", _("3 stars")
        STARS_4 = "4", _("4 stars")
        STARS_5 = "5", _("5 stars")
        PALACE = "palace", _("Palace")
        CAMPSITE_1_2 = "camping_1_2", _("Campsite 1–2 stars")
        CAMPSITE_3_5 = "camping_3_5", _("Campsite 3–5 stars")

    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="properties",
        verbose_name=_("organisation"),
    )
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), unique=True)
    legal_name = models.CharField(_("legal name"), max_length=200)
    siret = models.CharField(
        _("SIRET"),
        max_length=14,
        blank=True,
        validators=[RegexValidator(r"^\d{14}$", _("A SIRET has 14 digits."))],
    )
    vat_number = models.CharField(_("VAT number"), max_length=20, blank=True)
    address_line = models.CharField(_("address"), max_length=255, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="FR")
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    timezone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Paris", validators=[validate_timezone]
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    classification = models.CharField(
        _("classification"),
        max_length=20,
        choices=Classification.choices,
        default=Classification.UNCLASSIFIED,
    )
    business_day_roll_hour = models.PositiveSmallIntegerField(
        _("business day roll hour"),
        default=4,
        validators=[MinValueValidator(0), MaxValueValidator(23)],
        help_text=_("Sales before this local hour belong to the previous business day."),
    )
    default_language = models.CharField(
        _("default language"), max_length=5, choices=settings.LANGUAGES, default="fr"
    )
    # The websites that may show the public booking engine in a frame (CSP frame-ancestors):
    # empty, only the engine's own pages may; staff screens can never be framed.
    booking_frame_ancestors = models.TextField(
        _("websites that may embed the booking engine"),
        blank=True,
        default="",
        validators=[validate_embed_origins],
        help_text=_(
            "One address per line, such as https://www.hotel-les-pins.fr (https://*.example.com "
            "for every subdomain). Empty: the booking engine cannot be shown on another website."
        ),
    )
    # The stay's hours, on the property's clock: shown in the booking engine, the confirmation
    # e-mail and the guest's pre-arrival page; a "before arrival" deadline counts from check-in.
    check_in_time = models.TimeField(
        _("check-in from"), default=time(15), help_text=_("The hour the rooms are ready.")
    )
    check_out_time = models.TimeField(
        _("check-out by"), default=time(11), help_text=_("The hour the rooms are left.")
    )
    # Printed at the foot of every invoice issued from now on (frozen in its seller snapshot)
    invoice_footer = models.TextField(
        _("invoice footer"),
        blank=True,
        default="",
        max_length=1000,
        help_text=_(
            "Legal mentions printed at the foot of every invoice: legal form and share "
            "capital, RCS city, insurance, bank details…"
        ),
    )
    # Written by billing's daily closure only: a closed day takes no more documents, so
    # business_date() never answers a day on or before this one.
    closed_through = models.DateField(
        _("closed through"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("The last business day closed: later documents take the next day."),
    )
    # French payment titles (REFERENCE §9.2): the till's rules for titres-restaurant
    meal_voucher_daily_cap = models.DecimalField(
        _("titres-restaurant: cap per sale"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("25.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("At most this much is paid with titres-restaurant per day and holder."),
    )
    meal_voucher_categories = models.JSONField(
        _("titres-restaurant: eligible revenue categories"),
        default=default_meal_voucher_categories,
        blank=True,
        help_text=_("Revenue categories a titre-restaurant may pay for (food only by law)."),
    )
    paper_title_excess = models.CharField(
        _("paper titles worth more than due"),
        max_length=10,
        choices=PaperTitleExcess.choices,
        default=PaperTitleExcess.REFUSE,
        help_text=_("No change is given on paper titles: refuse the excess or keep it as a tip."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("property")
        verbose_name_plural = _("properties")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(business_day_roll_hour__gte=0, business_day_roll_hour__lte=23),
                name="property_roll_hour_range",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def business_date_at(self, moment: datetime) -> date:
        """The business day a moment belongs to: a 01:30 bar sale counts for yesterday."""
        local = timezone.localtime(moment, self.tz)
        return (local - timedelta(hours=self.business_day_roll_hour)).date()

    def business_date(self) -> date:
        """Today's business date for a new document: the clock's (business_date_at), or the
        day after the last closed day when the evening's closure has already ended today."""
        today = self.business_date_at(timezone.now())
        if self.closed_through is not None and today <= self.closed_through:
            return self.closed_through + timedelta(days=1)
        return today

    def clock_business_date(self) -> date:
        """The business date of the clock alone, whatever has been closed."""
        return self.business_date_at(timezone.now())

    def local_now(self) -> datetime:
        return timezone.localtime(timezone.now(), self.tz)

    def booking_embed_origins(self) -> list[str]:
        """The origins allowed to frame this property's booking engine (checked on save)."""
        try:
            return embed_origins(self.booking_frame_ancestors)
        except ValidationError:
            return []  # a value written around the validator frames nothing


class Role(models.TextChoices):
    WAITER = "waiter", _("Waiter")
    BARTENDER = "bartender", _("Bartender")
    CASHIER = "cashier", _("Cashier")
    FRONT_DESK = "front_desk", _("Front desk")
    HOUSEKEEPING = "housekeeping", _("Housekeeping")
    MANAGER = "manager", _("Manager")
    ACCOUNTANT = "accountant", _("Accountant")
    ADMIN = "admin", _("Administrator")


class Membership(TimeStampedModel):
    """A staff member's role at one property; a person may work at several."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    # POS-1: the outlets (pos.Outlet ids) where this person may sell; empty: every outlet
    outlet_ids = models.JSONField(_("outlets"), default=list, blank=True)
    # the largest discount (percent) this person gives without a manager's PIN; empty: the
    # role's (core.roles.DISCOUNT_LIMITS)
    discount_limit = models.PositiveSmallIntegerField(
        _("discount limit (%)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
    )

    class Meta:
        ordering = ["property__name", "user__username"]
        verbose_name = _("staff membership")
        verbose_name_plural = _("staff memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "property"], name="membership_one_role"),
        ]
        indexes = [models.Index(fields=["property", "role"])]

    def __str__(self) -> str:
        return f"{self.user} @ {self.property} ({self.get_role_display()})"

    @classmethod
    def from_db(cls, db, field_names, values):
        # the property it was loaded with: a membership moved to another property must
        # also leave the cached lists of the first one (core.api_auth)
        instance = super().from_db(db, field_names, values)
        instance._loaded_property_id = instance.__dict__.get("property_id")
        return instance


class StaffProfile(TimeStampedModel):
    """Per-person settings: the quick-switch PIN (hashed like a password) and language."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    pin_hash = models.CharField(max_length=128, blank=True)
    language = models.CharField(_("language"), max_length=5, choices=settings.LANGUAGES, blank=True)
    # where a manager working at several properties lands after signing in again
    last_property = models.ForeignKey(
        Property, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["user__username"]

    def __str__(self) -> str:
        return str(self.user)

    def set_pin(self, pin: str) -> None:
        self.pin_hash = make_password(pin)

    def check_pin(self, pin: str) -> bool:
        return bool(self.pin_hash) and check_password(pin, self.pin_hash)

    @property
    def has_pin(self) -> bool:
        return bool(self.pin_hash)


class AuditEntry(models.Model):
    """Who did what, where and when: written in the same transaction as the change (PLT-1)."""

    # property: no index of its own, (property, created_at) leads with it; action: a plain
    # index below (db_index on PostgreSQL adds a second one, for LIKE, which no screen asks):
    # a sale writes one or two entries, each index is one more insertion
    property = models.ForeignKey(
        Property,
        on_delete=models.PROTECT,
        related_name="audit_entries",
        null=True,
        db_index=False,
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(max_length=100)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    terminal = models.CharField(max_length=100, blank=True)
    channel = models.CharField(max_length=20, blank=True)
    business_date = models.DateField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [
            models.Index(fields=["property", "created_at"]),
            models.Index(fields=["target_type", "target_id"]),
            models.Index(fields=["action"], name="audit_entry_action"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"


class IdempotencyRecord(models.Model):
    """The first result of a retried write, so a replay returns it and creates nothing."""

    scope = models.CharField(max_length=100)
    key = models.CharField(max_length=200)
    request_fingerprint = models.CharField(max_length=64, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True)
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="idempotency_scope_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class OutboxMessage(models.Model):
    """A Celery task to run after commit, written in the business transaction (transactional
    outbox): if the broker is down at commit time the row stays pending and the beat sweep
    (core.tasks.outbox_dispatch_task) sends it later. The task claims the row, so a message
    dispatched twice runs once."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    property = models.ForeignKey(
        Property, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    task = models.CharField(max_length=200)
    kwargs = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    # how long a claimed run may take before the sweep deems its worker dead and sends it
    # again: minutes for an e-mail, an hour for a year's export or verification
    stale_after = models.DurationField(default=timedelta(minutes=15))

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.task} #{self.pk} ({self.status})"


class ApiToken(TimeStampedModel):
    """A scoped API token a manager creates for an integrator: one property, read-only or
    read-write, limited to some areas of the API. It acts with its creator's role at that
    property (it dies with their membership). Only a digest of the key is kept: the key is
    shown once, at creation (core.api_tokens)."""

    AREAS = {
        "inventory": _("Catalogue, availability and quotes"),
        "pms": _("Reservations and stays"),
        "billing": _("Folios and invoices"),
        "pos": _("Till sales and cash sessions"),
        "crm": _("Guests"),
        "reporting": _("Reports and KPIs"),
        "webhooks": _("Webhooks"),
    }

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=12, editable=False)
    read_only = models.BooleanField(_("read only"), default=True)
    areas = models.JSONField(_("areas"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["property", "-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
