"""The reservation desk's booking (PMS-8): a phone call or a walk-in, booked once however
many times "Book" is tapped.

The screen sends a key drawn when the form was shown; the key is claimed in the booking's
transaction (core.idempotency), so a double tap or a re-posted form returns the first
booking and writes nothing. The guest is an existing profile or created in the same
transaction (a refused booking leaves no profile behind)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from core.exceptions import InvalidInput
from core.idempotency import idempotency_claim, idempotency_result, idempotency_store
from core.models import Property
from crm.models import Company, Guest
from crm.services import guest_create
from inventory.models import Channel
from pms.models import Reservation
from pms.services.reservations import RoomRequest, reservation_create

SCOPE = "pms.desk.reservation"


@dataclass(frozen=True)
class NewGuest:
    first_name: str
    last_name: str
    email: str = ""
    phone: str = ""
    language: str = "fr"


def desk_reservation_create(
    *,
    property: Property,
    actor,
    key: str,
    arrival: date,
    departure: date,
    rooms: Sequence[RoomRequest],
    guest: Guest | None = None,
    new_guest: NewGuest | None = None,
    company: Company | None = None,
    rate_plan_id: int | None = None,
    notes: str = "",
    guarantee_note: str = "",
    group_name: str = "",
    walk_in: bool = False,
) -> tuple[Reservation, bool]:
    """Book for the desk; returns (reservation, replayed). `replayed` is True when `key` had
    already booked: that first reservation comes back and nothing is written.

    A walk-in arrives today (its check-in follows on the reservation's screen).
    Raises: what reservation_create and guest_create raise; InvalidInput without a guest,
    or for a walk-in arriving another day."""
    key = (key or "").strip()
    if not key:
        raise InvalidInput(_("The form expired: open it again."))
    scope = f"{SCOPE}:{property.pk}:{getattr(actor, 'pk', '')}"
    with transaction.atomic():
        record_id = idempotency_claim(scope=scope, key=key)
        if record_id is None:
            first = idempotency_result(scope=scope, key=key) or {}
            reservation = Reservation.objects.filter(
                property=property, pk=first.get("reservation")
            ).first()
            if reservation is None:
                raise InvalidInput(_("This booking is already being saved."))
            return reservation, True
        if walk_in and arrival != property.business_date():
            raise InvalidInput(_("A walk-in arrives today."), extra={"field": "arrival"})
        if guest is None:
            if new_guest is None or not new_guest.last_name.strip():
                raise InvalidInput(
                    _("Choose the guest or enter their last name."), extra={"field": "guest"}
                )
            guest = guest_create(
                organization=property.organization,
                actor=actor,
                first_name=new_guest.first_name,
                last_name=new_guest.last_name,
                email=new_guest.email,
                phone=new_guest.phone,
                language=new_guest.language,
            )
        elif guest.organization_id != property.organization_id:
            raise InvalidInput(_("Unknown guest."))
        reservation = reservation_create(
            property=property,
            guest=guest,
            arrival=arrival,
            departure=departure,
            rooms=rooms,
            channel=Channel.FRONT_DESK,
            actor=actor,
            company=company if company is not None else guest.company,
            rate_plan_id=rate_plan_id,
            notes=notes,
            guarantee_note=guarantee_note,
            group_name=group_name,
        )
        idempotency_store(
            record_id=record_id,
            response={"reservation": reservation.pk, "reference": reservation.reference},
        )
    return reservation, False
