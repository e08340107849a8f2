"""The reservation desk (PMS-8): search, a phone or walk-in booking, a change of dates,
rooms or plan (priced before it is saved), a cancellation with the plan's fee (or a
manager's waiver), a no-show, a group's rooming list.

Thin: each view parses the form, calls one service (one transaction) or selector, and
renders. A refused action changes nothing and the form comes back with the reason in the
user's language; the screens are full-page forms (a redirect after a successful POST)."""

from datetime import date
from uuid import uuid4

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.exceptions import DomainError, InvalidInput, NotFound
from core.formatting import money
from core.roles import role_has
from core.scoping import approvers_for, approvers_listed, capability_required
from core.services import staff_pin_verify
from crm.models import Company, Guest
from inventory.models import Channel
from pms.models import Reservation, Room, RoomType
from pms.selectors import (
    desk_offers,
    guest_candidates,
    likely_duplicates,
    reservation_detail,
    reservation_search,
    sellable_rate_plans,
)
from pms.services.desk import NewGuest, desk_reservation_create
from pms.services.online_payments import booking_cancel_with_refund
from pms.services.policies import (
    cancellation_fee,
    deposit_due,
    free_cancellation_until,
    policy_text,
)
from pms.services.reservations import (
    RoomRequest,
    reservation_mark_no_show,
    reservation_modify,
    reservation_requote,
    reservation_rooming_list_set,
)
from pms.services.upgrades import room_upgrade

MAX_DESK_ROOMS = 20


def _date(raw) -> date | None:
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        return None


def _int(raw, default: int | None = None) -> int | None:
    try:
        return int((raw or "").strip())
    except ValueError:
        return default


def _detail_or_404(request: HttpRequest, reference: str) -> Reservation:
    try:
        return reservation_detail(property=request.property, reference=reference)
    except NotFound:
        raise Http404


def _url(reference: str) -> str:
    return f"/frontdesk/reservations/{reference}/"


@require_http_methods(["GET"])
@capability_required("pms.frontdesk")
def search(request: HttpRequest) -> HttpResponse:
    """Reservations by name, reference, e-mail, phone, company or group, dates, status,
    channel."""
    g = request.GET
    status = g.get("status", "") if g.get("status", "") in Reservation.Status.values else ""
    channel = g.get("channel", "") if g.get("channel", "") in Channel.values else ""
    searched = any(g.get(k) for k in ("q", "arrival_from", "arrival_to", "status", "channel"))
    results = (
        reservation_search(
            property=request.property,
            text=g.get("q", ""),
            arrival_from=_date(g.get("arrival_from")),
            arrival_to=_date(g.get("arrival_to")),
            status=status,
            channel=channel,
        )
        if searched
        else []
    )
    return render(
        request,
        "pms/desk/search.html",
        {
            "results": results,
            "searched": searched,
            "q": g.get("q", ""),
            "arrival_from": g.get("arrival_from", ""),
            "arrival_to": g.get("arrival_to", ""),
            "status": status,
            "channel": channel,
            "statuses": Reservation.Status.choices,
            "channels": Channel.choices,
        },
    )


def _party(data) -> tuple[int, int, int]:
    adults = max(_int(data.get("adults"), 2) or 1, 1)
    children = max(_int(data.get("children"), 0) or 0, 0)
    rooms = min(max(_int(data.get("rooms"), 1) or 1, 1), MAX_DESK_ROOMS)
    return adults, children, rooms


def _company(request: HttpRequest, raw) -> Company | None:
    pk = _int(raw)
    if pk is None:
        return None
    company = Company.objects.filter(
        organization_id=request.property.organization_id, pk=pk
    ).first()
    if company is None:
        raise InvalidInput(_("Unknown company."), extra={"field": "company"})
    return company


def _new_context(request: HttpRequest, data, *, error: str = "", duplicates=()) -> dict:
    """The booking form: the party, the offers for the dates, the guest and the details."""
    prop = request.property
    today = prop.business_date()
    arrival = _date(data.get("arrival")) or today
    departure = _date(data.get("departure"))
    adults, children, rooms = _party(data)
    offers = []
    offers_error = ""
    company = None
    try:
        company = _company(request, data.get("company"))
    except DomainError as exc:
        offers_error = str(exc.message)
    if departure is not None and not offers_error:
        if departure <= arrival:
            offers_error = _("The departure must be after the arrival.")
        elif arrival < today:
            offers_error = _("The arrival date is in the past.")
        else:
            offers = desk_offers(
                property=prop,
                arrival=arrival,
                departure=departure,
                adults=adults,
                children=children,
                rooms=rooms,
                company=company,
            )
    guest_q = data.get("guest_q", "")
    chosen_guest = None
    if guest_id := _int(data.get("guest")):
        chosen_guest = Guest.objects.filter(
            organization_id=prop.organization_id, pk=guest_id
        ).first()
    return {
        "arrival": arrival,
        "departure": departure,
        "nights": (departure - arrival).days if departure and departure > arrival else 0,
        "adults": adults,
        "children": children,
        "rooms": rooms,
        "room_numbers": range(1, rooms + 1),
        "offers": offers,
        "offers_error": offers_error,
        "offer": data.get("offer", ""),
        "guest_q": guest_q,
        "candidates": guest_candidates(property=prop, text=guest_q) if guest_q else [],
        "chosen_guest": chosen_guest,
        "companies": list(
            Company.objects.filter(organization_id=prop.organization_id).order_by("name")
        ),
        "company": company,
        "data": data,
        "walk_in": data.get("walk_in") == "1",
        "key": data.get("key") or uuid4().hex,
        "error": error,
        "duplicates": duplicates,
    }


@require_http_methods(["GET", "POST"])
@capability_required("pms.frontdesk")
def new(request: HttpRequest) -> HttpResponse:
    """A phone call or a walk-in: dates and party → the offers → the guest → booked."""
    if request.method == "GET":
        return render(request, "pms/desk/new.html", _new_context(request, request.GET))
    data = request.POST
    prop = request.property
    try:
        arrival, departure = _date(data.get("arrival")), _date(data.get("departure"))
        if arrival is None or departure is None:
            raise InvalidInput(_("Arrival and departure dates are required."))
        room_type_id, _sep, plan_id = (data.get("offer") or "").partition(":")
        room_type = RoomType.objects.filter(property=prop, pk=_int(room_type_id)).first()
        if room_type is None:
            raise InvalidInput(_("Choose a room type and a rate."), extra={"field": "offer"})
        adults, children, count = _party(data)
        rooms = [
            RoomRequest(
                room_type.pk,
                adults,
                children,
                guest_name=(data.get(f"name_{i}") or "")[:200],
            )
            for i in range(1, count + 1)
        ]
        guest = None
        new_guest = None
        if guest_id := _int(data.get("guest")):
            guest = Guest.objects.filter(organization_id=prop.organization_id, pk=guest_id).first()
            if guest is None:
                raise InvalidInput(_("Unknown guest."))
        else:
            new_guest = NewGuest(
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
                email=data.get("email", ""),
                phone=data.get("phone", ""),
                language=data.get("language") or "fr",
            )
            if data.get("confirm_new") != "1":
                duplicates = likely_duplicates(
                    property=prop,
                    first_name=new_guest.first_name,
                    last_name=new_guest.last_name,
                    email=new_guest.email,
                    phone=new_guest.phone,
                )
                if duplicates:
                    context = _new_context(request, data, duplicates=duplicates)
                    return render(request, "pms/desk/new.html", context, status=200)
        reservation, _replayed = desk_reservation_create(
            property=prop,
            actor=request.user,
            key=data.get("key", ""),
            arrival=arrival,
            departure=departure,
            rooms=rooms,
            guest=guest,
            new_guest=new_guest,
            company=_company(request, data.get("company")),
            rate_plan_id=_int(plan_id),
            notes=data.get("notes", ""),
            guarantee_note=data.get("guarantee_note", ""),
            group_name=data.get("group_name", ""),
            walk_in=data.get("walk_in") == "1",
        )
    except DomainError as exc:
        context = _new_context(request, data, error=str(exc.message))
        return render(request, "pms/desk/new.html", context, status=422)
    if data.get("walk_in") == "1":
        messages.success(
            request,
            _("%(ref)s is booked: check the guest in now.") % {"ref": reservation.reference},
        )
        return redirect(_url(reservation.reference) + "#check-in")
    messages.success(
        request,
        _("%(ref)s is booked (%(total)s).")
        % {"ref": reservation.reference, "total": money(reservation.total_price)},
    )
    return redirect(_url(reservation.reference))


def _change_requests(res: Reservation, data) -> tuple[date | None, date | None, list, int | None]:
    arrival = _date(data.get("arrival")) or res.arrival
    departure = _date(data.get("departure")) or res.departure
    live = [r for r in res.rooms.all() if not r.is_cancelled]
    rooms = []
    for rr in live:
        room_type_id = _int(data.get(f"type_{rr.pk}"), rr.room_type_id)
        adults = _int(data.get(f"adults_{rr.pk}"), rr.adults)
        children = _int(data.get(f"children_{rr.pk}"), rr.children)
        rooms.append(RoomRequest(room_type_id, adults, children, guest_name=rr.guest_name))
    plan = _int(data.get("rate_plan"))
    return arrival, departure, rooms, plan


def _change_key(arrival, departure, rooms: list, plan: int | None) -> str:
    """What a quote priced, as text: the saved change must be the quoted one."""
    parts = [f"{r.room_type_id}:{r.adults}:{r.children}" for r in rooms]
    return f"{arrival}|{departure}|{','.join(parts)}|{plan or ''}"


def _change_context(request: HttpRequest, res: Reservation, data, **extra) -> dict:
    plans = sellable_rate_plans(property=request.property, channel=res.channel, company=res.company)
    live = [r for r in res.rooms.all() if not r.is_cancelled]
    # each room as typed (a quote, an error shows the form again with what was chosen)
    shown = [
        {
            "rr": rr,
            "type_id": _int(data.get(f"type_{rr.pk}"), rr.room_type_id),
            "adults": _int(data.get(f"adults_{rr.pk}"), rr.adults),
            "children": _int(data.get(f"children_{rr.pk}"), rr.children),
        }
        for rr in live
    ]
    return {
        "res": res,
        "live_rooms": shown,
        "room_types": list(RoomType.objects.filter(property=request.property)),
        "plans": plans,
        "current_plan": (res.policy or {}).get("rate_plan", ""),
        "data": data,
        **extra,
    }


@require_http_methods(["GET", "POST"])
@capability_required("pms.frontdesk")
def change(request: HttpRequest, reference: str) -> HttpResponse:
    """Dates, room types, guests per room, rate plan: priced first ("Preview" shows the old
    price, the new one and the difference), saved on "Save the change"."""
    res = _detail_or_404(request, reference)
    data = request.POST if request.method == "POST" else request.GET
    if request.method == "GET" and "arrival" not in data:
        return render(request, "pms/desk/change.html", _change_context(request, res, {}))
    arrival, departure, rooms, plan = _change_requests(res, data)
    key = _change_key(arrival, departure, rooms, plan)
    repriced = request.method == "POST" and data.get("confirm") == "1" and data.get("quoted") != key
    try:
        if request.method == "POST" and data.get("confirm") == "1" and not repriced:
            before = res.total_price
            res = reservation_modify(
                reservation=res,
                actor=request.user,
                arrival=arrival,
                departure=departure,
                rooms=rooms,
                rate_plan_id=plan,
            )
            messages.success(
                request,
                _("%(ref)s changed: %(before)s → %(after)s.")
                % {"ref": res.reference, "before": money(before), "after": money(res.total_price)},
            )
            return redirect(_url(res.reference))
        requote = reservation_requote(
            reservation=res, arrival=arrival, departure=departure, rooms=rooms, rate_plan_id=plan
        )
    except DomainError as exc:
        context = _change_context(request, res, data, error=str(exc.message))
        return render(request, "pms/desk/change.html", context, status=422)
    context = _change_context(
        request,
        res,
        data,
        requote=requote,
        quoted=key,
        # changed after its quote: priced again, not saved
        repriced=repriced,
        new_arrival=arrival,
        new_departure=departure,
        new_nights=(departure - arrival).days,
    )
    return render(request, "pms/desk/change.html", context)


def _manage(request: HttpRequest) -> bool:
    membership = getattr(request, "membership", None)
    return role_has(membership.role if membership else None, "manage")


def _waiver(request: HttpRequest):
    """The manager waiving a fee: the signed-in manager, or a manager's PIN typed at the
    desk. None when no waiver was asked. Raises InvalidInput, what the PIN check raises."""
    if request.POST.get("waive") != "1":
        return None
    if _manage(request) and not request.POST.get("approver"):
        return request.user
    approver_id = _int(request.POST.get("approver"))
    if (
        approver_id is None
        or not approvers_for(request.property).filter(user_id=approver_id).exists()
    ):
        raise InvalidInput(_("Choose the manager who approves."))
    return staff_pin_verify(
        property=request.property,
        user_id=approver_id,
        pin=(request.POST.get("pin") or "")[:12],
    )


def _cancel_context(request: HttpRequest, res: Reservation, **extra) -> dict:
    return {
        "res": res,
        "fee": cancellation_fee(res, timezone.now()),
        "free_until": free_cancellation_until(res),
        "policy": policy_text(res, language=request.LANGUAGE_CODE),
        "deposit": deposit_due(res),
        "approvers": approvers_listed(request.property),
        "is_manager": _manage(request),
        **extra,
    }


@require_http_methods(["GET", "POST"])
@capability_required("pms.frontdesk")
def cancel(request: HttpRequest, reference: str) -> HttpResponse:
    """The fee the plan charges now (posted to the folio), or a manager's waiver."""
    res = _detail_or_404(request, reference)
    if request.method == "GET":
        return render(request, "pms/desk/cancel.html", _cancel_context(request, res))
    try:
        waived_by = _waiver(request)
        # an online deposit goes back (less the fee) through the outbox after commit
        res = booking_cancel_with_refund(
            reservation=res,
            actor=request.user,
            reason=request.POST.get("reason", ""),
            waived_by=waived_by,
            waiver_reason=request.POST.get("waiver_reason", ""),
        )
    except DomainError as exc:
        context = _cancel_context(request, res, error=str(exc.message))
        return render(request, "pms/desk/cancel.html", context, status=422)
    messages.success(request, _("%(ref)s is cancelled.") % {"ref": res.reference})
    return redirect(_url(res.reference))


@require_POST
@capability_required("pms.frontdesk")
def no_show(request: HttpRequest, reference: str) -> HttpResponse:
    """The guest did not come: marked by hand (the night audit does it after the day
    rolls), the plan's fee posted."""
    res = _detail_or_404(request, reference)
    if request.POST.get("confirm") != "1":
        # it posts the no-show fee: never on a single stray tap
        messages.error(request, _("Confirm the no-show: it posts the no-show fee to the folio."))
        return redirect(_url(res.reference))
    try:
        reservation_mark_no_show(reservation=res, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect(_url(res.reference))
    messages.success(request, _("%(ref)s is marked as a no-show.") % {"ref": res.reference})
    return redirect(_url(res.reference))


@require_POST
@capability_required("pms.frontdesk")
def rooming_list(request: HttpRequest, reference: str) -> HttpResponse:
    """Who sleeps in which room (a group's names, filled in when they are known)."""
    res = _detail_or_404(request, reference)
    names = {
        rr.pk: request.POST.get(f"name_{rr.pk}", rr.guest_name)
        for rr in res.rooms.all()
        if not rr.is_cancelled
    }
    try:
        reservation_rooming_list_set(reservation=res, names=names, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect(_url(res.reference))
    messages.success(request, _("Rooming list saved."))
    return redirect(_url(res.reference) + "#rooming-list")


@require_POST
@capability_required("pms.frontdesk")
def upgrade(request: HttpRequest, reference: str) -> HttpResponse:
    """Move a room of the stay to a room of another type, free or paid (the difference on
    the folio)."""
    res = _detail_or_404(request, reference)
    try:
        rr = next(
            (
                r
                for r in res.rooms.all()
                if r.pk == _int(request.POST.get("reservation_room")) and not r.is_cancelled
            ),
            None,
        )
        room = Room.objects.filter(
            property=request.property, pk=_int(request.POST.get("room"))
        ).first()
        if rr is None or room is None:
            raise InvalidInput(_("Unknown room."))
        difference = room_upgrade(
            reservation_room=rr,
            room=room,
            paid=request.POST.get("paid") == "1",
            actor=request.user,
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect(_url(res.reference))
    if difference:
        notice = _("Upgraded to room %(number)s: %(amount)s posted to the folio.") % {
            "number": room.number,
            "amount": money(difference),
        }
    else:
        notice = _("Upgraded to room %(number)s, free of charge.") % {"number": room.number}
    messages.success(request, notice)
    return redirect(_url(res.reference))
