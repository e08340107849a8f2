"""What is sold and how much is left: catalog, capacity of every kind, channel rules, prices."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core.images import photo_storage
from core.models import Property, TimeStampedModel
from core.money import money_field


class Channel(models.TextChoices):
    POS = "pos", _("Point of sale")
    FRONT_DESK = "front_desk", _("Front desk")
    BOOKING_ENGINE = "booking_engine", _("Booking engine")
    OTA = "ota", _("OTA")
    API = "api", _("API")


# Online channels see capacity minus the units held back for on-site sale (INV-4).
ONLINE_CHANNELS = frozenset({Channel.BOOKING_ENGINE, Channel.OTA, Channel.API})


def is_online(channel: str) -> bool:
    return channel in ONLINE_CHANNELS


class RevenueCategory(models.TextChoices):
    ACCOMMODATION = "accommodation", _("Accommodation")
    FOOD = "food", _("Food")
    DRINKS = "drinks", _("Non-alcoholic drinks")
    ALCOHOL = "alcohol", _("Alcohol")
    SERVICES = "services", _("Services")
    GOODS = "goods", _("Goods")
    TOURIST_TAX = "tourist_tax", _("Tourist tax")
    # a multi-purpose voucher's sale: a liability, not revenue (REFERENCE §9.1)
    VOUCHER = "voucher", _("Multi-purpose vouchers (liability)")


class GiftCardKind(models.TextChoices):
    """What selling the product issues (REFERENCE §9.1). Single-purpose (BUU): what it buys and
    its VAT are known at sale, so the product carries that VAT rate and revenue category and
    the sale is revenue. Multi-purpose (BUM): the sale is a liability (revenue category
    "voucher", VAT 0 %, booked to 4198); VAT is due on what the card later pays for."""

    SINGLE_PURPOSE = "single_purpose", _("Single-purpose voucher (VAT at sale)")
    MULTI_PURPOSE = "multi_purpose", _("Multi-purpose gift card (liability, VAT when used)")
    # a campaign's voucher, given free: not a "bon" in the VAT sense but a discount (§9.1);
    # issued by crm, never sold as a product
    PROMOTIONAL = "promotional", _("Promotional voucher (given free, a discount)")


# French VAT rates (20, 10, 5.5, 2.1 %, and 0 for exempt); the rate is copied onto every sold line.
VAT_RATES = (Decimal("20.00"), Decimal("10.00"), Decimal("5.50"), Decimal("2.10"), Decimal("0.00"))
VAT_RATE_CHOICES = [(r, f"{r.normalize():f} %") for r in VAT_RATES]


def validate_ean13(value: str) -> None:
    if not value:
        return
    if len(value) != 13 or not value.isdigit():
        raise ValidationError(_("An EAN-13 barcode has 13 digits."))
    digits = [int(c) for c in value]
    check = (10 - sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits[:12])) % 10) % 10
    if check != digits[12]:
        raise ValidationError(_("This EAN-13 barcode has a wrong check digit."))


# The 14 allergens whose presence must be declared (Regulation (EU) 1169/2011, annex II),
# stored on a product as a list of these codes so waiters, guests and the kitchen see them.
ALLERGENS: tuple[tuple[str, str], ...] = (
    ("gluten", _("Cereals containing gluten")),
    ("crustaceans", _("Crustaceans")),
    ("eggs", _("Eggs")),
    ("fish", _("Fish")),
    ("peanuts", _("Peanuts")),
    ("soybeans", _("Soybeans")),
    ("milk", _("Milk")),
    ("nuts", _("Nuts")),
    ("celery", _("Celery")),
    ("mustard", _("Mustard")),
    ("sesame", _("Sesame seeds")),
    ("sulphites", _("Sulphur dioxide and sulphites")),
    ("lupin", _("Lupin")),
    ("molluscs", _("Molluscs")),
)
ALLERGEN_CODES: frozenset[str] = frozenset(code for code, _label in ALLERGENS)


def validate_allergens(value) -> None:
    if not isinstance(value, list) or any(code not in ALLERGEN_CODES for code in value):
        raise ValidationError(_("Choose allergens from the 14 regulated ones."))


class TranslatedNameMixin:
    @property
    def name(self) -> str:
        if (get_language() or "fr").startswith("en") and self.name_en:
            return self.name_en
        return self.name_fr

    def __str__(self) -> str:
        return self.name


class Category(TranslatedNameMixin, TimeStampedModel):
    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="categories")
    name_fr = models.CharField(_("name (French)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "name_fr"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")


class CapacityPool(TimeStampedModel):
    """A scarce thing: the rooms of a type, the spa cabins, the pool, a stock of baskets.

    Each pool has one bucket per night (NIGHT), per day (DAY), per day and start time (SLOT),
    or a single bucket (STOCK). Several products may draw from one pool."""

    class Kind(models.TextChoices):
        NIGHT = "night", _("Nights")
        SLOT = "slot", _("Timed slots")
        DAY = "day", _("Day passes")
        STOCK = "stock", _("Counted stock")

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="capacity_pools")
    code = models.SlugField(_("code"), max_length=50)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    default_capacity = models.PositiveIntegerField(_("default capacity"), default=0)
    hold_back_onsite = models.PositiveIntegerField(
        _("held back for on-site sale"),
        default=0,
        help_text=_("Online channels see the capacity minus these units."),
    )
    online_close_at_sold = models.PositiveIntegerField(
        _("close online when sold reaches"),
        null=True,
        blank=True,
    )
    slot_times = models.JSONField(
        _("slot start times"), default=list, blank=True, help_text=_('e.g. ["10:00", "14:00"]')
    )
    slot_minutes = models.PositiveSmallIntegerField(_("slot length (minutes)"), default=60)
    location = models.CharField(_("stock location"), max_length=50, blank=True)
    reorder_point = models.PositiveIntegerField(
        _("reorder point"),
        null=True,
        blank=True,
        help_text=_("Counted stock: managers are alerted when what is left falls to this."),
    )
    # counted stock kept in the stock ledger: the pool has no counter of its own, what is
    # left is this item's level at this location (docs/architecture.md, "One notion of stock")
    stock_item = models.ForeignKey(
        "inventory.StockItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pools",
        verbose_name=_("stock item"),
    )
    stock_location = models.ForeignKey(
        "inventory.StockLocation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pools",
        verbose_name=_("sold from"),
    )

    class Meta:
        ordering = ["property", "code"]
        verbose_name = _("capacity pool")
        verbose_name_plural = _("capacity pools")
        constraints = [
            models.UniqueConstraint(fields=["property", "code"], name="capacity_pool_code_unique"),
            models.CheckConstraint(
                condition=Q(stock_item__isnull=True, stock_location__isnull=True)
                | Q(kind="stock", stock_item__isnull=False, stock_location__isnull=False),
                name="capacity_pool_stock_link",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SaleChannel(models.TextChoices):
    """Where a guest or the staff orders a product (Product.sold_at_counter …)."""

    COUNTER = "counter", _("Counter and waiters")
    QR = "qr", _("QR menus")
    COLLECT = "collect", _("Click and collect")
    KIOSK = "kiosk", _("Kiosk")


# the product's field that says whether a channel offers it
SALE_CHANNEL_FIELDS = {
    SaleChannel.COUNTER: "sold_at_counter",
    SaleChannel.QR: "sold_on_qr",
    SaleChannel.COLLECT: "sold_for_collect",
    SaleChannel.KIOSK: "sold_at_kiosk",
}


class Product(TranslatedNameMixin, TimeStampedModel):
    """Anything sold: a drink, a room night, a massage slot, a pool pass, a gourmet basket."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="products")
    category = models.ForeignKey(
        Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="products"
    )
    code = models.SlugField(_("code"), max_length=50)
    name_fr = models.CharField(_("name (French)"), max_length=150)
    name_en = models.CharField(_("name (English)"), max_length=150, blank=True)
    ean13 = models.CharField(
        _("EAN-13 barcode"), max_length=13, blank=True, validators=[validate_ean13]
    )
    price = money_field(_("public price incl. VAT"), validators=[MinValueValidator(0)])
    vat_rate = models.DecimalField(
        _("VAT rate"), max_digits=5, decimal_places=2, choices=VAT_RATE_CHOICES
    )
    revenue_category = models.CharField(
        _("revenue category"), max_length=20, choices=RevenueCategory.choices
    )
    capacity_pool = models.ForeignKey(
        CapacityPool, on_delete=models.PROTECT, null=True, blank=True, related_name="products"
    )
    allow_fractional_quantity = models.BooleanField(_("fractional quantities"), default=False)
    sold_online = models.BooleanField(_("offered as an online extra"), default=False)
    # the POS channels that offer it (issue 25's service rules): a product left off one is
    # absent from that channel's menu and refused by its order service
    sold_at_counter = models.BooleanField(_("at the counter and by the waiters"), default=True)
    sold_on_qr = models.BooleanField(_("on the QR menus (tables and rooms)"), default=True)
    sold_for_collect = models.BooleanField(_("for click-and-collect"), default=True)
    sold_at_kiosk = models.BooleanField(_("at the kiosk"), default=True)
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)
    # a gift card or voucher: each unit sold issues a card worth its price (crm.GiftCard)
    gift_card_kind = models.CharField(
        _("issues a gift card"), max_length=20, choices=GiftCardKind.choices, blank=True
    )
    gift_card_validity_days = models.PositiveIntegerField(
        _("gift card valid for (days)"), default=365
    )
    gift_card_single_use = models.BooleanField(_("single-use voucher"), default=False)
    allergens = models.JSONField(
        _("allergens"), default=list, blank=True, validators=[validate_allergens]
    )
    # the course a dish goes to when the waiter adds it (0: the course the waiter is on)
    default_course = models.PositiveSmallIntegerField(_("default course"), default=0)
    # "86'd": sold out for the rest of the service, hidden or greyed on every screen until then
    sold_out_until = models.DateTimeField(_("sold out until"), null=True, blank=True)
    # an optional photo (the guest's QR menu): cleaned copies, large and small (core.images)
    photo = models.FileField(_("photo"), storage=photo_storage, max_length=200, blank=True)
    photo_small = models.FileField(storage=photo_storage, max_length=200, blank=True)

    def sold_on(self, channel: str) -> bool:
        """Whether `channel` (a SaleChannel) offers this product."""
        return bool(getattr(self, SALE_CHANNEL_FIELDS[channel]))

    class Meta:
        ordering = ["sort_order", "name_fr"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.UniqueConstraint(fields=["property", "code"], name="product_code_unique"),
            models.UniqueConstraint(
                fields=["property", "ean13"], condition=~Q(ean13=""), name="product_ean13_unique"
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="product_price_not_negative"),
        ]
        indexes = [models.Index(fields=["property", "is_active", "category"])]

    def clean(self) -> None:
        validate_gift_card_product(self)


def validate_gift_card_product(product: "Product") -> None:
    """A multi-purpose card is a liability; a single-purpose one is revenue (§9.1)."""
    is_liability = product.revenue_category == RevenueCategory.VOUCHER
    if product.gift_card_kind == GiftCardKind.PROMOTIONAL:
        raise ValidationError(
            _("A promotional voucher is given by a campaign, it cannot be sold as a product.")
        )
    if product.gift_card_kind == GiftCardKind.MULTI_PURPOSE and (
        not is_liability or product.vat_rate != 0
    ):
        raise ValidationError(
            _(
                "A multi-purpose gift card is a liability: give its product the revenue "
                "category “voucher” and a VAT rate of 0 %."
            )
        )
    if product.gift_card_kind != GiftCardKind.MULTI_PURPOSE and is_liability:
        raise ValidationError(
            _(
                "Only a multi-purpose gift card has the revenue category “voucher”; a "
                "single-purpose voucher takes the category and VAT rate of what it buys."
            )
        )


class Variant(TranslatedNameMixin, TimeStampedModel):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    name_fr = models.CharField(_("name (French)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    price_delta = money_field(_("price difference"), default=Decimal("0.00"))
    ean13 = models.CharField(
        _("EAN-13 barcode"), max_length=13, blank=True, validators=[validate_ean13]
    )

    class Meta:
        ordering = ["product", "pk"]
        verbose_name = _("variant")
        verbose_name_plural = _("variants")


class ModifierGroup(TranslatedNameMixin, TimeStampedModel):
    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="modifier_groups")
    name_fr = models.CharField(_("name (French)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    min_choices = models.PositiveSmallIntegerField(default=0)
    max_choices = models.PositiveSmallIntegerField(default=1)
    products = models.ManyToManyField(Product, related_name="modifier_groups", blank=True)

    class Meta:
        ordering = ["name_fr"]
        verbose_name = _("modifier group")
        verbose_name_plural = _("modifier groups")


class Modifier(TranslatedNameMixin, TimeStampedModel):
    group = models.ForeignKey(ModifierGroup, on_delete=models.CASCADE, related_name="modifiers")
    name_fr = models.CharField(_("name (French)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    price_delta = money_field(_("price"), default=Decimal("0.00"))

    class Meta:
        ordering = ["group", "pk"]
        verbose_name = _("modifier")
        verbose_name_plural = _("modifiers")


class CapacityBucket(models.Model):
    """How many units of a pool exist and are sold for one night, day, slot (or ever, for stock).

    `sold` is changed only by inventory.services.capacity under a row lock; the CHECK
    constraints refuse an oversell even if a bug elsewhere skipped the service."""

    pool = models.ForeignKey(CapacityPool, on_delete=models.CASCADE, related_name="buckets")
    day = models.DateField(null=True, blank=True)
    slot_time = models.TimeField(default="00:00")
    capacity = models.IntegerField(default=0)
    sold = models.IntegerField(default=0)
    sold_online = models.IntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pool", "day", "slot_time"]
        # the availability.changed beat reads the buckets changed since its last run
        indexes = [models.Index(fields=["updated_at"], name="inventory_bucket_updated_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(sold__lte=F("capacity")), name="bucket_no_oversell"),
            models.CheckConstraint(condition=Q(sold__gte=0), name="bucket_sold_not_negative"),
            models.CheckConstraint(condition=Q(capacity__gte=0), name="bucket_capacity_positive"),
            models.CheckConstraint(
                condition=Q(sold_online__gte=0, sold_online__lte=F("sold")),
                name="bucket_online_within_sold",
            ),
            models.UniqueConstraint(
                fields=["pool", "day", "slot_time"],
                condition=Q(day__isnull=False),
                name="bucket_unique_per_day_slot",
            ),
            models.UniqueConstraint(
                fields=["pool"], condition=Q(day__isnull=True), name="bucket_unique_stock"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pool} {self.day or ''} {self.slot_time}: {self.sold}/{self.capacity}"


class CapacityAllocation(models.Model):
    """Units of a bucket consumed by one sale line, reservation room or channel block."""

    class Status(models.TextChoices):
        HELD = "held", _("Held")
        CONFIRMED = "confirmed", _("Confirmed")
        RELEASED = "released", _("Released")

    bucket = models.ForeignKey(CapacityBucket, on_delete=models.PROTECT, related_name="allocations")
    quantity = models.PositiveIntegerField()
    channel = models.CharField(max_length=20, choices=Channel.choices)
    # looked up by equality only: a plain index (db_index on PostgreSQL adds a second one, for
    # LIKE, written on every sale and read by no query)
    reference = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CONFIRMED)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [
            models.Index(fields=["status", "expires_at"]),
            models.Index(fields=["reference"], name="capacity_alloc_reference"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="allocation_quantity_positive")
        ]

    def __str__(self) -> str:
        return f"{self.reference} ×{self.quantity} ({self.status})"


class StopSell(TimeStampedModel):
    """No sale of a pool through a channel over [start, end) (INV-4)."""

    pool = models.ForeignKey(CapacityPool, on_delete=models.CASCADE, related_name="stop_sells")
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    start = models.DateField(_("from"))
    end = models.DateField(_("until (exclusive)"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    # one OTA's calendar (its iCal feed name, e.g. "airbnb"); empty: the whole channel
    channel_name = models.CharField(_("OTA"), max_length=50, blank=True, default="")

    class Meta:
        ordering = ["pool", "start"]
        verbose_name = _("stop-sell")
        verbose_name_plural = _("stop-sells")
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="stopsell_dates_ordered")
        ]
        indexes = [models.Index(fields=["pool", "channel", "start"])]


# --- Pricing -------------------------------------------------------------------------------


class Season(TimeStampedModel):
    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="seasons")
    code = models.SlugField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("season")
        verbose_name_plural = _("seasons")
        constraints = [
            models.UniqueConstraint(fields=["property", "code"], name="season_code_unique")
        ]

    def __str__(self) -> str:
        return self.name


class SeasonPeriod(models.Model):
    season = models.ForeignKey(Season, on_delete=models.CASCADE, related_name="periods")
    start = models.DateField(_("from"))
    end = models.DateField(_("until (exclusive)"))

    class Meta:
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")), name="season_period_dates_ordered"
            )
        ]

    def __str__(self) -> str:
        return f"{self.season}: {self.start} → {self.end}"

    @property
    def last_day(self):
        """The period's last day (`end` is exclusive; screens show the days included)."""
        from datetime import timedelta

        return self.end - timedelta(days=1)


class RatePlan(TranslatedNameMixin, TimeStampedModel):
    """A price list. The applicable plan with the highest priority wins (corporate net > group >
    web > public); non-public plans apply only to customers entitled to them (B2B)."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="rate_plans")
    code = models.SlugField(_("code"), max_length=30)
    name_fr = models.CharField(_("name (French)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    priority = models.IntegerField(_("priority"), default=0)
    channels = models.JSONField(
        _("channels"), default=list, blank=True, help_text=_("Empty means every channel.")
    )
    is_public = models.BooleanField(_("public"), default=True)
    is_active = models.BooleanField(_("active"), default=True)

    class MealPlan(models.TextChoices):
        # what the price of a night includes, told to the guest with the offer
        ROOM_ONLY = "room_only", _("Room only")
        BREAKFAST = "breakfast", _("Breakfast included")
        HALF_BOARD = "half_board", _("Half board")
        FULL_BOARD = "full_board", _("Full board")

    meal_plan = models.CharField(
        _("meals included"), max_length=12, choices=MealPlan.choices, default=MealPlan.ROOM_ONLY
    )

    # the plan's policies (pms.services.policies reads them for a booking)
    class Guarantee(models.TextChoices):
        NONE = "none", _("No guarantee")
        CARD = "card", _("Card guarantee")
        DEPOSIT = "deposit", _("Deposit")

    guarantee = models.CharField(
        _("guarantee"), max_length=10, choices=Guarantee.choices, default=Guarantee.NONE
    )
    deposit_percent = models.DecimalField(
        _("deposit (% of the stay)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    deposit_nights = models.PositiveSmallIntegerField(_("deposit (nights)"), null=True, blank=True)
    deposit_days_before = models.PositiveSmallIntegerField(
        _("deposit due N days before arrival"),
        null=True,
        blank=True,
        help_text=_("Empty: due at booking."),
    )
    cancel_free_days = models.PositiveSmallIntegerField(
        _("free cancellation until N days before arrival"), null=True, blank=True
    )
    cancel_free_hours = models.PositiveSmallIntegerField(
        _("free cancellation until N hours before arrival"), null=True, blank=True
    )
    cancel_fee_nights = models.PositiveSmallIntegerField(
        _("cancellation fee (nights)"), null=True, blank=True
    )
    cancel_fee_percent = models.DecimalField(
        _("cancellation fee (% of the stay)"), max_digits=5, decimal_places=2, null=True, blank=True
    )

    class Meta:
        ordering = ["-priority", "code"]
        verbose_name = _("rate plan")
        verbose_name_plural = _("rate plans")
        constraints = [
            models.UniqueConstraint(fields=["property", "code"], name="rate_plan_code_unique"),
            models.CheckConstraint(
                condition=(Q(deposit_percent__isnull=True) | Q(deposit_percent__lte=100))
                & (Q(cancel_fee_percent__isnull=True) | Q(cancel_fee_percent__lte=100)),
                name="rate_plan_percent_range",
            ),
        ]


class Price(models.Model):
    """The price of a product in a rate plan, optionally for a season and/or one channel."""

    rate_plan = models.ForeignKey(RatePlan, on_delete=models.CASCADE, related_name="prices")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="prices")
    season = models.ForeignKey(Season, on_delete=models.CASCADE, null=True, blank=True)
    channel = models.CharField(max_length=20, choices=Channel.choices, blank=True)
    price = money_field(_("price incl. VAT"), validators=[MinValueValidator(0)])

    class Meta:
        ordering = ["rate_plan", "product"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="price_not_negative"),
            models.UniqueConstraint(
                fields=["rate_plan", "product", "season", "channel"],
                condition=Q(season__isnull=False),
                name="price_unique_season",
            ),
            models.UniqueConstraint(
                fields=["rate_plan", "product", "channel"],
                condition=Q(season__isnull=True),
                name="price_unique_default",
            ),
        ]
        indexes = [models.Index(fields=["product", "rate_plan"])]

    def __str__(self) -> str:
        return f"{self.rate_plan.code} {self.product.code} {self.price}"


class DailyRate(models.Model):
    """The price of a product in a rate plan on one date, set from the rates calendar: it
    beats the plan's season and default prices for that date, so a revenue manager can
    raise one weekend without inventing a season for it (PRC-1)."""

    rate_plan = models.ForeignKey(RatePlan, on_delete=models.CASCADE, related_name="daily_rates")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="daily_rates")
    day = models.DateField(_("day"))
    price = money_field(_("price incl. VAT"), validators=[MinValueValidator(0)])
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["product", "rate_plan", "day"]
        verbose_name = _("daily rate")
        verbose_name_plural = _("daily rates")
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="daily_rate_not_negative"),
            models.UniqueConstraint(
                fields=["rate_plan", "product", "day"], name="daily_rate_unique_day"
            ),
        ]
        indexes = [models.Index(fields=["product", "day"])]

    def __str__(self) -> str:
        return f"{self.rate_plan_id} {self.product_id} {self.day} {self.price}"


class Promotion(TranslatedNameMixin, TimeStampedModel):
    """A discount with windows and conditions (PRC-2), or an automatic rule (PRC-3).

    Promotions are shown to guests with their conditions; rules apply silently. A stock cap
    closes the offer when `stock_used` reaches it (consumed under lock with the sale)."""

    class Kind(models.TextChoices):
        PROMOTION = "promotion", _("Promotion")
        RULE = "rule", _("Automatic rule")

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="promotions")
    code = models.SlugField(_("code"), max_length=30)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PROMOTION)
    name_fr = models.CharField(_("name (French)"), max_length=150)
    name_en = models.CharField(_("name (English)"), max_length=150, blank=True)
    percent_off = models.DecimalField(
        _("percent off"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    amount_off = money_field(_("amount off per unit"), null=True, blank=True)
    products = models.ManyToManyField(Product, blank=True, related_name="promotions")
    revenue_categories = models.JSONField(_("revenue categories"), default=list, blank=True)
    channels = models.JSONField(_("channels"), default=list, blank=True)
    seasons = models.ManyToManyField(Season, blank=True, related_name="promotions")
    sale_from = models.DateField(_("booked from"), null=True, blank=True)
    sale_until = models.DateField(_("booked until (inclusive)"), null=True, blank=True)
    stay_from = models.DateField(_("stay from"), null=True, blank=True)
    stay_until = models.DateField(_("stay until (inclusive)"), null=True, blank=True)
    min_nights = models.PositiveSmallIntegerField(_("minimum nights"), null=True, blank=True)
    min_days_before = models.PositiveSmallIntegerField(
        _("booked at least N days before"), null=True, blank=True
    )
    stock_cap = models.PositiveIntegerField(_("offer stock"), null=True, blank=True)
    stock_used = models.PositiveIntegerField(_("offer stock used"), default=0)
    priority = models.IntegerField(_("priority"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["-priority", "code"]
        verbose_name = _("promotion")
        verbose_name_plural = _("promotions")
        constraints = [
            models.UniqueConstraint(fields=["property", "code"], name="promotion_code_unique"),
            models.CheckConstraint(
                condition=Q(stock_cap__isnull=True) | Q(stock_used__lte=F("stock_cap")),
                name="promotion_stock_cap",
            ),
            models.CheckConstraint(
                condition=Q(percent_off__isnull=False) | Q(amount_off__isnull=False),
                name="promotion_has_discount",
            ),
        ]


from inventory.stock_models import *  # noqa: E402,F401,F403  (the stock models are the app's)
