"""Selling on site: outlets, terminals, orders."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import formats, timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from core.models import Property, TimeStampedModel


class Outlet(TimeStampedModel):
    class Kind(models.TextChoices):
        BAR = "bar", _("Bar")
        RESTAURANT = "restaurant", _("Restaurant")
        SPA = "spa", _("Spa")
        SHOP = "shop", _("Shop")
        POOL = "pool", _("Pool")
        RECEPTION = "reception", _("Reception")

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="outlets")
    code = models.SlugField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    is_active = models.BooleanField(_("active"), default=True)
    # where its sales take their ingredients from (none: its sales touch no stock)
    stock_location = models.ForeignKey(
        "inventory.StockLocation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outlets",
        verbose_name=_("stock location"),
    )
    # the outlet's menu: the categories its terminals show (none chosen: every category)
    categories = models.ManyToManyField(
        "inventory.Category", blank=True, related_name="outlets", verbose_name=_("categories")
    )
    # the products on the outlet's quick keys (its till's first screen)
    quick_keys = models.ManyToManyField(
        "inventory.Product",
        blank=True,
        related_name="quick_key_outlets",
        verbose_name=_("quick keys"),
    )
    # the kitchen display's age timer: a ticket waiting this long turns amber, then red
    kds_amber_minutes = models.PositiveSmallIntegerField(
        _("ticket amber after (minutes)"), default=10
    )
    kds_red_minutes = models.PositiveSmallIntegerField(_("ticket red after (minutes)"), default=20)
    # guests ordering from their phone (QR codes at the tables and in the rooms)
    guest_orders_paused = models.BooleanField(
        _("online orders paused"),
        default=False,
        help_text=_("The emergency switch: the QR menus show the menu but take no order."),
    )
    guest_orders_need_acceptance = models.BooleanField(
        _("a waiter accepts each table order"),
        default=True,
        help_text=_("Unticked: a table order goes to the kitchen at once."),
    )
    guest_orders_max_open = models.PositiveSmallIntegerField(
        _("most guest orders open at once"),
        default=15,
        help_text=_("Beyond it, guests are asked to wait: the kitchen is not flooded."),
    )
    opens_at = models.TimeField(_("opens at"), null=True, blank=True)
    kitchen_closes_at = models.TimeField(
        _("kitchen closes at"),
        null=True,
        blank=True,
        help_text=_("After it, the QR menu takes no order (empty: open all day)."),
    )
    room_service_opens_at = models.TimeField(_("room service from"), null=True, blank=True)
    room_service_closes_at = models.TimeField(
        _("room service until"),
        null=True,
        blank=True,
        help_text=_("The hours of the rooms' QR codes, within the kitchen's (empty: the same)."),
    )
    room_service_fee = models.ForeignKey(
        "inventory.Product",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("delivery fee"),
        help_text=_("A product of the catalogue (its price and VAT) added to each room's order."),
    )
    # click-and-collect: the pickup slots of the day (within opens_at–kitchen_closes_at)
    collect_slot_minutes = models.PositiveSmallIntegerField(
        _("pickup slot length (minutes)"), default=15
    )
    collect_slot_capacity = models.PositiveSmallIntegerField(
        _("orders per pickup slot"),
        default=4,
        help_text=_("What the kitchen can prepare for one pickup time."),
    )
    collect_lead_minutes = models.PositiveSmallIntegerField(
        _("first pickup after (minutes)"),
        default=20,
        help_text=_("How long the kitchen needs before the first pickup time it offers."),
    )
    collect_days_ahead = models.PositiveSmallIntegerField(
        _("pickup up to (days ahead)"),
        default=0,
        help_text=_("0: today only. The days the outlet is closed are not offered."),
    )
    # ISO weekdays (1 Monday … 7 Sunday) the outlet is closed: no pickup offered on them
    collect_closed_weekdays = models.JSONField(_("closed on"), default=list, blank=True)
    collect_pay_at_pickup = models.BooleanField(
        _("guests may pay at pickup"),
        default=False,
        help_text=_("The order is placed unpaid and paid at the counter when collected."),
    )
    collect_grace_minutes = models.PositiveSmallIntegerField(
        _("kept after the pickup slot (minutes)"),
        default=30,
        help_text=_(
            "An order to pay at pickup not collected by then is released (its place and its "
            "stock back on sale) and marked not collected."
        ),
    )
    # a later day's click-and-collect order reaches the stations this long before its pickup
    collect_kitchen_lead_minutes = models.PositiveSmallIntegerField(
        _("to the kitchen before a later day's pickup (minutes)"),
        default=30,
        help_text=_(
            "An order for a later day reaches the kitchen display and printers on its day, "
            "this long before its pickup time. Today's orders go at once."
        ),
    )
    # a kiosk's ticket to pay at the counter, never paid, is cancelled (docs/guest-ordering.md)
    kiosk_counter_minutes = models.PositiveSmallIntegerField(
        _("a kiosk ticket unpaid at the counter is cancelled after (minutes)"),
        default=0,
        help_text=_("0: at the end of the service (the kitchen's closing time, else midnight)."),
    )
    # what a waiter sells but a guest's phone or the kiosk does not offer (bottle service…)
    guest_menu_excluded = models.ManyToManyField(
        "inventory.Product",
        blank=True,
        related_name="+",
        verbose_name=_("not on the QR menus and the kiosk"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("outlet")
        verbose_name_plural = _("outlets")
        constraints = [
            models.UniqueConstraint(fields=["property", "code"], name="outlet_code_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Terminal(TimeStampedModel):
    """A till or tablet of an outlet. A browser is bound to it by a signed cookie."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="terminals")
    outlet = models.ForeignKey(Outlet, on_delete=models.PROTECT, related_name="terminals")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    printer = models.ForeignKey(
        "devices.Printer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="terminals",
        verbose_name=_("receipt printer"),
        help_text=_("Receipts on request, and the cash drawer attached to it."),
    )
    card_reader = models.ForeignKey(
        "devices.CardReader",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="terminals",
        verbose_name=_("card terminal"),
        help_text=_(
            "The card tender sends the amount to it; without one, it asks for the "
            "terminal reference."
        ),
    )

    class Meta:
        ordering = ["outlet", "name"]
        verbose_name = _("terminal")
        verbose_name_plural = _("terminals")

    def __str__(self) -> str:
        return f"{self.outlet} · {self.name}"


class TerminalPairingCode(models.Model):
    """A short code a manager's screen shows to bind a new tablet to a terminal (issue 21):
    typed on the tablet by whoever is signed in there, it binds that browser. It lasts 10
    minutes and is used once (pos.services.pairing)."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="+")
    terminal = models.ForeignKey(Terminal, on_delete=models.CASCADE, related_name="pairing_codes")
    code = models.CharField(max_length=12)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["property", "code"], name="pairing_code_lookup")]

    def __str__(self) -> str:
        return f"{self.terminal} · {self.code}"


class DevicePairing(models.Model):
    """A short code a new tablet shows (with its QR) to be bound to a terminal (issue 21):
    the manager types or scans it on the outlets screen and picks the terminal; the tablet,
    which asks every few seconds, then receives the terminal's cookie. The tablet is known by
    a secret in its own cookie (its hash here). The code lasts 10 minutes and binds once;
    the tablet collects the binding once (pos.services.pairing)."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(max_length=12)
    secret_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    terminal = models.ForeignKey(
        Terminal, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    bound_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    bound_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["property", "code"], name="device_pairing_lookup")]

    def __str__(self) -> str:
        return self.code


class Order(TimeStampedModel):
    """A POS sale being built and then checked out into a billing ticket (or a folio)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PAID = "paid", _("Paid")
        CHARGED_TO_ROOM = "charged_to_room", _("Charged to room")
        CANCELLED = "cancelled", _("Cancelled")
        REFUNDED = "refunded", _("Refunded")

    # Indexes (issue 28): only those a query uses — the property's by (property, status), the
    # replay's by client_key (a unique constraint: no LIKE index), the receipt's by ticket,
    # a guest's and a stay's orders, the admin's outlet filter, the default ordering.
    property = models.ForeignKey(
        Property, on_delete=models.PROTECT, related_name="orders", db_index=False
    )
    outlet = models.ForeignKey(Outlet, on_delete=models.PROTECT, related_name="orders")
    terminal = models.ForeignKey(
        Terminal,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        db_index=False,
    )
    client_key = models.CharField(max_length=100, null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    ticket = models.OneToOneField(
        "billing.Ticket", on_delete=models.PROTECT, null=True, blank=True, related_name="order"
    )
    reservation = models.ForeignKey(
        "pms.Reservation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pos_orders",
    )
    guest = models.ForeignKey(
        "crm.Guest", on_delete=models.PROTECT, null=True, blank=True, related_name="pos_orders"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    table_label = models.CharField(max_length=30, blank=True)
    covers = models.PositiveSmallIntegerField(default=0)
    business_date = models.DateField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    refunded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    refund_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["property", "status"])]
        constraints = [
            models.UniqueConstraint(fields=["client_key"], name="pos_order_client_key_unique")
        ]

    def __str__(self) -> str:
        return f"Order {self.pk}"


class Table(TimeStampedModel):
    """A table of a restaurant or bar outlet, placed on the floor plan (grid column/row)."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="pos_tables")
    outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, related_name="tables")
    label = models.CharField(_("label"), max_length=30)
    seats = models.PositiveSmallIntegerField(_("seats"), default=2)
    pos_x = models.PositiveSmallIntegerField(_("column"), default=1)
    pos_y = models.PositiveSmallIntegerField(_("row"), default=1)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["outlet", "pos_y", "pos_x", "label"]
        verbose_name = _("table")
        verbose_name_plural = _("tables")
        constraints = [
            models.UniqueConstraint(fields=["outlet", "label"], name="table_label_unique")
        ]

    def __str__(self) -> str:
        return self.label


class TableTab(TimeStampedModel):
    """What a table has ordered since it was opened; checked out into an Order at payment
    with its own client_key (a double tap on Pay never sells twice)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="table_tabs")
    table = models.ForeignKey(Table, on_delete=models.PROTECT, related_name="tabs")
    covers = models.PositiveSmallIntegerField(_("covers"), default=1)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    client_key = models.CharField(max_length=100, unique=True, default=uuid.uuid4)
    order = models.OneToOneField(
        Order, on_delete=models.PROTECT, null=True, blank=True, related_name="tab"
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    # courses up to this one go to the stations on "send"; later ones are held until fired
    fired_course = models.PositiveSmallIntegerField(default=0)
    # split by cover: the number of equal parts chosen (0: not split by cover)
    split_parts = models.PositiveSmallIntegerField(default=0)
    guest = models.ForeignKey(
        "crm.Guest", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reservation = models.ForeignKey(
        "pms.Reservation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["table"],
                condition=models.Q(status="open"),
                name="one_open_tab_per_table",
            )
        ]


class KitchenTicket(TimeStampedModel):
    """The lines of a tab sent to one station (kitchen, bar), shown on its display until bumped;
    or those of a guest's own order sold at once (a room's tray, a kiosk's ticket): no tab."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        BUMPED = "bumped", _("Done")

    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="kitchen_tickets")
    tab = models.ForeignKey(
        TableTab, on_delete=models.PROTECT, null=True, blank=True, related_name="kitchen_tickets"
    )
    guest_order = models.ForeignKey(
        "GuestOrder",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="kitchen_tickets",
    )
    station = models.CharField(max_length=20)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    bumped_at = models.DateTimeField(null=True, blank=True)
    course = models.PositiveSmallIntegerField(default=1)
    # the waiter took the ready dishes to the table (clears "ready" on the floor plan)
    served_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["property", "station", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(tab__isnull=False) | models.Q(guest_order__isnull=False),
                name="kitchen_ticket_of_a_tab_or_a_guest_order",
            )
        ]


class TabLine(TimeStampedModel):
    """A dish for the stations: a table's (on its tab), or a guest's own order sold at once
    (no tab: `guest_order` names it)."""

    tab = models.ForeignKey(
        TableTab, on_delete=models.CASCADE, null=True, blank=True, related_name="lines"
    )
    product = models.ForeignKey("inventory.Product", on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(max_digits=10, decimal_places=3, default=1)
    modifier_ids = models.JSONField(default=list, blank=True)
    description = models.CharField(max_length=300)
    note = models.CharField(max_length=200, blank=True)
    kitchen_ticket = models.ForeignKey(
        KitchenTicket, on_delete=models.PROTECT, null=True, blank=True, related_name="lines"
    )
    course = models.PositiveSmallIntegerField(default=1)
    # the guest's place at the table (0: for the table), for the kitchen and the split by item
    seat = models.PositiveSmallIntegerField(default=0)
    # the cook marked this dish ready (the ticket is bumped when all its dishes are)
    bumped_at = models.DateTimeField(null=True, blank=True)
    discount_percent = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    # a line sent to the kitchen is never deleted: it is voided (manager PIN and reason)
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    void_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    void_reason = models.CharField(max_length=200, blank=True)
    # split by item: the part that paid this line
    paid_part = models.ForeignKey(
        "TabPart", on_delete=models.PROTECT, null=True, blank=True, related_name="paid_lines"
    )
    # the guest's own order (QR menu) this line came from: its status follows the line
    guest_order = models.ForeignKey(
        "GuestOrder", on_delete=models.PROTECT, null=True, blank=True, related_name="tab_lines"
    )

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(tab__isnull=False) | models.Q(guest_order__isnull=False),
                name="tabline_of_a_tab_or_a_guest_order",
            ),
            models.CheckConstraint(
                condition=models.Q(discount_percent__gte=0, discount_percent__lte=100),
                name="tabline_discount_percent_range",
            ),
        ]


class TabPart(TimeStampedModel):
    """One part of a split bill, paid on its own: its own Order, ticket and client_key
    (a double tap on Pay never sells the part twice). `allocation` is {line_id: amount}
    for parts split by cover or amount (each line's share, so parts sum to the lines)."""

    class Kind(models.TextChoices):
        FULL = "full", _("Whole bill")
        ITEMS = "items", _("By item")
        COVER = "cover", _("By cover")
        AMOUNT = "amount", _("By amount")

    tab = models.ForeignKey(TableTab, on_delete=models.PROTECT, related_name="parts")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    allocation = models.JSONField(default=dict, blank=True)
    client_key = models.CharField(max_length=100, unique=True)
    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="tab_part")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]


class CashSession(TimeStampedModel):
    """A till's drawer from opening (float) to closing (blind count): the difference between
    what was counted and what the sales say is recorded, never edited afterwards."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="cash_sessions")
    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, related_name="cash_sessions")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    business_date = models.DateField()
    opening_float = models.DecimalField(max_digits=12, decimal_places=2)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField()
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    counted_cash = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    expected_cash = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    difference = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    totals = models.JSONField(default=dict, blank=True)
    # the blind count per method, written once at closing: {method: {counted, expected,
    # difference, detail: {face value: pieces}}} (pos.services.cash.cash_session_close)
    counts = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["terminal"],
                condition=models.Q(status="open"),
                name="one_open_cash_session_per_terminal",
            )
        ]


class CashMovement(models.Model):
    """Cash put into or taken out of an open drawer for another reason than a sale (change
    brought from the safe, a supplier paid from the till, a bank deposit): signed amount, a
    required reason, who and when. Insert-only; counted in the session's expected cash."""

    class Direction(models.TextChoices):
        IN = "in", _("Cash in")
        OUT = "out", _("Cash out")

    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(CashSession, on_delete=models.PROTECT, related_name="movements")
    business_date = models.DateField()
    direction = models.CharField(max_length=3, choices=Direction.choices)
    amount = models.DecimalField(
        max_digits=12, decimal_places=2, help_text=_("signed: negative for cash out")
    )
    reason = models.CharField(_("reason"), max_length=200)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["property", "business_date"])]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(direction="in", amount__gt=0) | models.Q(direction="out", amount__lt=0)
                ),
                name="cash_movement_sign_matches_direction",
            ),
            models.CheckConstraint(
                condition=~models.Q(reason=""), name="cash_movement_reason_required"
            ),
        ]


class StationPrinter(TimeStampedModel):
    """Where a kitchen or bar station's tickets are printed on "send" (besides its display)."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="+")
    station = models.CharField(_("station"), max_length=20)
    printer = models.ForeignKey(
        "devices.Printer",
        on_delete=models.CASCADE,
        related_name="stations",
        verbose_name=_("printer"),
    )

    class Meta:
        ordering = ["station"]
        verbose_name = _("station printer")
        verbose_name_plural = _("station printers")
        constraints = [
            models.UniqueConstraint(fields=["property", "station"], name="station_printer_unique")
        ]

    def __str__(self) -> str:
        return f"{self.station} → {self.printer}"


class OfflineDevice(TimeStampedModel):
    """A terminal's browser paired for offline selling (POS-9): the HMAC key it signs its
    offline tickets with, and where its ticket chain stands on the server (last sequence
    and hash verified). Each pairing is a new device with its own series: a browser that
    lost its storage never continues another's chain."""

    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="+")
    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, related_name="offline_devices")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    key = models.CharField(max_length=64)
    paired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    last_sequence = models.PositiveIntegerField(default=0)
    last_hash = models.CharField(max_length=64, blank=True)
    last_sync_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("offline device")
        verbose_name_plural = _("offline devices")

    def __str__(self) -> str:
        return str(self.terminal)

    def label(self) -> str:
        """How a device is named in the journal, the JET, the receipts and the manager's
        screen: its outlet and till, and the start of its id (a till paired twice)."""
        return f"{self.terminal.outlet.name} · {self.terminal.name} · {str(self.public_id)[:8]}"


class OfflineTicket(models.Model):
    """One sale a device made offline, as it arrived: its number in the device's own
    gap-free series, its chain hash and signature, and what the server made of it (the
    order it became, or why it was refused). Append-only: written once at sync."""

    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")
        REFUSED = "refused", _("Refused")

    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="+")
    device = models.ForeignKey(OfflineDevice, on_delete=models.PROTECT, related_name="tickets")
    sequence = models.PositiveIntegerField()
    client_key = models.CharField(max_length=100, unique=True)
    sold_at = models.DateTimeField()
    payload = models.JSONField(default=dict)
    previous_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)
    signature = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices)
    reason = models.CharField(max_length=200, blank=True)
    order = models.OneToOneField(
        Order, on_delete=models.PROTECT, null=True, blank=True, related_name="offline_ticket"
    )
    sync = models.ForeignKey("OfflineSync", on_delete=models.PROTECT, related_name="tickets")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["device", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["device", "sequence"], name="offline_ticket_sequence_unique"
            )
        ]


class OfflineOperation(models.Model):
    """A tab event a device recorded offline (a line added, a line voided), applied once at
    sync through the tab services; `client_key` makes a replay a no-op."""

    class Kind(models.TextChoices):
        ADD = "tab.add", _("Line added")
        VOID = "tab.void", _("Line voided")

    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="+")
    device = models.ForeignKey(OfflineDevice, on_delete=models.PROTECT, related_name="operations")
    client_key = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    payload = models.JSONField(default=dict)
    line = models.ForeignKey(TabLine, on_delete=models.PROTECT, null=True, blank=True)
    status = models.CharField(max_length=10, choices=OfflineTicket.Status.choices)
    reason = models.CharField(max_length=200, blank=True)
    sync = models.ForeignKey("OfflineSync", on_delete=models.PROTECT, related_name="operations")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["pk"]


class OfflineSync(models.Model):
    """One upload of a device's queue: when, the offline period it covers (first to last
    sale made offline), and what came of it. The manager's sync history."""

    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="+")
    device = models.ForeignKey(OfflineDevice, on_delete=models.PROTECT, related_name="syncs")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    offline_from = models.DateTimeField(null=True, blank=True)
    offline_until = models.DateTimeField(null=True, blank=True)
    applied = models.PositiveIntegerField(default=0)
    replayed = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)
    conflicts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-pk"]


class OfflineConflict(models.Model):
    """What an offline sale could not do as it was made: a unit sold meanwhile online (the
    sale stands, the unit is booked here, outside the capacity count), a room charged
    after its guest checked out (posted to the closed stay's folio as an open balance).
    Resolved by a manager; reporting turns the unresolved ones into alerts."""

    class Kind(models.TextChoices):
        OVERSOLD = "oversold", _("Sold meanwhile online")
        CHECKED_OUT = "checked_out", _("Guest checked out")
        NO_ROOM = "no_room", _("Room not in house")
        TITLE_RULE = "title_rule", _("Titres-restaurant over the rules")

    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="+")
    ticket = models.ForeignKey(OfflineTicket, on_delete=models.PROTECT, related_name="conflicts")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]


class GuestOrderPoint(TimeStampedModel):
    """A QR code of a table or a room: where a guest's phone orders from. The printed code
    holds a signed token of the point and its `version`; rotating the code (a sheet lost,
    a code photographed) bumps the version and every older print stops working."""

    class Kind(models.TextChoices):
        TABLE = "table", _("Table")
        ROOM = "room", _("Room")
        KIOSK = "kiosk", _("Kiosk")
        COLLECT = "collect", _("Click and collect")

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="+")
    outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, related_name="guest_points")
    # the outlet's guest-ordering terminal: a guest's sale is numbered like any other
    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=7, choices=Kind.choices)
    table = models.OneToOneField(
        Table, on_delete=models.CASCADE, null=True, blank=True, related_name="guest_point"
    )
    room = models.ForeignKey(
        "pms.Room", on_delete=models.CASCADE, null=True, blank=True, related_name="guest_points"
    )
    version = models.PositiveIntegerField(default=1)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["outlet", "kind", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["outlet", "room"], name="guest_point_room_unique"),
            models.CheckConstraint(
                condition=(models.Q(kind="table", table__isnull=False, room__isnull=True))
                | models.Q(kind="room", room__isnull=False, table__isnull=True)
                | models.Q(kind="kiosk", room__isnull=True, table__isnull=True)
                | models.Q(kind="collect", room__isnull=True, table__isnull=True),
                name="guest_point_table_or_room",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @cached_property
    def label(self) -> str:
        if self.kind == self.Kind.TABLE:
            return str(_("Table %(label)s") % {"label": self.table.label})
        if self.kind == self.Kind.KIOSK:
            return str(_("Kiosk"))
        if self.kind == self.Kind.COLLECT:
            return str(_("Click and collect"))
        return str(_("Room %(number)s") % {"number": self.room.number})


class PickupSlot(TimeStampedModel):
    """A pickup time of an outlet's click-and-collect, made when a guest first takes it,
    with the capacity the outlet had then. Orders holding it are counted under its row
    lock (pos.lock_objects.pickup_slot_for_update): never more than `capacity`."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="+")
    outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, related_name="pickup_slots")
    starts_at = models.DateTimeField()
    capacity = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["outlet", "starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["outlet", "starts_at"], name="pickup_slot_unique")
        ]

    def __str__(self) -> str:
        return f"{self.outlet} {self.starts_at:%Y-%m-%d %H:%M}"


class GuestOrder(TimeStampedModel):
    """What a guest ordered from a QR menu. At a table it joins the table's tab (once a
    waiter accepts it, when the outlet asks for that); in a room it is a sale charged to
    the stay's folio. `client_key` is the page's key: a phone resubmitting orders once."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        ACCEPTED = "accepted", _("Accepted")
        REFUSED = "refused", _("Refused")
        CHARGED = "charged", _("Charged to the room")
        PAID = "paid", _("Paid")
        AWAITING_PAYMENT = "awaiting_pay", _("Awaiting payment")
        ON_ITS_WAY = "on_its_way", _("On its way")
        READY = "ready", _("Ready for pickup")
        HANDED_OVER = "handed_over", _("Handed over")
        TO_PAY = "to_pay", _("To pay at pickup")
        NO_SHOW = "no_show", _("Not collected")
        # a kiosk's order left unpaid (walked away at the card terminal or the counter)
        CANCELLED = "cancelled", _("Cancelled, not paid")

    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="+")
    outlet = models.ForeignKey(Outlet, on_delete=models.PROTECT, related_name="guest_orders")
    point = models.ForeignKey(GuestOrderPoint, on_delete=models.PROTECT, related_name="orders")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client_key = models.CharField(max_length=100, unique=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RECEIVED)
    # [{"product_id", "quantity", "modifier_ids", "note", "description", "total"}]
    lines = models.JSONField(default=list)
    total = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    tab = models.ForeignKey(
        TableTab, on_delete=models.PROTECT, null=True, blank=True, related_name="guest_orders"
    )
    order = models.OneToOneField(
        Order, on_delete=models.PROTECT, null=True, blank=True, related_name="guest_order"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    refusal_reason = models.CharField(max_length=200, blank=True)
    # a room's order paid by card online (no guest in house to charge): the provider's intent
    intent_id = models.CharField(max_length=100, blank=True)
    # click-and-collect: the pickup time held, who collects it and where the e-mails go
    pickup_slot = models.ForeignKey(
        "PickupSlot", on_delete=models.PROTECT, null=True, blank=True, related_name="orders"
    )
    customer_name = models.CharField(max_length=100, blank=True)
    customer_email = models.EmailField(blank=True)
    language = models.CharField(max_length=8, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    handed_over_at = models.DateTimeField(null=True, blank=True)
    # an order to pay at pickup: its place and stock are held until then (then a no-show)
    hold_until = models.DateTimeField(null=True, blank=True)
    # a later day's click-and-collect order: when the beat sends it to the stations (then
    # cleared); empty for an order sent at once
    kitchen_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["outlet", "status"])]

    @cached_property
    def number(self) -> str:
        """The ticket number a kiosk shows and the counter calls (three digits)."""
        return f"{self.pk % 1000:03d}"

    def pickup_words(self, *, short: bool = False) -> str:
        """A click-and-collect order's pickup time: "12:30" today, else with its day
        ("Friday 4 December 12:30"; `short`: "04/12 12:30", for the kitchen's ticket)."""
        at = timezone.localtime(self.pickup_slot.starts_at, self.property.tz)
        if at.date() == timezone.localtime(timezone.now(), self.property.tz).date():
            return at.strftime("%H:%M")
        day = at.strftime("%d/%m") if short else formats.date_format(at, "l j F")
        return f"{day} {at:%H:%M}"

    def place(self) -> str:
        """Where it goes, for the stations: its room, the kiosk's number, or its table."""
        if self.point.kind == GuestOrderPoint.Kind.KIOSK:
            return str(_("Kiosk · %(number)s") % {"number": self.number})
        if self.point.kind == GuestOrderPoint.Kind.COLLECT and self.pickup_slot_id:
            return str(
                _("Takeaway · %(time)s · %(name)s")
                % {"time": self.pickup_words(short=True), "name": self.customer_name}
            )
        if self.point.kind == GuestOrderPoint.Kind.ROOM:
            return str(_("Room %(number)s") % {"number": self.point.room.number})
        return str(_("Table %(label)s") % {"label": self.point.table.label})


class OnlineGiftCardOffer(TimeStampedModel):
    """An amount of a gift-card product the booking engine offers (the manager's screen,
    /manage/gift-cards-online/). An offer a purchase names is switched off, never deleted."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(
        "inventory.Product", on_delete=models.PROTECT, related_name="online_gift_card_offers"
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["product_id", "amount"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "amount"], name="onlinegiftcardoffer_product_amount_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="onlinegiftcardoffer_amount_positive"
            ),
        ]


class OnlineGiftCardPurchase(TimeStampedModel):
    """A gift card bought in the booking engine and paid on the card provider's page. The
    card is issued (a sale on the reception's till) only when the provider says the payment
    succeeded, once: `order` is set under this row's lock."""

    class Status(models.TextChoices):
        AWAITING_PAYMENT = "awaiting", _("Awaiting payment")
        PAID = "paid", _("Paid, card issued")
        EXPIRED = "expired", _("Payment not completed")
        REFUSED = "refused", _("Refused, refunded")

    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="+")
    offer = models.ForeignKey(OnlineGiftCardOffer, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client_key = models.CharField(max_length=100, unique=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.AWAITING_PAYMENT
    )
    buyer_first_name = models.CharField(max_length=100)
    buyer_last_name = models.CharField(max_length=100)
    buyer_email = models.EmailField()
    recipient_name = models.CharField(max_length=200, blank=True)
    recipient_email = models.EmailField(blank=True)
    language = models.CharField(max_length=2, default="fr")
    intent_id = models.CharField(max_length=100, unique=True)
    decline_message = models.CharField(max_length=300, blank=True)
    order = models.OneToOneField(
        Order, on_delete=models.PROTECT, null=True, blank=True, related_name="online_gift_card"
    )

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["status", "created_at"])]
