"""A paid room upgrade sold at a till (issue 19, seed 000's story): the room number → the
guest in house there, named; the rooms of the other types free for the rest of the stay, each
type with the difference the desk's upgrade posts (pms.services.upgrades.upgrade_offers); one
room picked → the till asks, naming the guest, the room and the amount; confirmed → the stay
moves and the difference is a charge on the guest's folio (room_upgrade_sell: one
transaction, once per key, audited with the terminal).

The screen is the POS's (the roles that sell at this terminal, `pos.sell`, with the outlet's
rights) and calls pms's service: pos sits beside pms and already reads its stays for a charge
to a room, while pms never imports pos. Another property's stay or room is a 404."""

from uuid import uuid4

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import DomainError
from core.scoping import capability_required
from pms.models import Reservation, ReservationRoom, Room
from pms.selectors import in_house_room
from pms.services.upgrades import (
    parse_difference,
    room_upgrade_sell,
    upgrade_move_date,
    upgrade_offers,
    upgrade_sale_result,
)
from pos.terminals import terminal_for_request


def _int(raw) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def _stay(request: HttpRequest, room_number: str) -> tuple[ReservationRoom | None, str]:
    """The stay in house in `room_number` at this property, or the reason there is none."""
    if not room_number:
        return None, ""
    rr = in_house_room(property=request.property, room_number=room_number)
    if rr is None:
        return None, _("Room %(number)s has no guest in house.") % {"number": room_number}
    return rr, ""


def _screen(
    request: HttpRequest,
    *,
    room_number: str,
    target: Room | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    rr, missing = _stay(request, room_number)
    offers = upgrade_offers(reservation_room=rr) if rr is not None else []
    confirm = None
    if rr is not None and target is not None:
        offer = next((o for o in offers if target in o.rooms), None)
        if offer is None:
            error = error or _("Room %(number)s is no longer free for this stay.") % {
                "number": target.number
            }
        else:
            confirm = {"room": target, "offer": offer, "key": uuid4().hex}
    return render(
        request,
        "pos/upgrade.html",
        {
            "room_number": room_number,
            "stay": rr,
            "offers": offers,
            "confirm": confirm,
            "nights_left": (
                (rr.reservation.departure - upgrade_move_date(rr.reservation)).days if rr else 0
            ),
            "error": error or missing,
        },
        status=status if not missing else 200,
    )


@require_GET
@capability_required("pos.upgrade")
def upgrade(request: HttpRequest) -> HttpResponse:
    """Step 1 (the room number), 2 (the guest and the offers) and 3 (the confirm sheet for
    the room picked, `to`): reads only."""
    room_number = request.GET.get("room", "").strip()[:10]
    target = None
    if (to := _int(request.GET.get("to"))) is not None:
        target = Room.objects.filter(property=request.property, pk=to).first()
        if target is None:
            raise Http404
    return _screen(request, room_number=room_number, target=target)


@require_POST
@capability_required("pos.upgrade")
def upgrade_sell(request: HttpRequest) -> HttpResponse:
    """The confirmed sale: the stay moves, the difference is on the folio."""
    prop = request.property
    rr = (
        ReservationRoom.objects.filter(
            pk=_int(request.POST.get("reservation_room")),
            reservation__property=prop,
            is_cancelled=False,
        )
        .select_related("reservation", "room")
        .first()
    )
    room = Room.objects.filter(property=prop, pk=_int(request.POST.get("room"))).first()
    if rr is None or room is None:
        raise Http404
    room_number = rr.room.number if rr.room_id else ""
    key = request.POST.get("key", "")[:60]
    if rr.reservation.status != Reservation.Status.IN_HOUSE:
        done = upgrade_sale_result(property_id=prop.pk, actor=request.user, key=key)
        if done is not None:  # the stay checked out since: the first tap's sale stands
            return redirect(reverse("pos:upgrade_done") + f"?key={key}")
        return _screen(
            request,
            room_number=room_number,
            error=_("This guest is no longer in house."),
            status=422,
        )
    terminal = terminal_for_request(request)
    try:
        room_upgrade_sell(
            reservation_room=rr,
            room=room,
            actor=request.user,
            key=key,
            expected_difference=parse_difference(request.POST.get("difference")),
            audit_data={"via": "pos", "terminal": terminal.pk if terminal else None},
        )
    except DomainError as exc:
        return _screen(request, room_number=room_number, error=str(exc.message), status=422)
    return redirect(reverse("pos:upgrade_done") + f"?key={key}")


@require_GET
@capability_required("pos.upgrade")
def upgrade_done(request: HttpRequest) -> HttpResponse:
    """What the sale did: the guest, the new room and the amount on the folio."""
    sale = upgrade_sale_result(
        property_id=request.property.pk, actor=request.user, key=request.GET.get("key", "")[:60]
    )
    if sale is None:
        raise Http404
    rr = (
        ReservationRoom.objects.filter(
            pk=sale.reservation_room_id, reservation__property=request.property
        )
        .select_related("reservation__guest", "room_type")
        .first()
    )
    if rr is None:
        raise Http404
    return render(request, "pos/upgrade_done.html", {"sale": sale, "stay": rr})
