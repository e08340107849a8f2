"""Channel sync: iCalendar feeds we publish (ChannelFeed) and feeds we import from OTAs
(ChannelConnection -> ChannelPull -> ChannelBlock), with alerts for anything a human must see."""

import secrets
import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import Property, TimeStampedModel


def new_token() -> str:
    return secrets.token_urlsafe(32)


class ChannelFeed(TimeStampedModel):
    """A secret URL publishing the busy nights of one room or one room type to one channel."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="channel_feeds")
    room = models.ForeignKey(
        "pms.Room", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    room_type = models.ForeignKey(
        "pms.RoomType", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    channel_name = models.CharField(_("channel"), max_length=50)
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["property", "channel_name", "pk"]
        verbose_name = _("published calendar")
        verbose_name_plural = _("published calendars")
        constraints = [
            models.CheckConstraint(
                condition=(Q(room__isnull=False) & Q(room_type__isnull=True))
                | (Q(room__isnull=True) & Q(room_type__isnull=False)),
                name="channel_feed_room_xor_type",
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel_name} / {self.room or self.room_type}"


class ChannelConnection(TimeStampedModel):
    """An OTA calendar we import into one room."""

    class Kind(models.TextChoices):
        AIRBNB = "airbnb", "Airbnb"
        BOOKING = "booking", "Booking.com"
        VRBO = "vrbo", "Vrbo / Abritel"
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        NEVER = "never", _("Never pulled")
        OK = "ok", _("OK")
        FAILED = "failed", _("Failed")
        SUSPICIOUS = "suspicious", _("Suspicious: not applied")

    property = models.ForeignKey(
        Property, on_delete=models.CASCADE, related_name="channel_connections"
    )
    room = models.ForeignKey("pms.Room", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("channel"), max_length=10, choices=Kind.choices)
    url = models.URLField(_("calendar URL"), max_length=1000)
    interval_minutes = models.PositiveIntegerField(_("pull every (minutes)"), default=30)
    # lifts the SSRF guard for this connection only: a superuser's switch in the admin,
    # audited (channels_sync.services.imports.connection_private_addresses_set)
    allow_private_addresses = models.BooleanField(
        _("allow private addresses"),
        default=False,
        help_text=_(
            "Let this feed be downloaded from a private or loopback address (a calendar "
            "served on the hotel's own network). Off unless you know why: it lifts the "
            "protection against requests to internal services."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    guest = models.ForeignKey(
        "crm.Guest", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    last_pull_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEVER)
    last_message = models.CharField(max_length=500, blank=True)
    next_pull_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["property", "room", "kind"]
        verbose_name = _("channel connection")
        verbose_name_plural = _("channel connections")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.room}"


class ChannelPull(models.Model):
    """One download of a connection's feed: the raw bytes kept, and what it changed."""

    connection = models.ForeignKey(
        ChannelConnection, on_delete=models.CASCADE, related_name="pulls"
    )
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=ChannelConnection.Status.choices, default="never"
    )
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    raw = models.TextField(blank=True)
    events = models.PositiveIntegerField(default=0)
    added = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    conflicts = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]


class ChannelBlock(TimeStampedModel):
    """One event of an imported feed, upserted by UID, and the reservation it became."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CANCELLED = "cancelled", _("Cancelled")
        CONFLICT = "conflict", _("Conflict: not booked")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    connection = models.ForeignKey(
        ChannelConnection, on_delete=models.CASCADE, related_name="blocks"
    )
    uid = models.CharField(max_length=500)
    start = models.DateField()
    end = models.DateField()
    summary = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    reservation = models.ForeignKey(
        "pms.Reservation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["start", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "uid"], name="channel_block_uid_unique")
        ]


class ChannelAlert(models.Model):
    class Kind(models.TextChoices):
        FAILED = "failed", _("Pull failed")
        SUSPICIOUS = "suspicious", _("Suspicious feed")
        CONFLICT = "conflict", _("Conflict")

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="+")
    connection = models.ForeignKey(
        ChannelConnection, on_delete=models.CASCADE, related_name="alerts"
    )
    pull = models.ForeignKey(
        ChannelPull, on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    uid = models.CharField(max_length=500, blank=True)
    message = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
