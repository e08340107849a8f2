"""Public booking engine (BE-1..4): offers for a stay, a held booking, its confirmation.

The booking is created as an option holding its capacity for HOLD_MINUTES; the payment step
confirms the held allocations (inventory.services.capacity.capacity_confirm) and the
reservation. A hold released meanwhile (expired) means "no longer available".
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core.audit import audit_log
from core.exceptions import InvalidInput
from core.formatting import money
from core.models import Property
from core.outbox import outbox_enqueue
from crm.services import guest_create
from crm.services.gdpr import MARKETING_WORDING, consent_record
from inventory.exceptions import SoldOut
from inventory.models import CapacityPool, Channel, Product, RatePlan
from inventory.promotion_labels import discounts_for
from inventory.selectors import pools_availability
from inventory.services.capacity import capacity_confirm
from inventory.services.pricing import QuoteLineInput, quote
from pms.lock_objects import reservation_for_update
from pms.models import ONLINE_PAYMENT_OPEN, GuestEmailKind, OnlinePayment, Reservation, RoomType
from pms.services import ExtraRequest, RoomRequest, reservation_cancel, reservation_create
from pms.services.guest_emails import (
    guest_email_claim,
    guest_email_mark_sent,
    guest_email_pending,
    guest_email_render,
)
from pms.services.payment_providers import PaymentStart, provider_for
from pms.services.policies import rate_plan_by_code, rate_plan_policy_text
from pms.services.reservations import reservation_webhook

HOLD_MINUTES = 15
CHANNEL = Channel.BOOKING_ENGINE


class NoLongerAvailable(SoldOut):
    code = "no_longer_available"
    default_message = gettext_lazy("Sorry, this room is no longer available.")


@dataclass
class Offer:
    room_type: RoomType
    available: int
    total: Decimal
    per_night: Decimal
    undiscounted: Decimal
    promotion: str = ""
    promotion_conditions: list[str] = field(default_factory=list)
    policy: str = ""  # the rate plan's guarantee and cancellation terms, in the guest's words
    meal_plan: str = ""  # what the night includes (room only, breakfast, half or full board)


def _promotion_conditions(promotion) -> list[str]:
    out = []
    if promotion.min_nights:
        out.append(_("minimum %(n)s nights") % {"n": promotion.min_nights})
    if promotion.min_days_before:
        out.append(_("booked %(n)s days ahead") % {"n": promotion.min_days_before})
    if promotion.stay_from or promotion.stay_until:
        out.append(
            _("stays %(start)s – %(end)s")
            % {"start": promotion.stay_from or "…", "end": promotion.stay_until or "…"}
        )
    if promotion.sale_until:
        out.append(_("book by %(day)s") % {"day": promotion.sale_until})
    return out


def booking_offers(
    *, property: Property, arrival: date, departure: date, adults: int, children: int = 0
) -> list[Offer]:
    """Room types that sleep the party and have a unit free on every night, with the price of
    the stay for the booking engine (promotion and its conditions when one applies)."""
    from inventory.models import Promotion

    types = list(
        RoomType.objects.filter(
            property=property, max_occupancy__gte=adults + children, product__is_active=True
        )
        .select_related("product")
        .prefetch_related("photos")
        .order_by("sort_order", "code")
    )
    if not types:
        return []
    pool_ids = [t.product.capacity_pool_id for t in types if t.product.capacity_pool_id]
    slots = pools_availability(
        property=property, pool_ids=pool_ids, start=arrival, end=departure, channel=CHANNEL
    )
    offers = []
    for room_type in types:
        series = slots.get(room_type.product.capacity_pool_id) or []
        available = min((s.available for s in series), default=0)
        if available <= 0:
            continue
        priced = quote(
            property=property,
            channel=CHANNEL,
            lines=[QuoteLineInput(product_id=room_type.product_id, start=arrival, end=departure)],
        )
        line = priced.lines[0]
        offer = Offer(
            room_type=room_type,
            available=available,
            total=line.total,
            per_night=line.unit_price,
            undiscounted=line.total + line.discount,
        )
        offer.policy = booking_policy_text(property=property, applied_rule=line.applied_rule)
        offer.meal_plan = booking_meal_plan_text(
            property=property, code=_plan_code(line.applied_rule)
        )
        if line.promotion_id:
            promotion = Promotion.objects.get(pk=line.promotion_id, property=property)
            offer.promotion = (
                promotion.name_en if translation.get_language() == "en" else (promotion.name_fr)
            )
            offer.promotion_conditions = _promotion_conditions(promotion)
        offers.append(offer)
    return offers


def _plan_code(applied_rule: str) -> str:
    """The plan a quote line was priced in (`rate:<code>` of its applied rule)."""
    match = re.search(r"rate:([\w-]+)", applied_rule or "")
    return match.group(1) if match else ""


def booking_policy_text(*, property: Property, applied_rule: str) -> str:
    """The terms of the plan a quote line was priced in (`rate:<code>` of its applied
    rule), in the active language: shown with the offer and on the booking's summary."""
    plan = rate_plan_by_code(property=property, code=_plan_code(applied_rule))
    return rate_plan_policy_text(plan)


def booking_meal_plan_text(*, property: Property, code: str, room_only: bool = True) -> str:
    """What a night of the plan `code` includes ("Breakfast included"), in the active
    language; "" for an unknown plan, and for a room-only plan when `room_only` is False (the
    summary's lines name only the meals). From the cached pricing configuration (no query)."""
    plan = rate_plan_by_code(property=property, code=code)
    if plan is None or (not room_only and plan.meal_plan == RatePlan.MealPlan.ROOM_ONLY):
        return ""
    return str(plan.get_meal_plan_display())


def stay_policy_text(
    *, property: Property, room_type: RoomType, arrival: date, departure: date
) -> str:
    """The terms of the plan the engine sells `room_type` in for these dates (the summary)."""
    line = quote(
        property=property,
        channel=CHANNEL,
        lines=[QuoteLineInput(product_id=room_type.product_id, start=arrival, end=departure)],
    ).lines[0]
    return booking_policy_text(property=property, applied_rule=line.applied_rule)


def online_extras(*, property: Property):
    """Products offered as extras online (breakfast, spa slot, basket)."""
    return (
        Product.objects.filter(property=property, is_active=True, sold_online=True)
        .select_related("capacity_pool")
        .order_by("name_fr")
    )


@dataclass(frozen=True)
class ExtraChoice:
    product_id: int
    quantity: int
    slot_time: time | None = None


@transaction.atomic
def booking_hold(
    *,
    property: Property,
    room_type_id: int,
    arrival: date,
    departure: date,
    adults: int,
    children: int,
    first_name: str,
    last_name: str,
    email: str,
    phone: str = "",
    language: str = "fr",
    extras: list[ExtraChoice] = (),
    notes: str = "",
    marketing_opt_in: bool = False,
) -> Reservation:
    """Create the guest and an option holding the room (and extras) for HOLD_MINUTES.
    `marketing_opt_in`: the guest ticked the offers box; recorded with its wording.
    Raises: InvalidInput, RestrictionViolated, SoldOut (the last unit went meanwhile)."""
    if not (email or "").strip():
        raise InvalidInput(_("Give your e-mail address."), extra={"field": "email"})
    guest = guest_create(
        organization=property.organization,
        first_name=first_name,
        last_name=last_name,
        email=email,
        phone=phone,
        language=language if language in ("fr", "en") else "fr",
    )
    if marketing_opt_in:
        consent_record(
            guest=guest,
            given=True,
            source="booking_engine",
            wording=str(MARKETING_WORDING),
            property=property,
            language=guest.language,
        )
    allowed = {p.pk: p for p in online_extras(property=property)}
    requests = []
    for choice in extras:
        product = allowed.get(choice.product_id)
        if product is None or choice.quantity <= 0:
            continue
        if product.capacity_pool and product.capacity_pool.kind == CapacityPool.Kind.SLOT:
            if choice.slot_time is None:
                raise InvalidInput(
                    _("Choose a time for %(name)s.") % {"name": product.name},
                    extra={"field": f"extra_{product.pk}"},
                )
        requests.append(
            ExtraRequest(
                product_id=product.pk,
                quantity=choice.quantity,
                day=arrival,
                slot_time=choice.slot_time,
            )
        )
    return reservation_create(
        property=property,
        guest=guest,
        arrival=arrival,
        departure=departure,
        rooms=[RoomRequest(room_type_id=room_type_id, adults=adults, children=children)],
        channel=CHANNEL,
        extras=requests,
        status=Reservation.Status.OPTION,
        hold_until=timezone.now() + timedelta(minutes=HOLD_MINUTES),
        notes=notes[:1000],
    )


@dataclass
class SummaryLine:
    """One line of the booking's summary: what, how many, the price paid and the rule that
    priced it (the promotion's name and list price are added by discounts_for)."""

    description: str
    quantity: Decimal
    total: Decimal
    applied_rule: str
    discount: Decimal | None = None  # as quoted at booking: list price = total + discount


def _with_meals(description: str, meals: str) -> str:
    return f"{description} · {meals}" if meals else description


def booking_summary(*, reservation: Reservation) -> list[SummaryLine]:
    """The rooms and extras of a booking, each with its promotion named (list price,
    promotion, price): the payment and confirmation pages and the guest's e-mail. Three
    queries."""
    nights = max((reservation.departure - reservation.arrival).days, 1)
    lines = [
        SummaryLine(
            description=_with_meals(
                _("%(room_type)s, %(nights)s")
                % {
                    "room_type": room.room_type.name,
                    "nights": ngettext("%(n)s night", "%(n)s nights", nights) % {"n": nights},
                },
                booking_meal_plan_text(
                    property=reservation.property, code=room.rate_plan_code, room_only=False
                ),
            ),
            quantity=Decimal(nights),
            total=room.price_total,
            applied_rule=room.applied_rule,
            discount=room.discount,
        )
        for room in reservation.rooms.filter(is_cancelled=False).select_related("room_type")
    ]
    lines += [
        SummaryLine(
            description=extra.description,
            quantity=Decimal(extra.quantity),
            total=extra.total,
            applied_rule=extra.applied_rule,
            discount=extra.discount,
        )
        for extra in reservation.extras.filter(is_cancelled=False)
    ]
    return discounts_for(property_id=reservation.property_id, lines=lines)


def _summary_text(reservation: Reservation, language: str) -> str:
    """The booking's lines for the e-mail: "- Room, 2 nights: 340,00 € − Autumn 34,00 € =
    306,00 €" where a promotion priced the line."""
    currency = reservation.property.currency
    out = []
    with translation.override(language):
        for line in booking_summary(reservation=reservation):
            promo = getattr(line, "promotion_discount", None)
            priced = money(line.total, currency, language=language)
            if promo:
                priced = (
                    f"{money(promo.list_total, currency, language=language)} − {promo.name} "
                    f"{money(promo.discount, currency, language=language)} = {priced}"
                )
            out.append(f"- {line.description}: {priced}")
    return "\n".join(out)


def booking_emails_send(*, reservation_id: int, language: str, instructions: str) -> None:
    """Send the guest's confirmation (the property's wording, in the guest's language, with
    the cancellation policy) and the property's notification (pms.tasks runs it)."""
    reservation = Reservation.objects.select_related("property", "guest").get(pk=reservation_id)
    if guest_email_pending(reservation=reservation, kind=GuestEmailKind.CONFIRMATION):
        subject, body = guest_email_render(
            reservation=reservation,
            kind=GuestEmailKind.CONFIRMATION,
            language=language,
            # the lines with their promotions named; how to pay on its own
            extra={"summary": _summary_text(reservation, language), "payment": instructions},
        )
        send_mail(
            subject=subject,
            message=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[reservation.guest.email],
        )
        guest_email_mark_sent(reservation=reservation, kind=GuestEmailKind.CONFIRMATION)
    notify = getattr(reservation.property, "email", "") or settings.DEFAULT_FROM_EMAIL
    with translation.override(reservation.property.default_language):
        send_mail(
            subject=_("New online booking %(reference)s") % {"reference": reservation.reference},
            message=render_to_string(
                "pms/booking/email_property.txt", {"reservation": reservation}
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[notify],
        )


@transaction.atomic
def booking_confirm(
    *, reservation: Reservation, provider_code: str, now: datetime | None = None
) -> PaymentStart:
    """The payment step: the provider accepts, the held capacity is confirmed, the option
    becomes a confirmed reservation, and the e-mails leave after commit.
    An online provider is refused here: its booking is confirmed by the provider's answer
    (pms.services.online_payments), never by the guest's click.
    Raises: InvalidInput (unknown or online provider), NoLongerAvailable (the hold expired)."""
    provider = provider_for(provider_code)
    if provider is None or provider.online or not provider.available():
        raise InvalidInput(_("Choose a payment method."), extra={"field": "provider"})
    reservation = reservation_for_update(reservation_id=reservation.pk)
    if reservation.status == Reservation.Status.CONFIRMED:
        raise InvalidInput(_("This booking is already confirmed."))
    started = booking_confirm_held(reservation=reservation, provider=provider, now=now)
    if started is None:
        raise NoLongerAvailable(
            _("Sorry, this room is no longer available: your booking time ran out.")
        )
    return started


def booking_hold_alive(*, reservation: Reservation, now: datetime | None = None) -> bool:
    """The option still holds its room (read only: the answer may change at the next sweep)."""
    now = now or timezone.now()
    return reservation.status == Reservation.Status.OPTION and not (
        reservation.option_expires_at is not None and reservation.option_expires_at < now
    )


def booking_confirm_held(
    *, reservation: Reservation, provider, now: datetime | None = None
) -> PaymentStart | None:
    """Confirm a locked option whose hold is alive: capacity, status, audit, webhook and the
    e-mails after commit. None (and nothing changed) when the hold had expired.
    The caller holds the reservation's lock (reservation_for_update) in its transaction."""
    now = now or timezone.now()
    expired = not booking_hold_alive(reservation=reservation, now=now)
    if not expired:
        for room in reservation.rooms.filter(is_cancelled=False):
            if (
                capacity_confirm(property=reservation.property, reference=room.capacity_reference)
                == 0
            ):
                expired = True
        for extra in reservation.extras.filter(is_cancelled=False):
            capacity_confirm(property=reservation.property, reference=extra.capacity_reference)
    if expired:
        return None
    language = reservation.guest.language or reservation.property.default_language
    with translation.override(language):  # the instructions go to the guest's e-mail
        started = provider.start(reservation=reservation)
    reservation.status = Reservation.Status.CONFIRMED
    reservation.option_expires_at = None
    reservation.save(update_fields=["status", "option_expires_at", "updated_at"])
    audit_log(
        action="pms.booking.confirmed",
        property=reservation.property,
        target=reservation,
        channel=CHANNEL,
        data={"provider": provider.code, "due_now": str(started.amount_due_now)},
    )
    # the option became a confirmed booking: subscribers see the new status
    reservation_webhook(reservation, "reservation.changed")
    # the guest's confirmation is claimed once per reservation (pms.services.guest_emails)
    guest_email_claim(reservation=reservation, kind=GuestEmailKind.CONFIRMATION)
    # through the outbox: a broker down at commit time loses no e-mail and breaks no page
    outbox_enqueue(
        task="pms.tasks.booking_emails_task",
        kwargs={
            "reservation_id": reservation.pk,
            "language": language,
            "instructions": str(started.instructions),
        },
        property=reservation.property,
    )
    return started


def booking_abandon(*, reservation: Reservation) -> None:
    """Release an option the guest walked away from (idempotent)."""
    if reservation.status == Reservation.Status.OPTION:
        with transaction.atomic():
            reservation_cancel(reservation=reservation, reason="booking engine: abandoned")
            _open_intents_cancel(reservation)


def _open_intents_cancel(reservation: Reservation) -> int:
    """The hold is gone: each intent still open at the provider is cancelled there, so the
    guest can no longer pay for a room given back to sale. In the caller's transaction, an
    outbox row per intent; the HTTP call is the task's, after commit
    (pms.services.online_payments.online_payment_cancel_send). Returns how many."""
    open_ids = list(
        OnlinePayment.objects.filter(
            reservation=reservation, status__in=ONLINE_PAYMENT_OPEN
        ).values_list("pk", flat=True)
    )
    for payment_id in open_ids:
        outbox_enqueue(
            task="pms.tasks.online_payment_cancel_task",
            kwargs={"payment_id": payment_id},
            property=reservation.property,
        )
    return len(open_ids)


def options_expire(*, now: datetime | None = None) -> int:
    """Cancel the options whose hold ran out (a guest who left the payment step): their rooms
    and extras return to sale and they leave the PMS lists and the published calendars.
    Each in its own transaction, re-checked under the reservation lock, so a guest paying at
    the same moment wins or gets "no longer available" — never both. Returns how many."""
    now = now or timezone.now()
    expired = Reservation.objects.filter(
        status=Reservation.Status.OPTION, option_expires_at__lt=now
    ).values_list("pk", flat=True)
    cancelled = 0
    for reservation_id in list(expired):
        with transaction.atomic():
            reservation = reservation_for_update(reservation_id=reservation_id)
            if reservation.status != Reservation.Status.OPTION or not (
                reservation.option_expires_at and reservation.option_expires_at < now
            ):
                continue
            reservation_cancel(reservation=reservation, reason="option expired: hold ran out")
            _open_intents_cancel(reservation)
            cancelled += 1
    return cancelled
