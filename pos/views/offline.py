"""Offline till screens and endpoints (POS-9; docs/offline.md): the service worker, the
offline sale screen (cached by the worker, drawn by static/js/offline/*.js), the data it
keeps (catalogue, floor, in-house rooms, identity), pairing, the sync upload, and the
manager's screen of each device's syncs and conflicts. Thin: pos.services.offline and
pos.offline_selectors do the work."""

import json
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from billing.services.payment_titles import payment_title_rules
from core.exceptions import DomainError
from core.scoping import approvers_listed, capability_required
from pos.models import OfflineConflict, OfflineDevice
from pos.offline_selectors import (
    offline_catalogue,
    offline_devices_history,
    offline_floor,
    offline_max_hours,
    offline_rooms,
)
from pos.services.offline import conflict_resolve, device_label, device_pair, offline_sync
from pos.terminals import terminal_for_request

WORKER = Path(settings.BASE_DIR) / "static" / "js" / "offline" / "sw.js"


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The worker's script, served under /pos/ so that it may control the POS screens."""
    response = HttpResponse(WORKER.read_bytes(), content_type="text/javascript")
    response["Service-Worker-Allowed"] = "/pos/"
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
@capability_required("pos.sell")
def offline_screen(request: HttpRequest) -> HttpResponse:
    """The offline sale screen's shell (the worker keeps it for when the server is gone)."""
    terminal = terminal_for_request(request)
    return render(
        request,
        "pos/offline.html",
        {"terminal": terminal, "max_hours": offline_max_hours()},
    )


def _json_error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@never_cache
@require_GET
@capability_required("pos.sell")
def offline_data(request: HttpRequest) -> JsonResponse:
    """What the browser keeps for an outage: catalogue (its version is the catalog token),
    floor plan and open tabs, in-house rooms, who and where, and a fresh CSRF token."""
    terminal = terminal_for_request(request)
    if terminal is None:
        return _json_error(_("This device is not a till: bind it to a terminal first."), 409)
    prop = request.property
    user = request.user
    return JsonResponse(
        {
            "identity": {
                "terminal": terminal.public_id,
                "terminal_name": f"{terminal.outlet.name} · {terminal.name}",
                "property": prop.name,
                "cashier": user.pk,
                "cashier_name": user.get_full_name() or user.get_username(),
                "max_hours": offline_max_hours(),
                "currency": prop.currency,
            },
            "csrf": get_token(request),
            "catalogue": offline_catalogue(property=prop),
            "floor": offline_floor(outlet_id=terminal.outlet_id, property=prop),
            "rooms": offline_rooms(property=prop),
            # the titres-restaurant rules, applied on the device and again at sync
            "titles": payment_title_rules(property=prop),
            # who may approve a void: the PIN typed offline is checked at sync
            "approvers": [{"id": a.user_id, "name": a.name} for a in approvers_listed(prop)],
        }
    )


@require_POST
@capability_required("pos.sell")
def offline_pair(request: HttpRequest) -> JsonResponse:
    """A new offline device (and signing key) for this browser's terminal."""
    terminal = terminal_for_request(request)
    if terminal is None:
        return _json_error(_("This device is not a till: bind it to a terminal first."), 409)
    try:
        device = device_pair(terminal=terminal, actor=request.user)
    except DomainError as error:
        return _json_error(str(error.message), error.status_code)
    return JsonResponse(
        {"device": str(device.public_id), "key": device.key, "name": device_label(device)}
    )


@require_POST
@capability_required("pos.sell")
def offline_sync_view(request: HttpRequest) -> JsonResponse:
    """Upload a device's queue; the answer names what became of each item."""
    terminal = terminal_for_request(request)
    if terminal is None:
        return _json_error(_("This device is not a till: bind it to a terminal first."), 409)
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return _json_error(_("The upload is not valid JSON."), 400)
    if not isinstance(body, dict):
        return _json_error(_("The upload is not valid JSON."), 400)
    device = (
        OfflineDevice.objects.filter(
            public_id=str(body.get("device") or "")[:36] or None,
            property=request.property,
            terminal=terminal,
        )
        .select_related("terminal__outlet", "terminal__property")
        .first()
        if _uuid_like(body.get("device"))
        else None
    )
    if device is None:
        return _json_error(_("This device is not paired with this till."), 404)
    try:
        result = offline_sync(device=device, actor=request.user, queue=body.get("queue"))
    except DomainError as error:
        return _json_error(str(error.message), error.status_code)
    return JsonResponse(result.as_dict())


def _uuid_like(value) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


@require_GET
@capability_required("manage")
def offline_devices(request: HttpRequest) -> HttpResponse:
    """The manager's screen: each device's syncs, refused tickets and conflicts."""
    return render(
        request,
        "pos/offline_devices.html",
        {
            "devices": offline_devices_history(property=request.property),
            "max_hours": offline_max_hours(),
        },
    )


@require_POST
@capability_required("manage")
def offline_conflict_resolve(request: HttpRequest, conflict_id: int) -> HttpResponse:
    conflict = (
        OfflineConflict.objects.filter(pk=conflict_id, property=request.property)
        .select_related("ticket__device__terminal__property")
        .first()
    )
    if conflict is None:
        raise Http404
    conflict_resolve(conflict=conflict, actor=request.user)
    return redirect("pos:offline_devices")
