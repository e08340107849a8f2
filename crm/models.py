"""Guests and companies, organisation-wide: one profile across stays and outlets (CRM-1)."""

import builtins
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.timezone import now as timezone_now
from django.utils.translation import gettext_lazy as _

from core.models import Organization, TimeStampedModel
from core.money import money_field
from inventory.models import GiftCardKind


def validate_siren(value: str) -> None:
    """A SIREN is 9 digits with a Luhn check digit (the key of a French company)."""
    from stdnum.fr import siren

    if value and not siren.is_valid(value):
        raise ValidationError(_("A SIREN is 9 digits with a valid check digit."))


def validate_vat_number(value: str) -> None:
    """A French VAT number (FR + key + SIREN) must have its right key; others are taken as
    typed (their formats vary by country)."""
    from stdnum.fr import tva

    if value[:2].upper() == "FR" and not tva.is_valid(value):
        raise ValidationError(
            _("This French VAT number is not valid (FR, a 2-character key, the SIREN).")
        )


class Company(TimeStampedModel):
    """A business customer: its staff may be entitled to corporate rate plans (PRC-3); its
    SIREN or VAT number makes its invoices Factur-X e-invoices (BIL-8)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="companies"
    )
    name = models.CharField(_("name"), max_length=200)
    vat_number = models.CharField(
        _("VAT number"), max_length=20, blank=True, validators=[validate_vat_number]
    )
    siren = models.CharField(
        _("SIREN"),
        max_length=9,
        blank=True,
        validators=[validate_siren],
        help_text=_("9 digits; taken from the SIRET when left empty."),
    )
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    address = models.TextField(_("address"), blank=True, help_text=_("street, one per line"))
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="FR")
    email = models.EmailField(_("e-mail"), blank=True)
    # Code de commerce L441-10: at most 60 days after the invoice's date; empty: on receipt
    payment_terms_days = models.PositiveSmallIntegerField(
        _("payment terms (days)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(60)],
        help_text=_("Days after the invoice's date, 60 at most (e.g. 30). Empty: on receipt."),
    )
    rate_plans = models.ManyToManyField(
        "inventory.RatePlan",
        blank=True,
        related_name="companies",
        verbose_name=_("negotiated rate plans"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("company")
        verbose_name_plural = _("companies")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.siren and self.siret and self.siret[:9] != self.siren:
            raise ValidationError({"siret": _("The SIRET must start with the company's SIREN.")})

    @property
    def legal_id(self) -> str:
        """The SIREN, typed or read from the SIRET."""
        return self.siren or self.siret[:9]


class Guest(TimeStampedModel):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="guests")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    language = models.CharField(
        _("language"), max_length=5, choices=settings.LANGUAGES, default="fr"
    )
    country = models.CharField(_("country"), max_length=2, blank=True)
    company = models.ForeignKey(
        Company, on_delete=models.SET_NULL, null=True, blank=True, related_name="guests"
    )
    notes = models.TextField(_("notes"), blank=True)
    marketing_opt_in = models.BooleanField(_("accepts marketing e-mails"), default=False)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    # shown on the waiter's tablet and at the desk when the guest is attached
    diet = models.CharField(_("diet"), max_length=100, blank=True)
    allergies = models.CharField(_("allergies"), max_length=300, blank=True)
    # what the duplicate search compares (kept by save(): crm.matching)
    email_key = models.CharField(max_length=254, blank=True, editable=False)
    phone_key = models.CharField(max_length=20, blank=True, editable=False)
    # a merged duplicate stays (fiscal documents still name it) and points to the profile kept
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_profiles"
    )
    merged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["last_name", "first_name", "pk"]
        verbose_name = _("guest")
        verbose_name_plural = _("guests")
        indexes = [
            models.Index(fields=["organization", "last_name"]),
            models.Index(fields=["organization", "email"]),
            models.Index(
                fields=["organization", "email_key"],
                name="crm_guest_email_key_idx",
                condition=Q(merged_into__isnull=True) & ~Q(email_key=""),
            ),
            models.Index(
                fields=["organization", "phone_key"],
                name="crm_guest_phone_key_idx",
                condition=Q(merged_into__isnull=True) & ~Q(phone_key=""),
            ),
            models.Index(
                fields=["organization", "birth_date"],
                name="crm_guest_birth_date_idx",
                condition=Q(merged_into__isnull=True, birth_date__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def save(self, *args, **kwargs) -> None:
        from crm.matching import email_key, phone_key

        self.email_key = email_key(self.email)
        self.phone_key = phone_key(self.phone, country=self.country)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"email", "phone", "country"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "email_key", "phone_key"}
        super().save(*args, **kwargs)


class GiftCard(models.Model):
    """A gift card or voucher with a balance (POS-5, CRM-3). The balance is a cache of its
    movements, kept in the same transaction under the card's row lock; the database refuses a
    negative balance."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        USED = "used", _("Used")
        EXPIRED = "expired", _("Expired")
        CANCELLED = "cancelled", _("Cancelled")

    property = models.ForeignKey(
        "core.Property", on_delete=models.PROTECT, related_name="gift_cards"
    )
    code = models.CharField(_("code"), max_length=32, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=GiftCardKind.choices)
    single_use = models.BooleanField(_("single use"), default=False)
    initial_amount = money_field(_("initial amount"))
    balance = money_field(_("balance"))
    # a single-purpose card buys only what it was sold for (its product's revenue category)
    revenue_category = models.CharField(_("valid for"), max_length=20, blank=True)
    # a campaign's voucher: a percentage of what is bought (up to the balance), valid only
    # for some revenue categories or at some outlets (their names: crm does not know pos)
    percent = models.DecimalField(
        _("percentage"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    valid_categories = models.JSONField(_("valid for categories"), default=list, blank=True)
    valid_outlets = models.JSONField(_("valid at outlets"), default=list, blank=True)
    campaign = models.ForeignKey(
        "crm.Campaign",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="gift_cards",
    )
    expires_on = models.DateField(_("expires on"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    guest = models.ForeignKey(
        Guest, on_delete=models.SET_NULL, null=True, blank=True, related_name="gift_cards"
    )
    # what issued it: "pos.order:<pk>:<line>", "campaign:<pk>"… (idempotent issue)
    source = models.CharField(max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "pk"]
        verbose_name = _("gift card")
        verbose_name_plural = _("gift cards")
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="giftcard_balance_gte_0"),
            models.CheckConstraint(
                condition=Q(balance__lte=F("initial_amount")), name="giftcard_balance_lte_initial"
            ),
            models.CheckConstraint(
                condition=Q(percent__isnull=True) | (Q(percent__gt=0) & Q(percent__lte=100)),
                name="giftcard_percent_0_100",
            ),
        ]
        indexes = [models.Index(fields=["property", "status", "expires_on"])]

    def __str__(self) -> str:
        return self.masked_code

    @builtins.property
    def masked_code(self) -> str:
        """What a receipt or a payment reference shows: the last four characters only."""
        return f"****{self.code[-4:]}"


class GiftCardMovement(models.Model):
    """One change of a card's balance, append-only (a PostgreSQL trigger refuses UPDATE and
    DELETE). `key` makes every movement idempotent: a replayed redemption finds its key."""

    class Kind(models.TextChoices):
        ISSUE = "issue", _("Issued")
        REDEEM = "redeem", _("Redeemed")
        REFUND = "refund", _("Given back")
        EXPIRE = "expire", _("Expired")
        CANCEL = "cancel", _("Cancelled with its sale")

    card = models.ForeignKey(GiftCard, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    amount = money_field()  # signed: + issue/refund, − redeem/expire
    balance_after = money_field()
    key = models.CharField(max_length=120)
    reference = models.CharField(max_length=100, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["card", "key"], name="giftcardmovement_key_unique"),
        ]
        indexes = [models.Index(fields=["reference"])]


class LoyaltyProgram(models.Model):
    """An organisation's points: what a point is worth when redeemed."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="loyalty_program"
    )
    point_value = models.DecimalField(
        _("value of one point (€)"), max_digits=8, decimal_places=4, default=Decimal("0.0100")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("loyalty programme")
        verbose_name_plural = _("loyalty programmes")

    def __str__(self) -> str:
        return str(self.organization)


class LoyaltyEarnRule(models.Model):
    """Points earned per euro (incl. VAT) spent in one revenue category."""

    program = models.ForeignKey(LoyaltyProgram, on_delete=models.CASCADE, related_name="rules")
    revenue_category = models.CharField(_("revenue category"), max_length=20)
    points_per_euro = models.DecimalField(_("points per euro"), max_digits=8, decimal_places=2)

    class Meta:
        verbose_name = _("earn rule")
        verbose_name_plural = _("earn rules")
        constraints = [
            models.UniqueConstraint(
                fields=["program", "revenue_category"], name="loyaltyrule_category_unique"
            ),
            models.CheckConstraint(
                condition=Q(points_per_euro__gte=0), name="loyaltyrule_points_gte_0"
            ),
        ]


class LoyaltyAccount(models.Model):
    """A guest's points balance: the cache of their movements, locked to redeem."""

    guest = models.OneToOneField(Guest, on_delete=models.PROTECT, related_name="loyalty")
    balance = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="loyaltyaccount_balance_gte_0")
        ]


class LoyaltyMovement(models.Model):
    """Points earned or spent, append-only; `key` is unique per account, so a retried,
    replayed or offline-synced sale earns once."""

    class Kind(models.TextChoices):
        EARN = "earn", _("Earned")
        REDEEM = "redeem", _("Redeemed")
        REFUND = "refund", _("Given back")
        EXPIRE = "expire", _("Expired")
        MERGE = "merge", _("Moved by a merge of profiles")

    account = models.ForeignKey(LoyaltyAccount, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    points = models.IntegerField()
    key = models.CharField(max_length=120)
    reference = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["account", "key"], name="loyaltymovement_key_unique"),
        ]


class Consent(models.Model):
    """A guest's answer to a consent question, as asked (CPCE L34-5, GDPR art. 7): the
    wording shown, where and when. Never changed: a new answer is a new row, the latest one
    counts (and is copied to `Guest.marketing_opt_in`)."""

    class Source(models.TextChoices):
        BOOKING_ENGINE = "booking_engine", _("Booking engine")
        CHECK_IN = "check_in", _("Check-in")
        POS = "pos", _("Point of sale")
        STAFF = "staff", _("Staff, on the guest's request")
        UNSUBSCRIBE = "unsubscribe", _("Unsubscribe link")

    guest = models.ForeignKey(Guest, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(max_length=20, default="marketing")
    given = models.BooleanField()
    source = models.CharField(max_length=20, choices=Source.choices)
    wording = models.TextField()
    language = models.CharField(max_length=5, blank=True)
    property = models.ForeignKey(
        "core.Property", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["guest", "purpose", "-created_at"])]


class Segment(TimeStampedModel):
    """A saved audience: rules on the guests of a property, combined with AND (`all`) or
    OR (`any`) (CRM-2). The rules are data (a list of dicts, crm.segment_rules checks them);
    reporting.segments evaluates them as one SQL query, since spend and stays are billing's
    and pms's rows that crm may not read."""

    class Match(models.TextChoices):
        ALL = "all", _("all the rules (AND)")
        ANY = "any", _("any rule (OR)")

    property = models.ForeignKey("core.Property", on_delete=models.CASCADE, related_name="segments")
    name = models.CharField(_("name"), max_length=100)
    match = models.CharField(_("match"), max_length=3, choices=Match.choices, default=Match.ALL)
    rules = models.JSONField(_("rules"), default=list)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")

    def __str__(self) -> str:
        return self.name


class Campaign(TimeStampedModel):
    """An e-mail with a voucher per recipient, to a segment: once, or triggered by a beat task
    (N days after check-out, before a birthday, before a returning season) (CRM-3)."""

    class Trigger(models.TextChoices):
        ONE_OFF = "one_off", _("Once, now")
        AFTER_CHECK_OUT = "after_check_out", _("N days after check-out")
        BEFORE_BIRTHDAY = "before_birthday", _("N days before a birthday")
        BEFORE_SEASON = "before_season", _("N days before the season they stayed in")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        SENT = "sent", _("Sent")
        STOPPED = "stopped", _("Stopped")

    property = models.ForeignKey(
        "core.Property", on_delete=models.CASCADE, related_name="campaigns"
    )
    name = models.CharField(_("name"), max_length=100)
    segment = models.ForeignKey(Segment, on_delete=models.PROTECT, related_name="campaigns")
    trigger = models.CharField(
        _("when"), max_length=20, choices=Trigger.choices, default=Trigger.ONE_OFF
    )
    trigger_days = models.PositiveSmallIntegerField(_("days"), default=0)
    season_start = models.DateField(_("season starts on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    subject_fr = models.CharField(_("subject (French)"), max_length=200)
    body_fr = models.TextField(_("message (French)"))
    subject_en = models.CharField(_("subject (English)"), max_length=200)
    body_en = models.TextField(_("message (English)"))
    # the voucher each recipient gets (none when both are empty)
    voucher_amount = money_field(_("voucher amount"), null=True, blank=True)
    voucher_percent = models.DecimalField(
        _("voucher percentage"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    voucher_validity_days = models.PositiveIntegerField(_("voucher valid for (days)"), default=90)
    voucher_categories = models.JSONField(_("valid for categories"), default=list, blank=True)
    voucher_outlets = models.JSONField(_("valid at outlets"), default=list, blank=True)
    voucher_single_use = models.BooleanField(_("single use"), default=True)
    send_rate_per_minute = models.PositiveIntegerField(_("e-mails per minute"), default=60)
    last_batch_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(
                condition=Q(send_rate_per_minute__gte=1), name="campaign_rate_gte_1"
            ),
            models.CheckConstraint(
                condition=Q(voucher_percent__isnull=True)
                | (Q(voucher_percent__gt=0) & Q(voucher_percent__lte=100)),
                name="campaign_percent_0_100",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CampaignRecipient(models.Model):
    """One e-mail of a campaign to one guest. `key` makes queueing idempotent (a guest gets
    a one-off campaign once, a triggered one once per stay, birthday or season). `token` is
    the unguessable part of its unsubscribe, pixel and click links."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Delivered to the mail server")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped (no consent)")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    guest = models.ForeignKey(Guest, on_delete=models.CASCADE, related_name="campaign_messages")
    key = models.CharField(max_length=60)
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    gift_card = models.OneToOneField(
        GiftCard, on_delete=models.SET_NULL, null=True, blank=True, related_name="recipient"
    )
    queued_at = models.DateTimeField(default=timezone_now)
    sent_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    # the mail server accepted it, then the recipient's server sent it back (POST /m/bounces/)
    bounced_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "guest", "key"], name="campaignrecipient_key_unique"
            )
        ]
        indexes = [models.Index(fields=["campaign", "status"])]


class EmailBounce(models.Model):
    """A bounce reported by the mail provider (POST /m/bounces/, signed). A hard bounce
    (the address does not exist) stops every later campaign e-mail to that address; a soft
    one (a full mailbox) is counted on its e-mail only. `event_id` makes a redelivery a
    no-op."""

    class Kind(models.TextChoices):
        HARD = "hard", _("Hard (address refused)")
        SOFT = "soft", _("Soft (temporary)")

    event_id = models.CharField(max_length=100, unique=True)
    email = models.CharField(max_length=254, db_index=True)  # lower case
    kind = models.CharField(max_length=4, choices=Kind.choices)
    recipient = models.ForeignKey(
        CampaignRecipient, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    detail = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField(default=timezone_now)

    class Meta:
        ordering = ["pk"]
        indexes = [
            models.Index(
                fields=["email"], condition=models.Q(kind="hard"), name="emailbounce_hard_idx"
            )
        ]
