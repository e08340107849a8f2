"""Cash drawer screens: open with a float, X report, close with a blind count, Z report."""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import DomainError, InvalidInput
from core.formatting import money
from core.scoping import capability_required
from pos.models import CashSession
from pos.services.cash import (
    cash_movement_record,
    cash_session_close,
    cash_session_open,
    cash_session_totals,
)
from pos.terminals import terminal_for_request


def _amount(raw) -> Decimal:
    try:
        return Decimal((raw or "").strip().replace(",", "."))
    except InvalidOperation:
        raise InvalidInput(_("Enter a valid amount."))


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
        {"terminal": terminal, "session": session, "recent": recent},
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


@require_POST
@capability_required("pos.cash")
def drawer_close(request: HttpRequest) -> HttpResponse:
    session = _this_drawer(request)
    if session is None:
        return redirect("pos:cash")
    try:
        closed = cash_session_close(
            session=session, actor=request.user, counted_cash=_amount(request.POST.get("counted"))
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


@require_GET
@capability_required("pos.cash")
def x_report(request: HttpRequest) -> HttpResponse:
    session = _this_drawer(request)
    if session is None:
        return redirect("pos:cash")
    return render(
        request,
        "pos/cash_report.html",
        {"session": session, "totals": cash_session_totals(session=session), "kind": "X"},
    )


@require_GET
@capability_required("pos.cash")
def z_report(request: HttpRequest, session_id: int) -> HttpResponse:
    session = (
        CashSession.objects.filter(
            property=request.property, pk=session_id, status=CashSession.Status.CLOSED
        )
        .select_related("terminal__outlet", "opened_by", "closed_by")
        .first()
    )
    if session is None:
        raise Http404
    return render(
        request, "pos/cash_report.html", {"session": session, "totals": session.totals, "kind": "Z"}
    )
