"""Stock behind the bar and the kitchen (INV-5): locations, items, levels, the append-only
movement ledger, recipes, suppliers, purchase orders, goods receipts, supplier invoices and
counts. Imported by inventory.models so Django finds them (they are the inventory app's).

One truth for "how many are left": a `StockLevel` row per item and location, changed only by
inventory.services.stock together with the `StockMovement` rows that explain the change, so
the sum of an item's movements at a location is its level. A sellable counted item's pool
(`CapacityPool` kind stock with `stock_item` and `stock_location`) has no counter of its own:
its capacity is that level (docs/architecture.md, "One notion of stock")."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Property, TimeStampedModel
from core.money import money_field

QUANTITY = {"max_digits": 14, "decimal_places": 3}
UNIT_COST = {"max_digits": 14, "decimal_places": 6}


class StockUnit(models.TextChoices):
    ML = "ml", _("ml")
    CL = "cl", _("cl")
    L = "l", _("l")
    G = "g", _("g")
    KG = "kg", _("kg")
    PIECE = "piece", _("piece")


# Each unit as (the base unit an item is kept in, how many base units it is).
UNIT_BASE: dict[str, tuple[str, Decimal]] = {
    StockUnit.ML: (StockUnit.ML, Decimal(1)),
    StockUnit.CL: (StockUnit.ML, Decimal(10)),
    StockUnit.L: (StockUnit.ML, Decimal(1000)),
    StockUnit.G: (StockUnit.G, Decimal(1)),
    StockUnit.KG: (StockUnit.G, Decimal(1000)),
    StockUnit.PIECE: (StockUnit.PIECE, Decimal(1)),
}
BASE_UNITS = [(u, label) for u, label in StockUnit.choices if UNIT_BASE[u][1] == 1]


class StockLocation(TimeStampedModel):
    """Where stock is kept and counted: the bar, the kitchen, the shop, the store room."""

    class Kind(models.TextChoices):
        BAR = "bar", _("Bar")
        KITCHEN = "kitchen", _("Kitchen")
        SHOP = "shop", _("Shop")
        STORE = "store", _("Store room")
        MINIBAR = "minibar", _("Minibar")

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="stock_locations")
    code = models.SlugField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # a minibar's room (pms.Room.number; a number, not a key: inventory sits below pms)
    room_number = models.CharField(_("room (minibar)"), max_length=10, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["property", "name"]
        verbose_name = _("stock location")
        verbose_name_plural = _("stock locations")
        constraints = [
            models.UniqueConstraint(fields=["property", "code"], name="stock_location_code_unique")
        ]

    def __str__(self) -> str:
        return self.name


class StockSettings(models.Model):
    """The property's rule when a sale would take an ingredient below zero: refuse the sale
    (the default), or sell and alert (the level goes negative; the low-stock alert names it)."""

    property = models.OneToOneField(
        Property, on_delete=models.CASCADE, related_name="stock_settings"
    )
    allow_negative = models.BooleanField(_("sell below zero and alert"), default=False)

    class Meta:
        verbose_name = _("stock settings")
        verbose_name_plural = _("stock settings")


class StockItem(TimeStampedModel):
    """Something counted: a bottle of rum kept in ml, mint in g, a basket in pieces.
    `average_cost` is the weighted average cost of one base unit, set by goods receipts."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="stock_items")
    code = models.SlugField(_("code"), max_length=50)
    name = models.CharField(_("name"), max_length=150)
    base_unit = models.CharField(_("unit"), max_length=5, choices=BASE_UNITS)
    barcode = models.CharField(_("barcode"), max_length=20, blank=True)
    average_cost = models.DecimalField(
        _("average cost per unit"),
        default=Decimal(0),
        validators=[MinValueValidator(0)],
        **UNIT_COST,
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["property", "name"]
        verbose_name = _("stock item")
        verbose_name_plural = _("stock items")
        constraints = [
            models.UniqueConstraint(fields=["property", "code"], name="stock_item_code_unique"),
            models.UniqueConstraint(
                fields=["property", "barcode"],
                condition=~Q(barcode=""),
                name="stock_item_barcode_unique",
            ),
            models.CheckConstraint(
                condition=Q(average_cost__gte=0), name="stock_item_cost_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class StockLevel(models.Model):
    """How much of an item a location holds now, in the item's base unit — the sum of its
    movements. `reorder_point`: at or below it the low-stock alert fires and the item goes
    on the suggested purchase order (up to `par_level`)."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="stock_levels")
    item = models.ForeignKey(StockItem, on_delete=models.CASCADE, related_name="levels")
    location = models.ForeignKey(StockLocation, on_delete=models.CASCADE, related_name="levels")
    quantity = models.DecimalField(_("quantity"), default=Decimal(0), **QUANTITY)
    reorder_point = models.DecimalField(_("reorder point"), null=True, blank=True, **QUANTITY)
    par_level = models.DecimalField(_("par level"), null=True, blank=True, **QUANTITY)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["location", "item"]
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        constraints = [
            models.UniqueConstraint(fields=["item", "location"], name="stock_level_unique")
        ]
        indexes = [models.Index(fields=["property", "location"])]


class StockMovement(models.Model):
    """One change of a level, never updated or deleted (a PostgreSQL trigger refuses it, as
    for the fiscal records): a mistake is corrected by a new movement. `quantity` is signed
    in the item's base unit; `unit_cost` is the item's cost when it moved."""

    class Kind(models.TextChoices):
        SALE = "sale", _("Sale")
        REFUND = "refund", _("Refund")
        RECEIPT = "receipt", _("Delivery")
        TRANSFER_OUT = "transfer_out", _("Transfer out")
        TRANSFER_IN = "transfer_in", _("Transfer in")
        WASTE = "waste", _("Waste")
        COUNT = "count", _("Count adjustment")

    class Reason(models.TextChoices):
        NONE = "", _("—")
        BREAKAGE = "breakage", _("Breakage")
        EXPIRED = "expired", _("Expired")
        SPILLAGE = "spillage", _("Spillage")
        STAFF = "staff", _("Staff meal or drink")
        OFFERED = "offered", _("Offered to a guest")
        OTHER = "other", _("Other")

    # property and location: no index of their own, stock_move_prop_time and
    # stock_move_loc_time lead with them (two indexes less to write per movement)
    property = models.ForeignKey(
        Property, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    item = models.ForeignKey(StockItem, on_delete=models.PROTECT, related_name="movements")
    location = models.ForeignKey(
        StockLocation, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    quantity = models.DecimalField(_("quantity"), **QUANTITY)
    unit_cost = models.DecimalField(_("unit cost"), **UNIT_COST)
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    # what caused it: "pos.order:12", "stock.receipt:3", "stock.count:5", "stock.transfer:<uuid>"
    reference = models.CharField(max_length=100, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        indexes = [
            # a count's expected quantities: the ledger of one location up to a moment,
            # summed per item from the index alone (an index-only scan; the quantity is a
            # key column rather than INCLUDE so SQLite builds the same index)
            models.Index(
                fields=["location", "created_at", "item", "quantity"],
                name="stock_move_loc_time",
            ),
            models.Index(fields=["property", "created_at"], name="stock_move_prop_time"),
            models.Index(fields=["reference"], name="stock_move_reference"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(quantity=0), name="stock_move_not_zero"),
        ]


class RecipeLine(models.Model):
    """One ingredient of a product's bill of materials, per unit sold: 5 cl of rum in a
    mojito. `yield_percent` below 100 takes more than the recipe says (a lime gives 80 % of
    its weight as juice). A product without lines is sold without touching stock."""

    product = models.ForeignKey(
        "inventory.Product", on_delete=models.CASCADE, related_name="recipe"
    )
    item = models.ForeignKey(StockItem, on_delete=models.PROTECT, related_name="recipe_lines")
    quantity = models.DecimalField(_("quantity"), validators=[MinValueValidator(0)], **QUANTITY)
    unit = models.CharField(_("unit"), max_length=5, choices=StockUnit.choices)
    yield_percent = models.DecimalField(
        _("yield (%)"), max_digits=5, decimal_places=2, default=Decimal(100)
    )

    class Meta:
        ordering = ["product", "pk"]
        verbose_name = _("recipe line")
        verbose_name_plural = _("recipe lines")
        constraints = [
            models.UniqueConstraint(fields=["product", "item"], name="recipe_line_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="recipe_quantity_positive"),
            models.CheckConstraint(
                condition=Q(yield_percent__gt=0, yield_percent__lte=100), name="recipe_yield_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} — {self.item}"


class Supplier(TimeStampedModel):
    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="suppliers")
    name = models.CharField(_("name"), max_length=150)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    lead_time_days = models.PositiveSmallIntegerField(_("lead time (days)"), default=2)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["property", "name"]
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")

    def __str__(self) -> str:
        return self.name


class SupplierItem(models.Model):
    """What a supplier sells of an item: a pack (a 70 cl bottle, a case of 24) and its price."""

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="items")
    item = models.ForeignKey(StockItem, on_delete=models.CASCADE, related_name="supplier_items")
    reference = models.CharField(_("supplier's reference"), max_length=50, blank=True)
    pack_label = models.CharField(_("pack"), max_length=50)
    pack_size = models.DecimalField(_("base units per pack"), **QUANTITY)
    pack_price = money_field(_("price per pack excl. VAT"), validators=[MinValueValidator(0)])

    class Meta:
        ordering = ["supplier", "item"]
        verbose_name = _("supplier item")
        verbose_name_plural = _("supplier items")
        constraints = [
            models.UniqueConstraint(fields=["supplier", "item"], name="supplier_item_unique"),
            models.CheckConstraint(condition=Q(pack_size__gt=0), name="supplier_pack_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.supplier} — {self.item} ({self.pack_label})"


class PurchaseOrder(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENT = "sent", _("Sent")
        PARTLY_RECEIVED = "partly_received", _("Partly received")
        RECEIVED = "received", _("Received")
        CANCELLED = "cancelled", _("Cancelled")

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="purchase_orders")
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="orders")
    location = models.ForeignKey(StockLocation, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField(_("number"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default="draft")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    expected_on = models.DateField(null=True, blank=True)
    # the form's one-time key of an order typed by hand: a double tap drafts one order
    key = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["property", "-number"]
        verbose_name = _("purchase order")
        verbose_name_plural = _("purchase orders")
        constraints = [
            models.UniqueConstraint(fields=["property", "number"], name="purchase_order_number"),
            models.UniqueConstraint(
                fields=["property", "key"], condition=~Q(key=""), name="purchase_order_key_unique"
            ),
        ]
        indexes = [models.Index(fields=["property", "status"])]


class PurchaseOrderLine(models.Model):
    order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(StockItem, on_delete=models.PROTECT, related_name="+")
    pack_label = models.CharField(_("pack"), max_length=50)
    pack_size = models.DecimalField(_("base units per pack"), **QUANTITY)
    packs = models.DecimalField(_("packs ordered"), **QUANTITY)
    pack_price = money_field(_("price per pack excl. VAT"))
    packs_received = models.DecimalField(_("packs received"), default=Decimal(0), **QUANTITY)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(packs__gt=0), name="po_line_packs_positive"),
            models.CheckConstraint(condition=Q(pack_size__gt=0), name="po_line_pack_positive"),
        ]

    @property
    def line_total(self) -> Decimal:
        return (self.packs * self.pack_price).quantize(Decimal("0.01"))

    @property
    def packs_left(self) -> Decimal:
        return max(self.packs - self.packs_received, Decimal(0))


class GoodsReceipt(models.Model):
    """A delivery: what came in, at what cost, by whom — its lines raise the levels."""

    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="+")
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="receipts")
    order = models.ForeignKey(
        PurchaseOrder, on_delete=models.PROTECT, null=True, blank=True, related_name="receipts"
    )
    location = models.ForeignKey(StockLocation, on_delete=models.PROTECT, related_name="+")
    delivery_note = models.CharField(_("delivery note"), max_length=50, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    received_at = models.DateTimeField(default=timezone.now)
    total = money_field(_("total excl. VAT"), default=Decimal("0.00"))
    # the form's one-time key of a delivery typed without an order: a double tap records once
    key = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("goods receipt")
        verbose_name_plural = _("goods receipts")
        constraints = [
            models.UniqueConstraint(
                fields=["property", "key"], condition=~Q(key=""), name="goods_receipt_key_unique"
            )
        ]


class GoodsReceiptLine(models.Model):
    receipt = models.ForeignKey(GoodsReceipt, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        PurchaseOrderLine, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    item = models.ForeignKey(StockItem, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantity"), **QUANTITY)
    unit_cost = models.DecimalField(_("unit cost"), **UNIT_COST)

    class Meta:
        ordering = ["receipt", "pk"]


class SupplierInvoice(models.Model):
    """The supplier's bill, recorded against the deliveries it charges for."""

    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="+")
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="invoices")
    number = models.CharField(_("invoice number"), max_length=50)
    issued_on = models.DateField(_("invoice date"))
    total_excl_vat = money_field(_("total excl. VAT"))
    total_incl_vat = money_field(_("total incl. VAT"))
    receipts = models.ManyToManyField(GoodsReceipt, related_name="invoices")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-issued_on"]
        verbose_name = _("supplier invoice")
        verbose_name_plural = _("supplier invoices")
        constraints = [
            models.UniqueConstraint(
                fields=["supplier", "number"], name="supplier_invoice_number_unique"
            )
        ]


class StockCountBatch(models.Model):
    """The count of the whole hotel in one morning: one blind count per chosen location,
    posted together by a manager (every variance into count movements in one transaction)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Being counted")
        POSTED = "posted", _("Posted")

    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default="open")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    posted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("count batch")
        verbose_name_plural = _("count batches")
        indexes = [models.Index(fields=["property", "status"])]


class StockCount(models.Model):
    """A blind count of one location: the counter sees no expected quantity until the sheet
    is submitted; the manager approves the variances into count movements."""

    class Status(models.TextChoices):
        OPEN = "open", _("Being counted")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")

    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(StockLocation, on_delete=models.PROTECT, related_name="counts")
    batch = models.ForeignKey(
        StockCountBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="counts"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default="open")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("stock count")
        verbose_name_plural = _("stock counts")
        indexes = [models.Index(fields=["property", "status"])]


class StockCountLine(models.Model):
    count = models.ForeignKey(StockCount, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(StockItem, on_delete=models.PROTECT, related_name="+")
    counted = models.DecimalField(_("counted"), **QUANTITY)
    # set when the sheet is submitted, from the ledger at that moment
    expected = models.DecimalField(_("expected"), null=True, **QUANTITY)
    unit_cost = models.DecimalField(_("unit cost"), null=True, **UNIT_COST)

    class Meta:
        ordering = ["count", "item"]
        constraints = [
            models.UniqueConstraint(fields=["count", "item"], name="count_line_unique"),
            models.CheckConstraint(condition=Q(counted__gte=0), name="count_not_negative"),
        ]

    @property
    def variance(self) -> Decimal | None:
        return None if self.expected is None else self.counted - self.expected

    @property
    def variance_value(self) -> Decimal | None:
        if self.expected is None or self.unit_cost is None:
            return None
        return (self.variance * self.unit_cost).quantize(Decimal("0.01"))
