"""The payment step's shared parts, used by the waiter's tab and the counter alike: the cash
numpad's quick amounts and the "charge to room?" question."""

from decimal import Decimal

from django.http import HttpRequest
from django.utils.translation import gettext as _

from core.money import quantize


def quick_amounts(due: Decimal) -> list[Decimal]:
    """The cash numpad's quick amounts above `due`: the next 5 €, the next 10 €, 20 € and
    50 € notes (each once, each more than the amount due; "exact" is its own button)."""
    out: list[Decimal] = []
    if due <= 0:
        return out
    for step in (Decimal("5"), Decimal("10")):
        nxt = (due / step).to_integral_value(rounding="ROUND_CEILING") * step
        if nxt <= due:  # a round amount: the next one up
            nxt += step
        if nxt not in out:
            out.append(quantize(nxt))
    for note in (Decimal("20"), Decimal("50")):
        if note > due and quantize(note) not in out:
            out.append(quantize(note))
    return sorted(out)


def room_confirm_context(
    request: HttpRequest, *, room_number: str, amount: Decimal, url: str, back: str, target: str
) -> dict:
    """What the "charge to room?" question shows: the in-house guest's name, and the form's
    own fields to post again with the answer. Raises NotInHouse for a room without a guest."""
    from pms.selectors import in_house_room
    from pos.exceptions import NotInHouse

    stay_room = in_house_room(property=request.property, room_number=room_number)
    if stay_room is None:
        raise NotInHouse(_("Room %(number)s has no guest in house.") % {"number": room_number})
    guest = stay_room.reservation.guest
    fields = [
        (key, value)
        for key in request.POST
        if key not in ("csrfmiddlewaretoken", "room_confirmed")
        for value in request.POST.getlist(key)
    ]
    return {
        "room": room_number,
        "guest": str(guest) if guest else stay_room.reservation.reference,
        "amount": amount,
        "fields": fields,
        "url": url,
        "back": back,
        "target": target,
    }
