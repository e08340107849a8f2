"""PMS-4 from the rates calendar: minimum stay, closed to arrival, closed to departure per room
type and day, set over a date range and weekdays in one transaction with bulk writes. The
reservation service (`_check_restrictions`) and the booking engine read the same rows."""

from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.exceptions import InvalidInput, NotFound
from core.models import Property
from inventory.services.rates import DayRange
from pms.lock_objects import room_types_for_update
from pms.models import Restriction, RoomType

UNCHANGED = None


@transaction.atomic
def restrictions_set(
    *,
    property: Property,
    room_types: Sequence[RoomType],
    selection: DayRange,
    min_stay: int | None = UNCHANGED,
    clear_min_stay: bool = False,
    closed_to_arrival: bool | None = UNCHANGED,
    closed_to_departure: bool | None = UNCHANGED,
    actor=None,
) -> int:
    """Change the given restrictions (None leaves one as it is) on the selected days.

    Locks: the room types (pk order). One read, one bulk update, one bulk insert, one audit
    row per room type with every day's before → after. Raises InvalidInput on a minimum
    stay below 1 night or nothing to change. Returns the days changed."""
    if min_stay is not None and min_stay < 1:
        raise InvalidInput(_("A minimum stay is at least 1 night."), extra={"field": "min_stay"})
    if min_stay is not None and min_stay > 365:
        raise InvalidInput(_("A minimum stay is at most 365 nights."), extra={"field": "min_stay"})
    if min_stay is None and not clear_min_stay and closed_to_arrival is None:
        if closed_to_departure is None:
            raise InvalidInput(_("Nothing to change."), extra={"field": "min_stay"})
    if not room_types:
        raise InvalidInput(_("Choose at least one room type."), extra={"field": "products"})
    if any(rt.property_id != property.pk for rt in room_types):
        raise NotFound()
    locked = room_types_for_update(property_id=property.pk, ids=[rt.pk for rt in room_types])
    days = selection.days()
    existing = {
        (r.room_type_id, r.day): r
        for r in Restriction.objects.filter(
            property=property, room_type__in=locked, day__in=days
        ).order_by("pk")
    }
    to_update: list[Restriction] = []
    to_create: list[Restriction] = []
    changed = 0
    for room_type in locked:
        history: dict[str, list] = {}
        for day in days:
            row = existing.get((room_type.pk, day))
            fresh = row is None
            if fresh:
                row = Restriction(property=property, room_type=room_type, day=day)
            before = (row.min_stay, row.closed_to_arrival, row.closed_to_departure)
            if min_stay is not None:
                row.min_stay = min_stay
            elif clear_min_stay:
                row.min_stay = None
            if closed_to_arrival is not None:
                row.closed_to_arrival = closed_to_arrival
            if closed_to_departure is not None:
                row.closed_to_departure = closed_to_departure
            after = (row.min_stay, row.closed_to_arrival, row.closed_to_departure)
            if after == before:
                continue
            history[day.isoformat()] = [list(before), list(after)]
            (to_create if fresh else to_update).append(row)
        if history:
            changed += len(history)
            audit_log(
                action="pms.restrictions.changed",
                property=property,
                actor=actor,
                target=room_type.product,
                data={
                    "model": "pms.restriction",
                    "room_type": room_type.code,
                    "field": "min_stay, closed_to_arrival, closed_to_departure",
                    "days": history,
                },
            )
    Restriction.objects.bulk_update(
        to_update, ["min_stay", "closed_to_arrival", "closed_to_departure"], batch_size=1000
    )
    Restriction.objects.bulk_create(to_create, batch_size=1000)
    return changed
