"""Stays: check-in, check-out and the nightly posting of room charges to the folio.

Posting is idempotent by folio line `source`: `pms.night:<reservation_room_id>:<date>` for a
room night and `pms.extra:<reservation_extra_id>` for an extra booked with the stay, so the
night audit, a retried task and the check-out never post the same thing twice.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from billing.models import Folio, FolioLine
from billing.services.folios import (
    ChargeInput,
    folio_holder_rename,
    folio_leave_open,
    folio_post_charges,
    folio_totals,
)
from billing.services.invoices import (
    folio_lines_not_invoiced,
    folio_transfer_to_company,
    invoice_issue,
)
from billing.services.payments import TenderInput, folio_settle, payments_record
from billing.services.tourist_tax import tourist_tax_post
from core.audit import audit_log
from core.exceptions import InvalidInput, NotFound
from core.formatting import money
from core.models import Property
from crm.services import guest_identity_update
from crm.services.gdpr import MARKETING_WORDING, consent_record
from inventory.models import CapacityPool, Channel, Product, RevenueCategory
from inventory.services.capacity import CapacityNeed, capacity_consume
from inventory.services.pricing import QuoteLineInput, quote
from pms.exceptions import BalanceDue, InvalidReservationState, RoomNotReady
from pms.lock_objects import reservation_for_update
from pms.models import GuestEmailKind, Reservation, ReservationExtra, ReservationRoom, Room
from pms.services.guest_emails import guest_email_enqueue
from pms.services.reservations import reservation_webhook
from pms.services.rooms import live_assignment, room_assign

READY = (Room.Housekeeping.CLEAN, Room.Housekeeping.INSPECTED)


def night_source(reservation_room_id: int, night: date) -> str:
    return f"pms.night:{reservation_room_id}:{night.isoformat()}"


def _night_charge(room: ReservationRoom, night: date, *, language: str) -> ChargeInput:
    """A room night's folio line, worded in the property's `language` (the folio and the
    invoice speak it, whatever language the night audit's worker runs in)."""
    price = Decimal(room.nightly_prices.get(night.isoformat(), "0"))
    with translation.override(language):
        description = _("%(room_type)s, night of %(date)s") % {
            "room_type": room.room_type.name,
            "date": f"{night:%d/%m/%Y}",
        }
    return ChargeInput(
        description=description,
        quantity=Decimal(1),
        unit_price=price,
        total=price,
        vat_rate=room.vat_rate,
        revenue_category=RevenueCategory.ACCOMMODATION,
        service_date=night,
        source=night_source(room.pk, night),
        product_id=room.room_type.product_id,
        applied_rule=room.applied_rule,
    )


def _night_prices_excl_vat(room: ReservationRoom, nights) -> dict[date, Decimal]:
    """Each night's price of the room excl. VAT: an unclassified property's tourist tax is a
    percentage of it (billing.services.tourist_tax)."""
    rate = Decimal(room.vat_rate or 0)
    return {
        night: Decimal(room.nightly_prices.get(night.isoformat(), "0")) * 100 / (100 + rate)
        for night in nights
    }


def _extra_charge(extra: ReservationExtra) -> ChargeInput:
    return ChargeInput(
        description=extra.description,
        quantity=Decimal(extra.quantity),
        unit_price=extra.unit_price,
        total=extra.total,
        vat_rate=extra.vat_rate,
        revenue_category=extra.revenue_category,
        service_date=extra.day,
        source=extra.folio_source,
        product_id=extra.product_id,
        applied_rule=extra.applied_rule,
    )


def _post_extras(reservation: Reservation, actor) -> int:
    extras = list(reservation.extras.filter(is_cancelled=False).order_by("day", "pk"))
    if not extras:
        return 0
    return len(
        folio_post_charges(
            folio=reservation.folio, charges=[_extra_charge(e) for e in extras], actor=actor
        )
    )


@transaction.atomic
def reservation_check_in(
    *,
    reservation: Reservation,
    actor=None,
    assignments: dict[int, int] | None = None,
    allow_past: bool = False,
) -> Reservation:
    """Check the guests in: rooms assigned (from `assignments` {reservation_room_id: room_id}
    or earlier), clean or inspected; the extras booked with the stay go on the folio.

    Only on or after the arrival business date, and before the departure unless
    `allow_past` (recording a past stay: imports and the demo; never from the API).
    Idempotent: a reservation already in house is returned unchanged.
    Locks: Reservation, then Room.
    Raises: InvalidReservationState, InvalidInput (unknown room), RoomNotAvailable,
    RoomNotReady (a room not clean).
    """
    reservation = reservation_for_update(reservation_id=reservation.pk)
    if reservation.status == Reservation.Status.IN_HOUSE:
        return reservation
    if reservation.status not in (Reservation.Status.OPTION, Reservation.Status.CONFIRMED):
        raise InvalidReservationState(_("Only an expected arrival can check in."))
    today = reservation.property.business_date()
    if today < reservation.arrival:
        raise InvalidReservationState(
            _("Check-in opens on the arrival date (%(day)s).")
            % {"day": f"{reservation.arrival:%d/%m/%Y}"}
        )
    if today >= reservation.departure and not allow_past:
        raise InvalidReservationState(_("The stay is already over."))
    rooms = {r.pk: r for r in reservation.rooms.filter(is_cancelled=False).order_by("pk")}
    for rr_id, room_id in (assignments or {}).items():
        if int(rr_id) not in rooms:
            raise InvalidInput(_("Unknown reservation room."))
        room = Room.objects.filter(property=reservation.property, pk=room_id).first()
        if room is None:
            raise InvalidInput(_("Unknown room."))
        current = live_assignment(rooms[int(rr_id)])
        if current is not None and current.room_id != room.pk:
            raise InvalidReservationState(
                _("This reservation already has room %(number)s: move it instead.")
                % {"number": current.room.number}
            )
        room_assign(reservation_room=rooms[int(rr_id)], room=room, actor=actor)
    for rr in ReservationRoom.objects.filter(pk__in=rooms).select_related("room"):
        if rr.room is None or live_assignment(rr) is None:
            raise InvalidInput(_("Assign a room to every room of the reservation first."))
        if rr.room.housekeeping_status not in READY:
            raise RoomNotReady(_("Room %(number)s is not clean yet.") % {"number": rr.room.number})
    reservation.status = Reservation.Status.IN_HOUSE
    reservation.checked_in_at = timezone.now()
    reservation.option_expires_at = None
    reservation.save(update_fields=["status", "checked_in_at", "option_expires_at", "updated_at"])
    posted = _post_extras(reservation, actor)
    audit_log(
        action="pms.reservation.checked_in",
        property=reservation.property,
        actor=actor,
        target=reservation,
        data={"extras_posted": posted},
    )
    reservation_webhook(reservation, "stay.checked_in")
    return reservation


def _stay_nights(reservation: Reservation, until: date | None = None) -> list[date]:
    end = min(reservation.departure, until) if until else reservation.departure
    return [date.fromordinal(d) for d in range(reservation.arrival.toordinal(), end.toordinal())]


@dataclass(frozen=True)
class DepartureBalance:
    """What to do with a departing stay's balance that is not settled: pay it now with
    `pay_method` (the exact balance, in the check-out's transaction), transfer it to
    `company`'s account (city ledger; the caller checked the role may), or leave it open on
    the approval of `approver` (a manager whose PIN the caller checked) for `reason`."""

    pay_method: str = ""
    pay_reference: str = ""
    pay_tendered: Decimal | None = None
    pay_terminal: str = ""
    company: object | None = None
    approver: object | None = None
    reason: str = ""


@transaction.atomic
def reservation_check_out(
    *,
    reservation: Reservation,
    actor=None,
    tourist_tax_exemptions: dict | None = None,
    open_balance: DepartureBalance | None = None,
) -> Reservation:
    """Check the guests out: every room night and extra not yet posted goes on the folio,
    then the tourist tax of each room (billing.services.tourist_tax.tourist_tax_post, source
    "pms.touristtax:<reservation_room_id>:<night>", children exempt as minors;
    `tourist_tax_exemptions` maps a reservation room id to other exempt adults by reason);
    the reservation is checked out and its rooms become dirty.

    The folio's balance must then be zero, unless `open_balance` transfers it to a company's
    account or leaves it open (the folio joins the open balances): a guest never leaves with
    money due and nobody the wiser.

    Idempotent: a checked-out reservation is returned unchanged (and posts nothing).
    Locks: Reservation (then the folio and the invoice numbering when the balance is
    transferred to a company).
    Raises: InvalidReservationState when the guest is not in house; BalanceDue (nothing
    posted) when a balance is left and not dealt with.
    """
    reservation = reservation_for_update(reservation_id=reservation.pk)
    if reservation.status == Reservation.Status.CHECKED_OUT:
        return reservation
    if reservation.status != Reservation.Status.IN_HOUSE:
        raise InvalidReservationState(_("Only a guest in house can check out."))
    rooms = list(
        reservation.rooms.filter(is_cancelled=False)
        .select_related("room_type__product", "room")
        .order_by("pk")
    )
    language = reservation.property.default_language
    charges = [
        _night_charge(room, night, language=language)
        for room in rooms
        for night in _stay_nights(reservation)
    ]
    posted = len(folio_post_charges(folio=reservation.folio, charges=charges, actor=actor))
    posted += _post_extras(reservation, actor)
    for room in rooms:
        posted += len(
            tourist_tax_post(
                folio=reservation.folio,
                source_prefix=f"pms.touristtax:{room.pk}",
                nights=_stay_nights(reservation),
                adults=room.adults,
                minors=room.children,
                exemptions=(tourist_tax_exemptions or {}).get(room.pk),
                night_prices_excl_vat=_night_prices_excl_vat(room, _stay_nights(reservation)),
                actor=actor,
            )
        )
    if reservation.folio is not None:
        _departure_balance(reservation, open_balance=open_balance, actor=actor)
    Room.objects.filter(pk__in=[r.room_id for r in rooms if r.room_id]).update(
        housekeeping_status=Room.Housekeeping.DIRTY, updated_at=timezone.now()
    )
    reservation.status = Reservation.Status.CHECKED_OUT
    reservation.checked_out_at = timezone.now()
    reservation.save(update_fields=["status", "checked_out_at", "updated_at"])
    audit_log(
        action="pms.reservation.checked_out",
        property=reservation.property,
        actor=actor,
        target=reservation,
        data={"lines_posted": posted},
    )
    reservation_webhook(reservation, "stay.checked_out")
    # the thank-you e-mail, once per stay, after commit (pms.services.guest_emails)
    guest_email_enqueue(reservation=reservation, kind=GuestEmailKind.THANK_YOU)
    return reservation


def _departure_balance(
    reservation: Reservation, *, open_balance: DepartureBalance | None, actor
) -> None:
    folio = reservation.folio
    balance = folio_totals(folio=folio)["balance"]
    if balance == 0:
        return
    amount = money(balance, folio.currency)
    chosen = open_balance is not None and (
        (open_balance.pay_method and balance > 0)
        or open_balance.company is not None
        or open_balance.approver is not None
    )
    if not chosen:
        if balance > 0:
            message = _(
                "%(amount)s is still due: settle it, transfer it to a company's account or "
                "leave it open with a manager's PIN and a reason."
            )
        else:
            message = _(
                "The guest has %(amount)s in credit: refund it, or leave it open with a "
                "manager's PIN and a reason."
            )
        raise BalanceDue(
            message % {"amount": money(abs(balance), folio.currency)},
            extra={"balance": str(balance)},
        )
    if open_balance.pay_method and balance > 0:
        folio_settle(
            property=reservation.property,
            folio=folio,
            tenders=[
                TenderInput(
                    method=open_balance.pay_method,
                    amount=balance,
                    tendered=open_balance.pay_tendered,
                    terminal_reference=open_balance.pay_reference,
                )
            ],
            actor=actor,
            terminal=open_balance.pay_terminal,
        )
    elif open_balance.company is not None:
        if balance < 0:
            raise BalanceDue(
                _("A credit of %(amount)s cannot be transferred to a company.")
                % {"amount": amount},
                extra={"balance": str(balance)},
            )
        folio_transfer_to_company(folio=folio, company=open_balance.company, actor=actor)
    else:
        folio_leave_open(
            folio=folio, approver=open_balance.approver, reason=open_balance.reason, actor=actor
        )


@transaction.atomic
def room_nights_post(*, property: Property, business_date: date, actor=None) -> int:
    """Night audit: post the night of `business_date` for every room in house.

    Idempotent by source: running it twice for a date posts nothing the second time.
    Returns the number of folio lines posted.
    """
    rooms = list(
        ReservationRoom.objects.filter(
            reservation__property=property,
            reservation__status=Reservation.Status.IN_HOUSE,
            reservation__arrival__lte=business_date,
            reservation__departure__gt=business_date,
            is_cancelled=False,
        )
        .select_related("room_type__product", "reservation")
        .order_by("reservation_id", "pk")
    )
    by_folio: dict[int, list[ChargeInput]] = defaultdict(list)
    for room in rooms:
        if room.reservation.folio_id:
            by_folio[room.reservation.folio_id].append(
                _night_charge(room, business_date, language=property.default_language)
            )
    folios = Folio.objects.filter(pk__in=list(by_folio), status=Folio.Status.OPEN).select_related(
        "property"
    )
    posted = 0
    for folio in folios:
        posted += len(
            folio_post_charges(
                folio=folio,
                charges=by_folio[folio.pk],
                actor=actor,
                business_date=business_date,
            )
        )
    if posted:
        audit_log(
            action="pms.night_audit.nights_posted",
            property=property,
            actor=actor,
            data={"business_date": str(business_date), "lines": posted},
        )
    return posted


# Products the desk may post as an extra: no night (book a room) and no time slot (book it at
# the spa desk, which shows the free slots).
DESK_EXTRA_EXCLUDED_POOLS = (CapacityPool.Kind.NIGHT, CapacityPool.Kind.SLOT)
MAX_DESK_EXTRA_QUANTITY = 100


def desk_extra_source(reservation_id: int, key: str) -> str:
    return f"pms.deskextra:{reservation_id}:{key}"


@dataclass(frozen=True)
class IdentityInput:
    """The guest's identity as read from their ID at the desk."""

    last_name: str
    first_name: str = ""
    email: str = ""
    phone: str = ""
    country: str = ""


def stay_check_in_at_desk(
    *,
    reservation: Reservation,
    actor,
    assignments: dict[int, int] | None = None,
    identity: IdentityInput | None = None,
    deposit: TenderInput | None = None,
    terminal: str = "",
    marketing_opt_in: bool = False,
) -> Reservation:
    """The receptionist's check-in, all or nothing: the guest's identity corrected from their
    ID (the folio follows the name when the guest pays), the guest's marketing opt-in when
    they said yes (recorded with the wording read to them), the rooms assigned and the guests in,
    and an optional deposit on the folio (never more than the stay; not taken again when the
    reservation was already in house).
    Raises what reservation_check_in, guest_identity_update and payments_record raise, and
    InvalidInput for a deposit above the stay's price."""
    if deposit is not None and 0 < reservation.total_price < deposit.amount:
        raise InvalidInput(
            _("The deposit (%(paid)s) is more than the stay (%(total)s).")
            % {"paid": money(deposit.amount), "total": money(reservation.total_price)}
        )
    with transaction.atomic():
        if identity is not None:
            guest = guest_identity_update(
                guest=reservation.guest,
                last_name=identity.last_name,
                first_name=identity.first_name,
                email=identity.email,
                phone=identity.phone,
                country=identity.country,
                actor=actor,
            )
            folio = reservation.folio
            if folio and folio.guest_id == guest.pk and folio.company_id is None:
                folio_holder_rename(folio=folio, holder_name=str(guest))
        if marketing_opt_in:
            consent_record(
                guest=reservation.guest,
                given=True,
                source="check_in",
                wording=str(MARKETING_WORDING),
                property=reservation.property,
                language=reservation.guest.language,
                actor=actor,
            )
        was_in_house = reservation.status == Reservation.Status.IN_HOUSE
        reservation = reservation_check_in(
            reservation=reservation, actor=actor, assignments=assignments or None
        )
        if deposit is not None and not was_in_house:
            payments_record(
                property=reservation.property,
                folio=reservation.folio,
                tenders=[deposit],
                actor=actor,
                terminal=terminal,
            )
    return reservation


def stay_invoice_issue(
    *, reservation: Reservation, actor, split: bool = False, to_company: bool = False
) -> list:
    """After check-out, invoice what is left on the stay's folio: one consolidated invoice to
    the guest, or to the stay's company (`to_company`: a business customer, so a Factur-X
    e-invoice), or (`split`, a company paying the room) the room nights to the company and
    the rest to the guest. All or nothing; numbers come from billing's series.
    Raises InvalidInput (not checked out, nothing left, no company, no room night left)."""
    if reservation.status != Reservation.Status.CHECKED_OUT or reservation.folio is None:
        raise InvalidInput(_("Issue the invoice after check-out."))
    folio = reservation.folio
    with transaction.atomic():
        lines = folio_lines_not_invoiced(folio=folio)
        if not lines:
            raise InvalidInput(_("Nothing left to invoice on this folio."))
        if (split or to_company) and reservation.company is None:
            raise InvalidInput(_("No company pays this stay."))
        if to_company:
            return [invoice_issue(folio=folio, actor=actor, company=reservation.company)]
        if not split:
            return [invoice_issue(folio=folio, actor=actor)]
        rooms = [li for li in lines if li.revenue_category == RevenueCategory.ACCOMMODATION]
        rest = [li for li in lines if li.revenue_category != RevenueCategory.ACCOMMODATION]
        if not rooms:
            raise InvalidInput(_("No room night is left to invoice to the company."))
        issued = [invoice_issue(folio=folio, actor=actor, lines=rooms, company=reservation.company)]
        if rest:
            issued.append(invoice_issue(folio=folio, actor=actor, lines=rest))
        return issued


@transaction.atomic
def stay_extra_post(
    *, reservation: Reservation, product_id: int, quantity: int, key: str, actor=None
) -> FolioLine:
    """Post an extra (minibar, parking, laundry, a day pass…) to the folio of a guest in house,
    at today's front-desk price; counted stock and day passes consume their capacity.

    Idempotent by `key` (a one-time key carried by the form): a double tap posts once and
    returns the first line.
    Locks: Reservation, then the capacity buckets (capacity_consume).
    Raises: InvalidReservationState (not in house), InvalidInput (unknown product, bad
    quantity, a product that needs a room or a time slot), SoldOut / ClosedForSale.
    """
    reservation = reservation_for_update(reservation_id=reservation.pk)
    if reservation.status != Reservation.Status.IN_HOUSE or reservation.folio_id is None:
        raise InvalidReservationState(_("Only a guest in house can be charged an extra."))
    key = (key or "").strip()
    if not key or len(key) > 64:
        raise InvalidInput(_("Reload the page and try again."))
    source = desk_extra_source(reservation.pk, key)
    existing = FolioLine.objects.filter(folio_id=reservation.folio_id, source=source).first()
    if existing is not None:
        return existing
    if not isinstance(quantity, int) or not 1 <= quantity <= MAX_DESK_EXTRA_QUANTITY:
        raise InvalidInput(
            _("The quantity must be between 1 and %(max)s.") % {"max": MAX_DESK_EXTRA_QUANTITY}
        )
    product = (
        Product.objects.filter(property=reservation.property, pk=product_id, is_active=True)
        .select_related("capacity_pool")
        .first()
    )
    if product is None:
        raise NotFound(_("Unknown product."))
    pool = product.capacity_pool
    if pool is not None and pool.kind in DESK_EXTRA_EXCLUDED_POOLS:
        raise InvalidInput(
            _("%(name)s is booked with a date or a time slot, not posted as an extra.")
            % {"name": product.name}
        )
    today = reservation.property.business_date()
    line = quote(
        property=reservation.property,
        channel=Channel.FRONT_DESK,
        lines=[QuoteLineInput(product_id=product.pk, quantity=Decimal(quantity), start=today)],
    ).lines[0]
    if pool is not None:
        capacity_consume(
            property=reservation.property,
            needs=[
                CapacityNeed(
                    pool_id=pool.pk,
                    quantity=quantity,
                    day=today if pool.kind == CapacityPool.Kind.DAY else None,
                )
            ],
            channel=Channel.FRONT_DESK,
            reference=source,
        )
    folio = Folio.objects.select_related("property").get(pk=reservation.folio_id)
    [posted] = folio_post_charges(
        folio=folio,
        charges=[
            ChargeInput(
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                total=line.total,
                vat_rate=line.vat_rate,
                revenue_category=line.revenue_category,
                service_date=today,
                source=source,
                product_id=product.pk,
                applied_rule=line.applied_rule,
            )
        ],
        actor=actor,
        terminal="Réception",
    )
    audit_log(
        action="pms.reservation.extra_posted",
        property=reservation.property,
        actor=actor,
        target=reservation,
        data={"product": product.code, "quantity": quantity, "total": str(posted.total)},
    )
    return posted
