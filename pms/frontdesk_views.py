"""Front-desk screens (PMS-5): today's arrivals, departures and guests in house, the
reservation with its folio, check-in into a clean room, check-out and the settlement
payment, and the room grid. Errors are shown on the screen, never as a 500."""

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from billing.services.folios import folio_totals
from billing.services.payments import TenderInput, payments_record
from core.exceptions import DomainError, InvalidInput, NotFound
from core.money import quantize
from core.scoping import capability_required
from pms.frontdesk_selectors import room_grid, rooms_ready_for
from pms.models import Reservation
from pms.selectors import (
    arrivals_for_date,
    departures_for_date,
    in_house_for_date,
    reservation_detail,
    reservation_get,
)
from pms.services.stays import reservation_check_in, reservation_check_out

TERMINAL = "Réception"
GRID_DAYS = 14


@require_GET
@capability_required("pms.frontdesk")
def dashboard(request: HttpRequest) -> HttpResponse:
    prop = request.property
    today = prop.business_date()
    return render(
        request,
        "pms/frontdesk.html",
        {
            "today": today,
            "arrivals": arrivals_for_date(property=prop, business_date=today),
            "departures": departures_for_date(property=prop, business_date=today),
            "in_house": in_house_for_date(property=prop, business_date=today),
        },
    )


def _detail_or_404(request: HttpRequest, reference: str) -> Reservation:
    try:
        return reservation_detail(property=request.property, reference=reference)
    except NotFound:
        raise Http404


@require_GET
@capability_required("pms.frontdesk")
def reservation(request: HttpRequest, reference: str) -> HttpResponse:
    res = _detail_or_404(request, reference)
    prop = request.property
    rooms = []
    can_check_in = res.status in (Reservation.Status.OPTION, Reservation.Status.CONFIRMED)
    for rr in res.rooms.all():
        if rr.is_cancelled:
            continue
        ready = (
            list(rooms_ready_for(reservation_room=rr, start=res.arrival, end=res.departure))
            if can_check_in
            else []
        )
        rooms.append({"rr": rr, "ready": ready})
    folio = res.folio
    totals = folio_totals(folio=folio) if folio else None
    return render(
        request,
        "pms/reservation.html",
        {
            "res": res,
            "rooms": rooms,
            "can_check_in": can_check_in and res.arrival <= prop.business_date(),
            "can_check_out": res.status == Reservation.Status.IN_HOUSE,
            "folio": folio,
            "folio_lines": list(folio.lines.all()) if folio else [],
            "payments": list(folio.payments.order_by("created_at", "pk")) if folio else [],
            "totals": totals,
            "can_settle": bool(totals and totals["balance"] > 0),
        },
    )


def _back(reference: str):
    return redirect("frontdesk:reservation", reference=reference)


def _reservation_or_404(request: HttpRequest, reference: str) -> Reservation:
    try:
        return reservation_get(property=request.property, reference=reference)
    except NotFound:
        raise Http404


@require_POST
@capability_required("pms.frontdesk")
def check_in(request: HttpRequest, reference: str) -> HttpResponse:
    res = _reservation_or_404(request, reference)
    assignments = {}
    for rr in res.rooms.filter(is_cancelled=False):
        raw = request.POST.get(f"room_{rr.pk}", "")
        if raw:
            try:
                assignments[rr.pk] = int(raw)
            except ValueError:
                messages.error(request, _("Unknown room."))
                return _back(reference)
    try:
        reservation_check_in(reservation=res, actor=request.user, assignments=assignments or None)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return _back(reference)
    messages.success(request, _("%(ref)s is checked in.") % {"ref": reference})
    return _back(reference)


@require_POST
@capability_required("pms.frontdesk")
def check_out(request: HttpRequest, reference: str) -> HttpResponse:
    res = _reservation_or_404(request, reference)
    try:
        reservation_check_out(reservation=res, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return _back(reference)
    messages.success(request, _("%(ref)s is checked out.") % {"ref": reference})
    return redirect(f"/frontdesk/reservations/{reference}/#settle")


def _amount(raw) -> Decimal:
    try:
        value = Decimal((raw or "").strip().replace(",", "."))
    except InvalidOperation:
        raise InvalidInput(_("Enter a valid amount."))
    if not value.is_finite() or value <= 0:
        raise InvalidInput(_("Enter a valid amount."))
    return quantize(value)


@require_POST
@capability_required("pms.frontdesk")
def settle(request: HttpRequest, reference: str) -> HttpResponse:
    """Record a payment on the stay's folio (settlement at check-out, or a deposit)."""
    res = _reservation_or_404(request, reference)
    if res.folio is None:
        messages.error(request, _("This reservation has no folio."))
        return _back(reference)
    try:
        amount = _amount(request.POST.get("amount"))
        balance = folio_totals(folio=res.folio)["balance"]
        if amount > balance:
            raise InvalidInput(
                _("The payment (%(paid)s) is more than the balance (%(due)s).")
                % {"paid": amount, "due": balance}
            )
        method = request.POST.get("method")
        if method not in ("cash", "card", "bank_transfer"):
            raise InvalidInput(_("Choose a payment method."))
        tendered = None
        if method == "cash" and (request.POST.get("tendered") or "").strip():
            tendered = _amount(request.POST.get("tendered"))
        with transaction.atomic():
            payments_record(
                property=request.property,
                folio=res.folio,
                tenders=[
                    TenderInput(
                        method=method,
                        amount=amount,
                        tendered=tendered,
                        terminal_reference=(request.POST.get("reference") or "").strip()[:100],
                    )
                ],
                actor=request.user,
                terminal=TERMINAL,
            )
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return _back(reference)
    messages.success(request, _("Payment of %(amount)s recorded.") % {"amount": amount})
    return _back(reference)


@require_GET
@capability_required("pms.frontdesk")
def grid(request: HttpRequest) -> HttpResponse:
    prop = request.property
    today = prop.business_date()
    try:
        start = date.fromisoformat(request.GET.get("start", ""))
    except ValueError:
        start = today
    if abs((start - today).days) > 3650:
        start = today
    dates, rows = room_grid(property=prop, start=start, days=GRID_DAYS)
    return render(
        request,
        "pms/room_grid.html",
        {
            "dates": dates,
            "rows": rows,
            "today": today,
            "previous": start - timedelta(days=GRID_DAYS),
            "next": start + timedelta(days=GRID_DAYS),
        },
    )
