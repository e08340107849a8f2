"""Cash drawer screens: open with a float, X report, close with a blind count, Z report."""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from billing.models import Payment
from core.exceptions import DomainError, InvalidInput
from core.formatting import money
from core.money import amount_text
from core.roles import role_has
from core.scoping import capability_required
from pos.models import CashSession
from pos.services.cash import (
    DENOMINATIONS,
    FACE_VALUE_METHODS,
    SLIP_METHODS,
    DrawerCount,
    cash_movement_record,
    cash_session_close,
    cash_session_open,
    cash_session_totals,
)
from pos.services.receipts import z_report_print
from pos.terminals import terminal_for_request
from pos.z_report import z_report_for_day, z_report_for_session, z_report_pdf


def _amount(raw) -> Decimal:
    try:
        value = Decimal(amount_text(raw))
    except InvalidOperation:
        raise InvalidInput(_("Enter a valid amount."))
    if not value.is_finite():
        raise InvalidInput(_("Enter a valid amount."))
    return value


def _open_session(request, terminal):
    return (
        CashSession.objects.filter(
            property=request.property, terminal=terminal, status=CashSession.Status.OPEN
        )
        .select_related("terminal__outlet", "opened_by")
        .first()
    )


def _this_drawer(request) -> CashSession | None:
    """The open drawer of this till; None (said in a message) when there is none."""
    terminal = terminal_for_request(request)
    session = _open_session(request, terminal) if terminal else None
    if session is None:
        messages.error(request, _("No drawer is open on this till."))
    return session


@require_GET
@capability_required("pos.cash")
def drawer(request: HttpRequest) -> HttpResponse:
    terminal = terminal_for_request(request)
    session = _open_session(request, terminal) if terminal else None
    recent = CashSession.objects.filter(
        property=request.property, status=CashSession.Status.CLOSED
    ).select_related("terminal__outlet")[:10]
    return render(
        request,
        "pos/cash.html",
        {
            "terminal": terminal,
            "session": session,
            "recent": recent,
            "denominations": DENOMINATIONS,
            "face_methods": [(m, Payment.Method(m).label) for m in FACE_VALUE_METHODS],
            "slip_methods": [(m, Payment.Method(m).label) for m in SLIP_METHODS],
            "face_rows": range(FACE_ROWS),
        },
    )


@require_POST
@capability_required("pos.cash")
def drawer_open(request: HttpRequest) -> HttpResponse:
    terminal = terminal_for_request(request)
    try:
        if terminal is None:
            raise InvalidInput(_("This device is not bound to a terminal."))
        cash_session_open(
            terminal=terminal, actor=request.user, opening_float=_amount(request.POST.get("float"))
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect("pos:cash")


FACE_ROWS = 4  # face values per title on the closing form


def _pieces(raw) -> int:
    raw = (raw or "").strip()
    if not raw:
        return 0
    if not raw.isdigit():
        raise InvalidInput(_("Enter a whole number of pieces."))
    return int(raw)


def _drawer_count(post) -> DrawerCount:
    """The closing form: cash by denomination (or one total, `counted`), each face-value
    title as rows of (face value, pieces), the card slips' totals."""
    pieces: dict[str, dict[Decimal, int]] = {}
    cash = {d: _pieces(post.get(f"cash_{d}")) for d in DENOMINATIONS}
    total = (post.get("counted") or "").strip()
    if any(cash.values()) or not total:
        pieces["cash"] = cash
    for method in FACE_VALUE_METHODS:
        rows: dict[Decimal, int] = {}
        for i in range(FACE_ROWS):
            face = (post.get(f"{method}_face_{i}") or "").strip()
            quantity = _pieces(post.get(f"{method}_qty_{i}"))
            if face or quantity:
                value = _amount(face)
                rows[value] = rows.get(value, 0) + quantity
        if rows:
            pieces[method] = rows
    slips = {
        m: _amount(post.get(f"slip_{m}"))
        for m in SLIP_METHODS
        if (post.get(f"slip_{m}") or "").strip()
    }
    return DrawerCount(
        pieces=pieces, slips=slips, cash_total=None if "cash" in pieces else _amount(total)
    )


@require_POST
@capability_required("pos.cash")
def drawer_close(request: HttpRequest) -> HttpResponse:
    session = _this_drawer(request)
    if session is None:
        return redirect("pos:cash")
    try:
        closed = cash_session_close(
            session=session, actor=request.user, count=_drawer_count(request.POST)
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("pos:cash")
    return redirect("pos:cash_report", session_id=closed.pk)


@require_POST
@capability_required("pos.cash")
def drawer_movement(request: HttpRequest) -> HttpResponse:
    """Cash in / cash out of the open drawer, with a required reason."""
    session = _this_drawer(request)
    if session is None:
        return redirect("pos:cash")
    try:
        movement = cash_movement_record(
            session=session,
            actor=request.user,
            direction=request.POST.get("direction", ""),
            amount=_amount(request.POST.get("amount")),
            reason=request.POST.get("reason", ""),
        )
        messages.success(
            request,
            _("%(direction)s of %(amount)s recorded.")
            % {
                "direction": movement.get_direction_display(),
                "amount": money(abs(movement.amount)),
            },
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect("pos:cash")


def _report_response(request, report, *, pdf_url: str, print_url: str, expected=None):
    """The report on screen, or as a PDF (`?format=pdf`)."""
    if request.GET.get("format") == "pdf":
        language = translation.get_language() or request.property.default_language
        response = HttpResponse(
            z_report_pdf(report=report, language=language), content_type="application/pdf"
        )
        name = f"z-{report.business_date:%Y%m%d}"
        if report.session is not None:
            name += f"-{report.session.pk}"
        response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
        return response
    return render(
        request,
        "pos/cash_report.html",
        {
            "report": report,
            "session": report.session,
            "expected_cash": expected,
            "pdf_url": pdf_url,
            # printing and the cash drawer are the tills' (the accountant reads the report)
            "print_url": print_url if _can_cash(request) else "",
            "can_cash": _can_cash(request),
        },
    )


def _can_cash(request) -> bool:
    membership = getattr(request, "membership", None)
    return role_has(membership.role if membership else None, "pos.cash")


def _closed_session(request, session_id: int) -> CashSession:
    session = (
        CashSession.objects.filter(
            property=request.property, pk=session_id, status=CashSession.Status.CLOSED
        )
        .select_related("terminal__outlet", "opened_by", "closed_by", "property")
        .first()
    )
    if session is None:
        raise Http404
    return session


def _report_day(request) -> date:
    raw = (request.GET.get("day") or request.POST.get("day") or "").strip()
    if not raw:
        return request.property.business_date()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Http404


@require_GET
@capability_required("pos.cash")
def x_report(request: HttpRequest) -> HttpResponse:
    session = _this_drawer(request)
    if session is None:
        return redirect("pos:cash")
    totals = cash_session_totals(session=session)
    return _report_response(
        request,
        z_report_for_session(session=session),
        pdf_url=reverse("pos:cash_x") + "?format=pdf",
        print_url="",
        expected=totals["expected_cash"],
    )


@require_GET
@capability_required("pos.cash")
def z_report(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _closed_session(request, session_id)
    return _report_response(
        request,
        z_report_for_session(session=session),
        pdf_url=reverse("pos:cash_report", args=[session.pk]) + "?format=pdf",
        print_url=reverse("pos:cash_report_print", args=[session.pk]),
    )


@require_GET
@capability_required("pos.z_report")
def z_report_day(request: HttpRequest) -> HttpResponse:
    """The day's Z report over every till (`?day=YYYY-MM-DD`, today's business day else)."""
    day = _report_day(request)
    return _report_response(
        request,
        z_report_for_day(property=request.property, business_date=day),
        pdf_url=reverse("pos:cash_day") + f"?day={day.isoformat()}&format=pdf",
        print_url=reverse("pos:cash_day_print") + f"?day={day.isoformat()}",
    )


def _print(request, report, back: str) -> HttpResponse:
    terminal = terminal_for_request(request)
    try:
        if terminal is None or terminal.printer_id is None:
            raise InvalidInput(_("This till has no receipt printer."))
        z_report_print(
            terminal=terminal,
            report=report,
            actor=request.user,
            language=translation.get_language() or request.property.default_language,
        )
        messages.success(request, _("The report is sent to the printer."))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect(back)


@require_POST
@capability_required("pos.cash")
def z_report_print_session(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _closed_session(request, session_id)
    return _print(
        request,
        z_report_for_session(session=session),
        reverse("pos:cash_report", args=[session.pk]),
    )


@require_POST
@capability_required("pos.cash")
def z_report_print_day(request: HttpRequest) -> HttpResponse:
    day = _report_day(request)
    return _print(
        request,
        z_report_for_day(property=request.property, business_date=day),
        reverse("pos:cash_day") + f"?day={day.isoformat()}",
    )
