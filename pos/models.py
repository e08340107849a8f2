"""Selling on site: outlets, terminals, orders."""

import uuid

from django.conf import settings
from django.db import models
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

    class Meta:
        ordering = ["outlet", "name"]
        verbose_name = _("terminal")
        verbose_name_plural = _("terminals")

    def __str__(self) -> str:
        return f"{self.outlet} · {self.name}"


class Order(TimeStampedModel):
    """A POS sale being built and then checked out into a billing ticket (or a folio)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PAID = "paid", _("Paid")
        CHARGED_TO_ROOM = "charged_to_room", _("Charged to room")
        CANCELLED = "cancelled", _("Cancelled")
        REFUNDED = "refunded", _("Refunded")

    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="orders")
    outlet = models.ForeignKey(Outlet, on_delete=models.PROTECT, related_name="orders")
    terminal = models.ForeignKey(
        Terminal, on_delete=models.PROTECT, null=True, blank=True, related_name="orders"
    )
    client_key = models.CharField(max_length=100, null=True, blank=True, unique=True)
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
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
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
    )
    refund_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["property", "status"])]

    def __str__(self) -> str:
        return f"Order {self.pk}"
