"""Rooms and stays: room types, rooms, reservations, assignments, restrictions."""

import uuid
from functools import cached_property

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core.images import photo_storage
from core.models import Property, TimeStampedModel
from core.money import money_field
from inventory.models import Channel, Product, TranslatedNameMixin


class RoomType(TranslatedNameMixin, TimeStampedModel):
    """A kind of room. Its nights are the `product` sold through every channel, whose capacity
    pool holds one bucket per night sized to the rooms in service."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="room_types")
    code = models.SlugField(_("code"), max_length=20)
    name_fr = models.CharField(_("name (French)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    product = models.OneToOneField(Product, on_delete=models.PROTECT, related_name="room_type")
    base_occupancy = models.PositiveSmallIntegerField(_("base occupancy"), default=2)
    max_occupancy = models.PositiveSmallIntegerField(_("maximum occupancy"), default=2)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("room type")
        verbose_name_plural = _("room types")
        constraints = [
            models.UniqueConstraint(fields=["property", "code"], name="room_type_code_unique")
        ]


class Room(TimeStampedModel):
    class Housekeeping(models.TextChoices):
        CLEAN = "clean", _("Clean")
        DIRTY = "dirty", _("Dirty")
        INSPECTED = "inspected", _("Inspected")

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="rooms")
    room_type = models.ForeignKey(RoomType, on_delete=models.PROTECT, related_name="rooms")
    number = models.CharField(_("number"), max_length=10)
    floor = models.SmallIntegerField(_("floor"), default=0)
    features = models.CharField(_("features"), max_length=200, blank=True)
    housekeeping_status = models.CharField(
        _("housekeeping"), max_length=10, choices=Housekeeping.choices, default=Housekeeping.CLEAN
    )
    is_active = models.BooleanField(_("in service"), default=True)
    # who set the housekeeping status last, and when (shown on the housekeeping phone)
    housekeeping_changed_at = models.DateTimeField(null=True, blank=True)
    housekeeping_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["property", "number"]
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        constraints = [
            models.UniqueConstraint(fields=["property", "number"], name="room_number_unique")
        ]

    def __str__(self) -> str:
        return self.number


class RoomTypePhoto(TimeStampedModel):
    """A photo of a room type for the booking engine, in the manager's order, with its text
    for readers who cannot see it. Files are cleaned copies (core.images.photo_store)."""

    @property
    def alt(self) -> str:  # before the `property` field, which hides the builtin
        if (get_language() or "fr").startswith("en") and self.alt_en:
            return self.alt_en
        return self.alt_fr

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="+")
    room_type = models.ForeignKey(RoomType, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(_("photo"), storage=photo_storage, max_length=200)
    small = models.FileField(storage=photo_storage, max_length=200)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    alt_fr = models.CharField(_("description (French)"), max_length=200)
    alt_en = models.CharField(_("description (English)"), max_length=200, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["room_type", "sort_order", "pk"]
        verbose_name = _("room type photo")
        verbose_name_plural = _("room type photos")
        indexes = [models.Index(fields=["room_type", "sort_order"])]


class RoomOutOfOrder(TimeStampedModel):
    """A room taken out of sale over [start, end): the room type sells one unit less."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="out_of_order")
    start = models.DateField(_("from"))
    end = models.DateField(_("until (exclusive)"))
    reason = models.CharField(_("reason"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["start"]
        indexes = [models.Index(fields=["room", "start"])]
        verbose_name = _("out-of-order period")
        verbose_name_plural = _("out-of-order periods")
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="ooo_dates_ordered")
        ]


class Restriction(models.Model):
    """Minimum stay and closed to arrival/departure for a day (PMS-4); room_type empty = all."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="restrictions")
    room_type = models.ForeignKey(RoomType, on_delete=models.CASCADE, null=True, blank=True)
    day = models.DateField(_("day"))
    min_stay = models.PositiveSmallIntegerField(_("minimum stay"), null=True, blank=True)
    closed_to_arrival = models.BooleanField(_("closed to arrival"), default=False)
    closed_to_departure = models.BooleanField(_("closed to departure"), default=False)

    class Meta:
        ordering = ["day"]
        indexes = [models.Index(fields=["property", "day"])]
        verbose_name = _("restriction")
        verbose_name_plural = _("restrictions")


class Reservation(TimeStampedModel):
    class Status(models.TextChoices):
        OPTION = "option", _("Option")
        CONFIRMED = "confirmed", _("Confirmed")
        IN_HOUSE = "in_house", _("In house")
        CHECKED_OUT = "checked_out", _("Checked out")
        CANCELLED = "cancelled", _("Cancelled")
        NO_SHOW = "no_show", _("No-show")

    ACTIVE_STATUSES = (Status.OPTION, Status.CONFIRMED, Status.IN_HOUSE)

    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="reservations")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=20)
    guest = models.ForeignKey("crm.Guest", on_delete=models.PROTECT, related_name="reservations")
    company = models.ForeignKey(
        "crm.Company", on_delete=models.PROTECT, null=True, blank=True, related_name="reservations"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.CONFIRMED
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    external_reference = models.CharField(_("channel reference"), max_length=100, blank=True)
    arrival = models.DateField(_("arrival"))
    departure = models.DateField(_("departure"))
    adults = models.PositiveSmallIntegerField(_("adults"), default=1)
    children = models.PositiveSmallIntegerField(_("children"), default=0)
    notes = models.TextField(_("notes"), blank=True)
    total_price = money_field(_("total price"), default=0)
    folio = models.OneToOneField(
        "billing.Folio", on_delete=models.PROTECT, null=True, blank=True, related_name="reservation"
    )
    option_expires_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_out_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # the rate plan's guarantee and cancellation terms as agreed at booking (pms.services.
    # policies): a later change of the plan does not change a booking already made
    policy = models.JSONField(_("policy"), default=dict, blank=True)
    guarantee_note = models.CharField(_("guarantee"), max_length=200, blank=True)
    group_name = models.CharField(_("group"), max_length=100, blank=True)
    # the time the guest said they will arrive (pre-arrival page, PMS-7)
    expected_arrival_time = models.TimeField(_("expected arrival time"), null=True, blank=True)

    class Meta:
        ordering = ["arrival", "pk"]
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        constraints = [
            models.CheckConstraint(
                condition=Q(departure__gt=F("arrival")), name="reservation_dates_ordered"
            ),
            models.CheckConstraint(condition=Q(adults__gte=1), name="reservation_one_adult"),
            models.UniqueConstraint(
                fields=["property", "reference"], name="reservation_reference_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["property", "arrival"]),
            models.Index(fields=["property", "departure"]),
            models.Index(fields=["property", "status"]),
            models.Index(fields=["property", "channel", "arrival"]),
            # reporting.facts: the stays checked out since its last refresh
            models.Index(fields=["property", "checked_out_at"]),
        ]

    def __str__(self) -> str:
        return self.reference

    @cached_property
    def nights(self) -> int:
        return (self.departure - self.arrival).days


class ReservationRoom(TimeStampedModel):
    """One room of a reservation: its type, occupants, price and (once assigned) its room."""

    reservation = models.ForeignKey(Reservation, on_delete=models.CASCADE, related_name="rooms")
    room_type = models.ForeignKey(RoomType, on_delete=models.PROTECT, related_name="+")
    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, null=True, blank=True, related_name="reservation_rooms"
    )
    adults = models.PositiveSmallIntegerField(default=1)
    children = models.PositiveSmallIntegerField(default=0)
    price_total = money_field(default=0)
    # the promotion's discount as quoted (list price = price_total + discount, to the cent)
    discount = money_field(default=0)
    rate_plan_code = models.CharField(max_length=30, blank=True)
    applied_rule = models.CharField(max_length=200, blank=True)
    # {"YYYY-MM-DD": "123.00"}: the price of each night locked at booking (posted at audit)
    nightly_prices = models.JSONField(default=dict, blank=True)
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    is_cancelled = models.BooleanField(default=False)
    # the rooming list: who sleeps in this room (a group's names come later)
    guest_name = models.CharField(_("guest in this room"), max_length=200, blank=True)

    class Meta:
        ordering = ["reservation", "pk"]

    def __str__(self) -> str:
        return f"{self.reservation} / {self.room_type.code}"

    @property
    def capacity_reference(self) -> str:
        return f"pms.reservationroom:{self.pk}"


class ReservationExtra(TimeStampedModel):
    """Something booked with the stay (breakfast, a spa slot, a basket): priced and its
    capacity consumed at booking, posted to the folio at check-in."""

    reservation = models.ForeignKey(Reservation, on_delete=models.CASCADE, related_name="extras")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    description = models.CharField(max_length=300)
    quantity = models.PositiveIntegerField(default=1)
    day = models.DateField()
    slot_time = models.TimeField(null=True, blank=True)
    unit_price = money_field(default=0)
    total = money_field(default=0)
    discount = money_field(default=0)  # as quoted: list price = total + discount
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    revenue_category = models.CharField(max_length=20)
    applied_rule = models.CharField(max_length=200, blank=True)
    is_cancelled = models.BooleanField(default=False)

    class Meta:
        ordering = ["reservation", "day", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="extra_quantity_positive")
        ]

    def __str__(self) -> str:
        return f"{self.reservation} / {self.description}"

    @property
    def capacity_reference(self) -> str:
        return f"pms.reservationextra:{self.pk}"

    @property
    def folio_source(self) -> str:
        return f"pms.extra:{self.pk}"


class RoomAssignment(models.Model):
    """Room `room` is occupied by `reservation_room` over [start, end). On PostgreSQL an
    exclusion constraint (migration 0002) refuses two live assignments that overlap."""

    reservation_room = models.ForeignKey(
        ReservationRoom, on_delete=models.CASCADE, related_name="assignments"
    )
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="assignments")
    start = models.DateField()
    end = models.DateField()
    released_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="assignment_dates_ordered")
        ]
        indexes = [models.Index(fields=["room", "start"])]


class PoliceForm(TimeStampedModel):
    """The fiche individuelle de police (CESEDA R611-42) of a guest who is not a French
    national: filled at check-in (pre-filled from the booking), signed on the tablet, handed
    to the police only on their request, and purged 6 months after the arrival (beat task).
    A copy of the identity on the day: editing the guest's profile later does not change it."""

    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="police_forms")
    reservation = models.ForeignKey(
        Reservation, on_delete=models.CASCADE, related_name="police_forms"
    )
    guest = models.ForeignKey(
        "crm.Guest", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_name = models.CharField(_("last name"), max_length=100)
    first_name = models.CharField(_("first names"), max_length=100)
    birth_date = models.DateField(_("date of birth"))
    birth_place = models.CharField(_("place of birth"), max_length=100)
    nationality = models.CharField(_("nationality"), max_length=2)
    address = models.CharField(_("usual address"), max_length=300)
    phone = models.CharField(_("mobile phone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    arrival = models.DateField(_("arrival"))
    departure = models.DateField(_("planned departure"))
    children_under_15 = models.PositiveSmallIntegerField(
        _("accompanying children under 15"), default=0
    )
    # the drawn signature as a PNG data URL (a few kilobytes)
    signature = models.TextField(_("signature"))
    signed_at = models.DateTimeField(_("signed at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["arrival", "last_name", "pk"]
        verbose_name = _("police form")
        verbose_name_plural = _("police forms")
        indexes = [models.Index(fields=["property", "arrival"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(departure__gt=F("arrival")), name="police_form_dates_ordered"
            )
        ]

    def __str__(self) -> str:
        return f"{self.last_name} {self.first_name} ({self.arrival:%d/%m/%Y})"


class OnlinePayment(TimeStampedModel):
    """A payment intent at the online card provider for a booking's deposit (BE-3). Auberge
    keeps the provider's intent id and status only: the card is typed on the provider's page.
    The status only moves forward (STATUS_RANK): a late "failed" never undoes "succeeded"."""

    class Status(models.TextChoices):
        REQUIRES_PAYMENT = "requires_payment_method", _("Waiting for the card")
        REQUIRES_ACTION = "requires_action", _("Waiting for the bank (3-D Secure)")
        PROCESSING = "processing", _("Processing")
        FAILED = "failed", _("Declined")
        CANCELED = "canceled", _("Cancelled")
        SUCCEEDED = "succeeded", _("Paid")

    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="+")
    reservation = models.ForeignKey(
        Reservation, on_delete=models.PROTECT, related_name="online_payments"
    )
    provider = models.CharField(max_length=30)
    intent_id = models.CharField(max_length=100, unique=True)
    idempotency_key = models.CharField(max_length=100, unique=True)
    amount = money_field()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=30, choices=Status.choices)
    decline_code = models.CharField(max_length=60, blank=True)
    error_message = models.CharField(max_length=300, blank=True)
    # the folio payment recorded when it succeeded (billing)
    folio_payment = models.ForeignKey(
        "billing.Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # paid after the hold had expired: nothing was confirmed, the money goes back (refund)
    late = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="online_payment_positive")
        ]
        indexes = [
            # the desk's list of online payments, newest first, and its "late" filter
            models.Index(fields=["property", "-created_at"], name="online_payment_desk"),
            models.Index(
                fields=["property", "-created_at"],
                condition=Q(late=True),
                name="online_payment_late",
            ),
        ]

    def __str__(self) -> str:
        return self.intent_id


# an intent still waiting at the provider (the guest may still pay it): cancelled there when
# the booking's hold runs out (pms.services.booking.options_expire)
ONLINE_PAYMENT_OPEN = (
    OnlinePayment.Status.REQUIRES_PAYMENT,
    OnlinePayment.Status.REQUIRES_ACTION,
    OnlinePayment.Status.PROCESSING,
    OnlinePayment.Status.FAILED,
)


class OnlineRefund(TimeStampedModel):
    """Money sent back through the provider (a cancellation, a late payment). Requested in
    the business transaction, sent after commit by a task with its own idempotency key."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        PENDING = "pending", _("Pending at the provider")
        SUCCEEDED = "succeeded", _("Refunded")
        FAILED = "failed", _("Failed")

    payment = models.ForeignKey(OnlinePayment, on_delete=models.PROTECT, related_name="refunds")
    amount = money_field()
    reason = models.CharField(max_length=200, blank=True)
    idempotency_key = models.CharField(max_length=100, unique=True)
    refund_id = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED)
    error_message = models.CharField(max_length=300, blank=True)
    folio_payment = models.ForeignKey(
        "billing.Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="online_refund_positive")
        ]


class PaymentWebhookEvent(models.Model):
    """Each provider event once: its id is unique, so a replayed delivery changes nothing."""

    event_id = models.CharField(max_length=100, unique=True)
    type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=100, blank=True)
    payload = models.JSONField(default=dict)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["received_at", "pk"]


class GuestEmailKind(models.TextChoices):
    CONFIRMATION = "confirmation", _("Booking confirmation")
    PRE_ARRIVAL = "pre_arrival", _("Before arrival (D−3)")
    INVOICE = "invoice", _("Invoice")
    THANK_YOU = "thank_you", _("Thank you after the stay")


class GuestEmailTemplate(TimeStampedModel):
    """A property's own wording of a guest e-mail in one language; absent = the default."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=GuestEmailKind.choices)
    language = models.CharField(max_length=2)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["property", "kind", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["property", "kind", "language"], name="guest_email_template_unique"
            )
        ]


class GuestEmail(TimeStampedModel):
    """One guest e-mail of a reservation: unique per (reservation, kind), the idempotency key
    that keeps a retried booking, beat run or check-out from sending it twice."""

    reservation = models.ForeignKey(Reservation, on_delete=models.CASCADE, related_name="emails")
    kind = models.CharField(max_length=20, choices=GuestEmailKind.choices)
    to = models.EmailField()
    language = models.CharField(max_length=2)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["reservation", "kind"], name="guest_email_once")
        ]
