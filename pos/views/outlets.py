"""The manager's outlets screen (/manage/outlets/, issue 21): each outlet's terminals with
their receipt printer and a test page for it, the stations' printers, and a short code to
pair a new tablet with a terminal — or the code a new tablet shows, typed or scanned here; the
tablet's side is /pos/pair/. Thin: devices and pos.services.pairing do the work."""

from django.conf import settings
from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.core import get_usage

from core.exceptions import DomainError
from core.scoping import capability_required
from core.terminals import bind_terminal
from core.two_factor import qr_svg
from devices.models import CardReader, Printer
from devices.services import printer_test_page
from pos.models import Outlet, StationPrinter, Terminal
from pos.selectors import terminal_get
from pos.services.pairing import (
    PAIRING_CODE_MINUTES,
    device_pairing_bind,
    device_pairing_collect,
    device_pairing_get,
    device_pairing_start,
    pairing_code_issue,
    pairing_code_redeem,
    pairing_codes_live,
)
from pos.services.tables import STATIONS
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
        elif action == "bind_device":
            return _bind_device(request, target)
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
            "printers": list(Printer.objects.filter(property=request.property).order_by("name")),
            "card_readers": list(CardReader.objects.filter(property=request.property)),
            "station_rows": _station_rows(request.property),
            "minutes": PAIRING_CODE_MINUTES,
            "device_code": "".join(c for c in request.GET.get("device_code", "") if c.isdigit())[
                :6
            ],
        },
    )


def _station_rows(property) -> list[dict]:
    """Each station (kitchen, bar) with the printer its tickets print on, if any."""
    chosen = dict(
        StationPrinter.objects.filter(property=property).values_list("station", "printer_id")
    )
    return [{"station": s, "printer_id": chosen.get(s)} for s in STATIONS]


def _bind_device(request: HttpRequest, terminal_id: int) -> HttpResponse:
    """The code a new tablet shows, typed or scanned by the manager, bound to a terminal."""
    code = request.POST.get("code", "")[:20]
    terminal = Terminal.objects.filter(property=request.property, pk=terminal_id).first()
    if terminal is None:
        raise Http404
    if _pair_throttled(request, group="pos.pair_device"):
        messages.error(request, _("Too many tries: wait a few minutes."))
    else:
        try:
            device_pairing_bind(
                property=request.property, code=code, terminal=terminal, actor=request.user
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            query = urlencode({"device_code": "".join(c for c in code if c.isdigit())[:6]})
            return redirect(f"{reverse('outlets:list')}?{query}")
        messages.success(
            request,
            _("The tablet showing %(code)s is now %(label)s: it finishes by itself in a moment.")
            % {"code": code.strip(), "label": terminal_label(terminal)},
        )
    return redirect("outlets:list")


def _pair_throttled(request: HttpRequest, *, group: str = "pos.pair") -> bool:
    """Count this try against the person and the address (a 6-digit code cannot be
    guessed in its 10 minutes)."""
    limited = False
    for key in ("user", "ip"):
        usage = get_usage(
            request,
            group=group,
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
    pairing, secret = _device_pairing(request)
    manager_url = request.build_absolute_uri(
        f"{reverse('outlets:list')}?{urlencode({'device_code': pairing.code})}"
    )
    response = render(
        request,
        "pos/pair.html",
        {
            "error": error,
            "pairing": pairing,
            "qr": qr_svg(manager_url),
            "manager_url": manager_url,
        },
        status=422 if error else 200,
    )
    if secret:
        response.set_signed_cookie(
            PAIRING_COOKIE,
            secret,
            salt=PAIRING_COOKIE,
            max_age=PAIRING_CODE_MINUTES * 120,
            httponly=True,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response


PAIRING_COOKIE = "auberge_pairing"


def _device_secret(request: HttpRequest) -> str:
    return request.get_signed_cookie(PAIRING_COOKIE, default="", salt=PAIRING_COOKIE)


def _device_pairing(request: HttpRequest):
    """This tablet's live pairing (bound or not: the poll collects it) and "" (the cookie
    kept), or a new one and the secret to keep."""
    pairing = device_pairing_get(property=request.property, secret=_device_secret(request))
    if pairing is not None:
        return pairing, ""
    return device_pairing_start(property=request.property)


@never_cache
@require_GET
@capability_required("pos.sell")
def pair_status(request: HttpRequest) -> HttpResponse:
    """The tablet asks (static/js/pos-pair.js, every few seconds): bound yet? When the
    manager has bound it, this answer carries the terminal's cookie, once."""
    pairing = device_pairing_get(property=request.property, secret=_device_secret(request))
    terminal = (
        device_pairing_collect(pairing=pairing, actor=request.user)
        if pairing is not None and pairing.terminal_id is not None
        else None
    )
    wants_json = "application/json" in request.headers.get("Accept", "")
    if terminal is None:
        state = "waiting" if pairing is not None else "expired"
        if wants_json:
            return JsonResponse({"state": state})
        if pairing is not None:
            messages.info(request, _("Not paired yet: the manager has not entered the code."))
        return redirect("pos:pair")
    label = terminal_label(terminal)
    messages.success(request, _("This device is now %(label)s.") % {"label": label})
    response = (
        JsonResponse({"state": "paired", "next": reverse("pos:floor")})
        if wants_json
        else redirect("pos:floor")
    )
    bind_terminal(
        response,
        property_id=request.property.pk,
        terminal_id=terminal.pk,
        label=label,
        outlet_id=terminal.outlet_id,
    )
    response.delete_cookie(PAIRING_COOKIE)
    return response
