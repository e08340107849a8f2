"""Housekeeping on a phone (PMS-9): the rooms by floor with their status, filtered to today's
departures, stay-overs and arrivals; one tap sets a room dirty, clean or (a supervisor)
inspected; out-of-order periods with a reason and dates, which leave the room type's capacity
at once (the booking engine, the API and the desk's grid read it on their next request).

Each tap is a form: with htmx the board is swapped in place (the message next to it), without
it the browser posts and is redirected. A refused tap changes nothing and says why."""

from datetime import date
from uuid import uuid4

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from core.exceptions import DomainError, InvalidInput
from core.roles import role_has
from core.scoping import capability_required
from pms.models import Room, RoomOutOfOrder
from pms.selectors import HOUSEKEEPING_FILTERS, housekeeping_board
from pms.services.minibar import (
    minibar_consume,
    minibar_products,
    minibar_room_numbers,
    room_minibar,
)
from pms.services.rooms import room_back_in_service, room_housekeeping_set, room_out_of_order


def _only(request: HttpRequest) -> str:
    only = request.GET.get("only") or request.POST.get("only") or ""
    return only if only in HOUSEKEEPING_FILTERS else ""


def _may_inspect(request: HttpRequest) -> bool:
    membership = getattr(request, "membership", None)
    return role_has(membership.role if membership else None, "pms.inspect")


def _context(request: HttpRequest, **extra) -> dict:
    prop = request.property
    today = prop.business_date()
    only = _only(request)
    return {
        "today": today,
        "only": only,
        "filters": [
            ("", _("All rooms")),
            ("departures", _("Departures")),
            ("stayovers", _("Stay-overs")),
            ("arrivals", _("Arrivals")),
        ],
        "floors": housekeeping_board(property=prop, business_date=today, only=only),
        "may_inspect": _may_inspect(request),
        "rooms": Room.objects.filter(property=prop, is_active=True).order_by("number"),
        "minibar_rooms": minibar_room_numbers(property=prop),
        **extra,
    }


@require_GET
@capability_required("pms.housekeeping")
def board(request: HttpRequest) -> HttpResponse:
    return render(request, "pms/housekeeping/board.html", _context(request))


def _done(
    request: HttpRequest, *, notice: str = "", error: str = "", ooo_error: str = ""
) -> HttpResponse:
    """The board again. `ooo_error`: the out-of-order form was refused: its error is shown
    beside it (the form is at the bottom, out of sight of the top's) and what was typed is
    kept."""
    if request.htmx:
        extra = {"ooo_error": ooo_error, "ooo": request.POST} if ooo_error else {}
        return render(
            request,
            "pms/housekeeping/board.html#board",
            _context(request, notice=notice, error=error, **extra),
        )
    error = error or ooo_error
    if error:
        messages.error(request, error)
    elif notice:
        messages.success(request, notice)
    only = _only(request)
    return redirect(f"/housekeeping/?only={only}" if only else "/housekeeping/")


def _room(request: HttpRequest, room_id: int) -> Room:
    room = Room.objects.filter(property=request.property, pk=room_id).first()
    if room is None:
        raise InvalidInput(_("Unknown room."))
    return room


@require_POST
@vary_on_headers("HX-Request")
@capability_required("pms.housekeeping")
def set_status(request: HttpRequest, room_id: int) -> HttpResponse:
    """One tap: the room is dirty, clean or inspected from now on (who and when recorded)."""
    try:
        room = room_housekeeping_set(
            room=_room(request, room_id),
            status=request.POST.get("status", ""),
            actor=request.user,
            may_inspect=_may_inspect(request),
        )
    except DomainError as exc:
        return _done(request, error=str(exc.message))
    return _done(
        request,
        notice=_("Room %(number)s: %(status)s.")
        % {"number": room.number, "status": room.get_housekeeping_status_display()},
    )


def _day(raw: str, label: str) -> date:
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        raise InvalidInput(_("Enter a valid date for “%(field)s”.") % {"field": label})


@require_POST
@vary_on_headers("HX-Request")
@capability_required("pms.housekeeping")
def out_of_order(request: HttpRequest) -> HttpResponse:
    """Take a room out of order over [start, end) with a reason; refused (nothing changed)
    when a guest is assigned to it on those nights or the dates are wrong."""
    try:
        try:
            room_id = int(request.POST.get("room", ""))
        except ValueError:
            raise InvalidInput(_("Choose a room."))
        room = _room(request, room_id)
        start = _day(request.POST.get("start"), _("from"))
        end = _day(request.POST.get("end"), _("until"))
        if start < request.property.business_date():
            raise InvalidInput(_("An out-of-order period cannot start in the past."))
        room_out_of_order(
            room=room,
            start=start,
            end=end,
            reason=request.POST.get("reason", ""),
            actor=request.user,
        )
    except DomainError as exc:
        return _done(request, ooo_error=str(exc.message))
    return _done(
        request,
        notice=_("Room %(number)s is out of order from %(start)s until %(end)s.")
        % {"number": room.number, "start": f"{start:%d/%m/%Y}", "end": f"{end:%d/%m/%Y}"},
    )


@require_POST
@vary_on_headers("HX-Request")
@capability_required("pms.housekeeping")
def back_in_service(request: HttpRequest, period_id: int) -> HttpResponse:
    """End an out-of-order period: its nights return to sale."""
    period = (
        RoomOutOfOrder.objects.filter(room__property=request.property, pk=period_id)
        .select_related("room")
        .first()
    )
    try:
        if period is None:
            raise InvalidInput(_("Unknown out-of-order period."))
        room_back_in_service(out_of_order=period, actor=request.user)
    except DomainError as exc:
        return _done(request, error=str(exc.message))
    return _done(
        request, notice=_("Room %(number)s is back in service.") % {"number": period.room.number}
    )


@require_http_methods(["GET", "POST"])
@capability_required("pms.housekeeping")
def minibar(request: HttpRequest, room_id: int) -> HttpResponse:
    """The room's minibar on the housekeeper's phone: what was taken, charged to the guest in
    house and taken from the minibar's stock in one tap (pms.services.minibar)."""
    room = Room.objects.filter(property=request.property, pk=room_id).first()
    if room is None:
        raise Http404
    location = room_minibar(room)
    if location is None:
        raise Http404
    rows = minibar_products(location)
    error = ""
    if request.method == "POST":
        consumed = {}
        for product, _level in rows:
            raw = (request.POST.get(f"product_{product.pk}") or "").strip()
            if raw:
                consumed[product.pk] = int(raw) if raw.isdigit() else -1
        try:
            minibar_consume(
                room=room, consumed=consumed, key=request.POST.get("key", ""), actor=request.user
            )
        except DomainError as exc:
            error = str(exc.message)
        else:
            messages.success(
                request, _("Room %(number)s: minibar charged.") % {"number": room.number}
            )
            return redirect("housekeeping:board")
    return render(
        request,
        "pms/housekeeping/minibar.html",
        {"room": room, "rows": rows, "error": error, "key": uuid4().hex},
        status=422 if error else 200,
    )
