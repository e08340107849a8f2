"""The manager's outlets screen (/manage/outlets/, issue 21): each outlet's terminals with
their receipt printer and a test page for it, the stations' printers, and a short code to
pair a new tablet with a terminal; the tablet's side is /pos/pair/. Thin: devices and
pos.services.pairing do the work."""

from django.conf import settings
from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import get_usage

from core.exceptions import DomainError
from core.scoping import capability_required
from core.terminals import bind_terminal
from devices.models import Printer
from devices.services import printer_test_page
from pos.models import Outlet, StationPrinter, Terminal
from pos.selectors import terminal_get
from pos.services.pairing import (
    PAIRING_CODE_MINUTES,
    pairing_code_issue,
    pairing_code_redeem,
    pairing_codes_live,
)
from pos.views.terminals import terminal_label


@require_http_methods(["GET", "POST"])
@capability_required("manage")
def outlets(request: HttpRequest) -> HttpResponse:
    """Outlets, terminals and printers; a test page, a pairing code."""
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            target = int(request.POST.get("id", ""))
        except ValueError:
            raise Http404 from None
        if action == "test":
            printer = Printer.objects.filter(property=request.property, pk=target).first()
            if printer is None:
                raise Http404
            printer_test_page(printer=printer, actor=request.user)
            messages.success(
                request,
                _("Test page sent to %(printer)s: check that it printed.")
                % {"printer": printer.name},
            )
        elif action == "pair":
            terminal = terminal_get(property=request.property, pk=target)
            if terminal is None:
                raise Http404
            pairing_code_issue(terminal=terminal, actor=request.user)
        else:
            raise Http404
        return redirect("outlets:list")
    listed = list(
        Outlet.objects.filter(property=request.property)
        .prefetch_related(
            Prefetch(
                "terminals",
                queryset=Terminal.objects.select_related("printer").order_by("name"),
                to_attr="all_terms",
            )
        )
        .order_by("name")
    )
    codes = pairing_codes_live(property=request.property)
    for outlet in listed:
        for terminal in outlet.all_terms:
            terminal.live_code = codes.get(terminal.pk)
    return render(
        request,
        "pos/outlets.html",
        {
            "outlets": listed,
            "stations": StationPrinter.objects.filter(property=request.property).select_related(
                "printer"
            ),
            "minutes": PAIRING_CODE_MINUTES,
        },
    )


def _pair_throttled(request: HttpRequest) -> bool:
    """Count this try against the person and the address (a 6-digit code cannot be
    guessed in its 10 minutes)."""
    limited = False
    for key in ("user", "ip"):
        usage = get_usage(
            request,
            group="pos.pair",
            key=key,
            rate=settings.PAIRING_RATE,
            method="POST",
            increment=True,
        )
        limited = limited or bool(usage and usage["should_limit"])
    return limited


@require_http_methods(["GET", "POST"])
@capability_required("pos.sell")
def pair(request: HttpRequest) -> HttpResponse:
    """The new tablet: type the code the manager's screen shows to bind this browser."""
    error = ""
    if request.method == "POST":
        if _pair_throttled(request):
            error = _("Too many tries: wait a few minutes and ask the manager for a new code.")
        else:
            try:
                terminal = pairing_code_redeem(
                    property=request.property,
                    code=request.POST.get("code", "")[:20],
                    actor=request.user,
                )
            except DomainError as exc:
                error = str(exc.message)
            else:
                label = terminal_label(terminal)
                response = redirect("pos:floor")
                bind_terminal(
                    response,
                    property_id=request.property.pk,
                    terminal_id=terminal.pk,
                    label=label,
                    outlet_id=terminal.outlet_id,
                )
                messages.success(request, _("This device is now %(label)s.") % {"label": label})
                return response
    return render(request, "pos/pair.html", {"error": error}, status=422 if error else 200)
