"""Front-desk screens (PMS-5): today's arrivals, departures and guests in house, the
reservation with its folio, check-in into a clean room (identity, deposit), room moves,
extras, payments, check-out, the invoice and its credit notes, and the room grid.

Every action on the reservation screen is a form that works twice over: with htmx it swaps
the `desk` partial (errors next to the form that failed, in the user's language), without
it the browser posts, gets redirected and reads the message at the top (full-page fallback).
Errors are shown on the screen, never as a 500, and a refused action changes nothing (each
action runs in one transaction)."""

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from uuid import uuid4

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from billing.models import Invoice
from billing.services.folios import folio_totals
from billing.services.invoice_documents import invoice_email_request
from billing.services.invoices import credit_note_issue, folio_lines_not_invoiced
from billing.services.payments import TenderInput, folio_settle
from core.exceptions import DomainError, InvalidInput, NotFound, PermissionDenied
from core.formatting import money
from core.money import amount_text, quantize
from core.roles import role_has
from core.scoping import approvers_for, approvers_listed, capability_required
from core.services import staff_pin_verify
from crm.models import Company
from crm.selectors import guests_sharing_email
from crm.services.gdpr import MARKETING_WORDING
from inventory.models import RevenueCategory
from inventory.promotion_labels import discounts_for
from pms.models import Reservation, Room
from pms.selectors import (
    arrivals_for_date,
    departures_for_date,
    desk_extra_products,
    folio_documents,
    in_house_for_date,
    reservation_deposit_state,
    reservation_detail,
    reservation_get,
    room_grid,
    rooms_for_upgrade,
    rooms_ready_for,
)
from pms.services.policies import deposit_due, policy_text
from pms.services.rooms import room_move
from pms.services.stays import (
    DepartureBalance,
    IdentityInput,
    reservation_check_out,
    stay_check_in_at_desk,
    stay_extra_post,
    stay_invoice_issue,
)

TERMINAL = "Réception"
GRID_DAYS = 14
METHODS = ("cash", "card", "bank_transfer")


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


def _can_credit(request: HttpRequest) -> bool:
    membership = getattr(request, "membership", None)
    return role_has(membership.role if membership else None, "manage")


def _desk_context(request: HttpRequest, res: Reservation) -> dict:
    """Everything the reservation screen shows: the stay, its rooms (with the clean rooms
    offered for check-in or a move), the folio, its payments and its invoices."""
    prop = request.property
    today = prop.business_date()
    Status = Reservation.Status
    can_check_in = res.status in (Status.OPTION, Status.CONFIRMED)
    can_move = res.status in (Status.OPTION, Status.CONFIRMED, Status.IN_HOUSE)
    move_from = max(today, res.arrival)
    rooms = []
    for rr in res.rooms.all():
        if rr.is_cancelled:
            continue
        ready = (
            list(rooms_ready_for(reservation_room=rr, start=res.arrival, end=res.departure))
            if can_check_in
            else []
        )
        movable = []
        if can_move and rr.room_id and move_from < res.departure:
            movable = [
                room
                for room in rooms_ready_for(reservation_room=rr, start=move_from, end=res.departure)
                if room.pk != rr.room_id
            ]
        upgrades = []
        if can_move and rr.room_id and move_from < res.departure:
            upgrades = list(
                rooms_for_upgrade(reservation_room=rr, start=move_from, end=res.departure)
            )
        rooms.append({"rr": rr, "ready": ready, "movable": movable, "upgrades": upgrades})
    folio = res.folio
    totals = folio_totals(folio=folio) if folio else None
    payments = list(folio.payments.order_by("created_at", "pk")) if folio else []
    for p in payments:
        # a payment taken before the guest left is a deposit (acompte) on the printed folio
        p.is_deposit = res.checked_out_at is None or p.created_at < res.checked_out_at
    documents = folio_documents(folio=folio) if folio else []
    uninvoiced = folio_lines_not_invoiced(folio=folio) if folio else []
    can_credit = _can_credit(request)
    for doc in documents:
        doc.can_credit = can_credit and doc.kind == Invoice.Kind.INVOICE and doc.left_to_credit > 0
    live = [rr for rr in res.rooms.all() if not rr.is_cancelled]
    return {
        "deposit_state": reservation_deposit_state(reservation=res),
        "res": res,
        "rooms": rooms,
        "policy": policy_text(res, language=request.LANGUAGE_CODE),
        "deposit": deposit_due(res),
        "can_change": res.status in Reservation.ACTIVE_STATUSES,
        "can_cancel": res.status in (Status.OPTION, Status.CONFIRMED),
        "can_no_show": res.status in (Status.OPTION, Status.CONFIRMED) and res.arrival <= today,
        "rooming_list": live if len(live) > 1 and res.status in Reservation.ACTIVE_STATUSES else [],
        "can_check_in": can_check_in and res.arrival <= today,
        "marketing_wording": MARKETING_WORDING,
        "can_check_out": res.status == Status.IN_HOUSE,
        "in_house": res.status == Status.IN_HOUSE,
        "folio": folio,
        # each discounted line names its promotion (list price, discount)
        "folio_lines": discounts_for(property_id=prop.pk, lines=folio.lines.all()) if folio else [],
        "payments": payments,
        "totals": totals,
        "can_settle": bool(totals and totals["balance"] > 0),
        "extra_products": desk_extra_products(property=prop)
        if res.status == Status.IN_HOUSE
        else [],
        "extra_key": uuid4().hex,
        "documents": documents,
        "can_invoice": bool(res.status == Status.CHECKED_OUT and uninvoiced),
        "can_split": bool(
            res.company_id
            and any(li.revenue_category == RevenueCategory.ACCOMMODATION for li in uninvoiced)
        ),
        "guest_email": res.guest.email,
        # perhaps the same person: shown to the desk, never merged by the booking itself
        "same_email_guests": list(guests_sharing_email(guest=res.guest)[:5]),
        "methods": METHODS,
        # the check-out's choices for a balance not settled
        "may_transfer": role_has(
            request.membership.role if request.membership else None, "billing.city_ledger"
        ),
        "companies": list(
            Company.objects.filter(organization_id=prop.organization_id).order_by("name")
        )
        if res.status == Status.IN_HOUSE
        else [],
        "approvers": approvers_listed(prop) if res.status == Status.IN_HOUSE else [],
    }


@require_GET
@capability_required("pms.frontdesk")
def reservation(request: HttpRequest, reference: str) -> HttpResponse:
    res = _detail_or_404(request, reference)
    return render(request, "pms/reservation.html", _desk_context(request, res))


def _reservation_or_404(request: HttpRequest, reference: str) -> Reservation:
    try:
        return reservation_get(property=request.property, reference=reference)
    except NotFound:
        raise Http404


def _done(
    request: HttpRequest,
    reference: str,
    *,
    notice: str = "",
    error: str = "",
    where: str = "",
) -> HttpResponse:
    """htmx: the re-rendered desk with the message next to the form `where`; otherwise a
    redirect to the full page with the message on top."""
    if request.htmx:
        res = _detail_or_404(request, reference)
        context = {**_desk_context(request, res), "notice": notice, "error": error}
        shown = {
            "check-in": context["can_check_in"],
            "rooms": not context["can_check_in"],
            "check-out": context["can_check_out"],
            "extra": context["in_house"] and context["folio"] is not None,
            "settle": context["can_settle"],
            "invoices": context["folio"] is not None,
        }
        # the form that failed may be gone (the state changed meanwhile): error on top then
        context["error_for"] = where if shown.get(where) else ""
        return render(request, "pms/reservation.html#desk", context)
    if error:
        messages.error(request, error)
    elif notice:
        messages.success(request, notice)
    url = f"/frontdesk/reservations/{reference}/"
    return redirect(f"{url}#{where}" if where else url)


def _amount(raw, *, optional: bool = False) -> Decimal | None:
    text = amount_text(raw)
    if not text and optional:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InvalidInput(_("Enter a valid amount."))
    if not value.is_finite() or value <= 0 or value >= Decimal("1000000"):
        raise InvalidInput(_("Enter a valid amount."))
    return quantize(value)


def _tender(request: HttpRequest, amount: Decimal, prefix: str = "") -> TenderInput:
    method = request.POST.get(f"{prefix}method")
    if method not in METHODS:
        raise InvalidInput(_("Choose a payment method."))
    tendered = None
    if method == "cash":
        tendered = _amount(request.POST.get(f"{prefix}tendered"), optional=True)
    return TenderInput(
        method=method,
        amount=amount,
        tendered=tendered,
        terminal_reference=(request.POST.get(f"{prefix}reference") or "").strip()[:100],
    )


@require_POST
@vary_on_headers("HX-Request")
@capability_required("pms.frontdesk")
def check_in(request: HttpRequest, reference: str) -> HttpResponse:
    """Check in: the rooms chosen, the guest's identity as read from their ID, and an
    optional deposit — all or nothing."""
    res = _reservation_or_404(request, reference)
    try:
        assignments = {}
        for rr in res.rooms.filter(is_cancelled=False):
            raw = request.POST.get(f"room_{rr.pk}", "")
            if raw:
                try:
                    assignments[rr.pk] = int(raw)
                except ValueError:
                    raise InvalidInput(_("Unknown room."))
        deposit = _amount(request.POST.get("deposit"), optional=True)
        identity = None
        if "last_name" in request.POST:
            identity = IdentityInput(
                **{
                    field: request.POST.get(field, "")
                    for field in ("last_name", "first_name", "email", "phone", "country")
                }
            )
        res = stay_check_in_at_desk(
            reservation=res,
            actor=request.user,
            assignments=assignments,
            identity=identity,
            deposit=_tender(request, deposit, prefix="deposit_") if deposit else None,
            terminal=TERMINAL,
            marketing_opt_in=request.POST.get("marketing_opt_in") == "1",
        )
    except DomainError as exc:
        return _done(request, reference, error=str(exc.message), where="check-in")
    notice = _("%(ref)s is checked in.") % {"ref": reference}
    if deposit:
        notice += " " + _("Deposit of %(amount)s recorded.") % {"amount": money(deposit)}
    return _done(request, reference, notice=notice)


@require_POST
@vary_on_headers("HX-Request")
@capability_required("pms.frontdesk")
def move(request: HttpRequest, reference: str) -> HttpResponse:
    """Move one room of the stay to another clean, free room of the same type from today."""
    res = _reservation_or_404(request, reference)
    try:
        try:
            rr_id = int(request.POST.get("reservation_room", ""))
            room_id = int(request.POST.get("room", ""))
        except ValueError:
            raise InvalidInput(_("Choose the room to move to."))
        rr = res.rooms.filter(pk=rr_id, is_cancelled=False).first()
        room = Room.objects.filter(property=request.property, pk=room_id).first()
        if rr is None or room is None:
            raise InvalidInput(_("Unknown room."))
        if rr.room_id is None:
            raise InvalidInput(_("Assign a room to every room of the reservation first."))
        old = rr.room.number
        room_move(
            reservation_room=rr,
            room=room,
            actor=request.user,
            require_ready=res.status == Reservation.Status.IN_HOUSE,
        )
    except DomainError as exc:
        return _done(request, reference, error=str(exc.message), where="rooms")
    return _done(
        request,
        reference,
        notice=_("Moved from room %(old)s to room %(new)s.") % {"old": old, "new": room.number},
    )


@require_POST
@vary_on_headers("HX-Request")
@capability_required("pms.frontdesk")
def post_extra(request: HttpRequest, reference: str) -> HttpResponse:
    """Post an extra (minibar, parking…) to the folio of a guest in house."""
    res = _reservation_or_404(request, reference)
    try:
        try:
            product_id = int(request.POST.get("product_id", ""))
        except ValueError:
            raise InvalidInput(_("Choose what to post."))
        try:
            quantity = int(request.POST.get("quantity", "1") or "1")
        except ValueError:
            raise InvalidInput(_("The quantity must be a whole number."))
        line = stay_extra_post(
            reservation=res,
            product_id=product_id,
            quantity=quantity,
            key=request.POST.get("key", ""),
            actor=request.user,
        )
    except DomainError as exc:
        return _done(request, reference, error=str(exc.message), where="extra")
    return _done(
        request,
        reference,
        notice=_("%(what)s posted (%(amount)s).")
        % {"what": line.description, "amount": money(line.total)},
        where="folio",
    )


@require_POST
@vary_on_headers("HX-Request")
@capability_required("pms.frontdesk")
def check_out(request: HttpRequest, reference: str) -> HttpResponse:
    res = _reservation_or_404(request, reference)
    try:
        reservation_check_out(
            reservation=res, actor=request.user, open_balance=_open_balance(request)
        )
    except DomainError as exc:
        return _done(request, reference, error=str(exc.message), where="check-out")
    return _done(
        request, reference, notice=_("%(ref)s is checked out.") % {"ref": reference}, where="settle"
    )


def _open_balance(request: HttpRequest) -> DepartureBalance | None:
    """The check-out form's choice for a balance not settled: none (it must be settled), a
    transfer to a company's account (roles with billing.city_ledger), or left open on a
    manager's PIN and a reason. Raises PermissionDenied, InvalidInput, what the PIN check
    raises (wrong PIN, lockout)."""
    choice = request.POST.get("balance", "")
    if choice == "pay":
        tender = _tender(request, Decimal("0.00"), prefix="pay_")
        return DepartureBalance(
            pay_method=tender.method,
            pay_reference=tender.terminal_reference,
            pay_tendered=tender.tendered,
            pay_terminal=TERMINAL,
        )
    if choice == "transfer":
        membership = getattr(request, "membership", None)
        if not role_has(membership.role if membership else None, "billing.city_ledger"):
            raise PermissionDenied(
                _("Only a manager or the accountant may transfer a balance to a company.")
            )
        try:
            company_id = int(request.POST.get("company", ""))
        except ValueError:
            company_id = None
        company = Company.objects.filter(
            organization_id=request.property.organization_id, pk=company_id
        ).first()
        if company is None:
            raise InvalidInput(_("Choose one of your companies' accounts."))
        return DepartureBalance(company=company)
    if choice == "open":
        reason = " ".join(request.POST.get("reason", "").split())
        if not reason:
            raise InvalidInput(_("Give the reason for leaving the balance open."))
        try:
            approver_id = int(request.POST.get("approver", ""))
        except ValueError:
            approver_id = None
        if (
            approver_id is None
            or not approvers_for(request.property).filter(user_id=approver_id).exists()
        ):
            raise InvalidInput(_("Choose the manager who approves."))
        approver = staff_pin_verify(
            property=request.property,
            user_id=approver_id,
            pin=(request.POST.get("pin") or "")[:12],
        )
        return DepartureBalance(approver=approver, reason=reason)
    return None


@require_POST
@vary_on_headers("HX-Request")
@capability_required("pms.frontdesk")
def settle(request: HttpRequest, reference: str) -> HttpResponse:
    """Record a payment on the stay's folio (settlement at check-out, or while in house)."""
    res = _reservation_or_404(request, reference)
    try:
        if res.folio is None:
            raise InvalidInput(_("This reservation has no folio."))
        amount = _amount(request.POST.get("amount"))
        tender = _tender(request, amount)
        folio_settle(
            property=request.property,
            folio=res.folio,
            tenders=[tender],
            actor=request.user,
            terminal=TERMINAL,
        )
    except DomainError as exc:
        return _done(request, reference, error=str(exc.message), where="settle")
    return _done(
        request,
        reference,
        notice=_("Payment of %(amount)s recorded.") % {"amount": money(amount)},
        where="invoices",
    )


@require_POST
@vary_on_headers("HX-Request")
@capability_required("pms.frontdesk")
def issue_invoice(request: HttpRequest, reference: str) -> HttpResponse:
    """After check-out: one consolidated invoice (to the guest, or to the stay's company), or
    (a company paying the room) the room nights to the company and the rest to the guest.
    Numbers come from billing's series."""
    res = _reservation_or_404(request, reference)
    mode = request.POST.get("mode")
    try:
        issued = stay_invoice_issue(
            reservation=res,
            actor=request.user,
            split=mode == "split",
            to_company=mode == "company",
        )
    except DomainError as exc:
        return _done(request, reference, error=str(exc.message), where="invoices")
    return _done(
        request,
        reference,
        notice=_("Invoice %(numbers)s issued.") % {"numbers": ", ".join(i.number for i in issued)},
        where="invoices",
    )


def _document(request: HttpRequest, res: Reservation) -> Invoice:
    raw = request.POST.get("invoice", "")
    try:
        doc = Invoice.objects.filter(
            property=request.property, folio_id=res.folio_id, public_id=raw
        ).first()
    except ValidationError:
        doc = None
    if doc is None or res.folio_id is None:
        raise InvalidInput(_("No such invoice."))
    return doc


@require_POST
@vary_on_headers("HX-Request")
@capability_required("pms.frontdesk")
def email_invoice(request: HttpRequest, reference: str) -> HttpResponse:
    """E-mail an invoice or credit note's PDF to the guest: a retried Celery task enqueued
    after commit (the request never waits for the mail server)."""
    res = _reservation_or_404(request, reference)
    try:
        doc = _document(request, res)
        email = invoice_email_request(
            invoice=doc, email=request.POST.get("email", ""), actor=request.user
        )
    except DomainError as exc:
        return _done(request, reference, error=str(exc.message), where="invoices")
    return _done(
        request,
        reference,
        notice=_("%(number)s will be e-mailed to %(email)s.")
        % {"number": doc.number, "email": email},
        where="invoices",
    )


@require_POST
@vary_on_headers("HX-Request")
@capability_required("pms.frontdesk")
def credit_note(request: HttpRequest, reference: str) -> HttpResponse:
    """A credit note (avoir) against one of the stay's invoices, in full or for an amount,
    with a reason. Managers only: a receptionist asks a manager to sign in (PIN switch)."""
    res = _reservation_or_404(request, reference)
    try:
        if not _can_credit(request):
            raise PermissionDenied(_("Only a manager can issue a credit note."))
        doc = _document(request, res)
        amount = None
        if request.POST.get("mode") == "amount":
            amount = _amount(request.POST.get("amount"))
        note = credit_note_issue(
            invoice=doc, actor=request.user, reason=request.POST.get("reason", ""), amount=amount
        )
    except DomainError as exc:
        return _done(request, reference, error=str(exc.message), where="invoices")
    return _done(
        request,
        reference,
        notice=_("Credit note %(number)s issued (%(amount)s).")
        % {"number": note.number, "amount": money(note.total)},
        where="invoices",
    )


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
