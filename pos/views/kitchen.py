"""Kitchen display per station (POS-3): the station's tickets waiting, polled by htmx, and the
bump that says a ticket is ready."""

from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from core.scoping import capability_required
from pos.models import KitchenTicket, TabLine
from pos.services.tables import STATIONS, kitchen_ticket_bump
from pos.views.tables import course_name


def _station_or_404(station: str) -> str:
    if station not in STATIONS:
        raise Http404
    return station


@require_GET
@capability_required("kitchen.view")
def kitchen(request: HttpRequest, station: str) -> HttpResponse:
    return _kitchen_page(request, _station_or_404(station))


def _kitchen_page(request: HttpRequest, station: str) -> HttpResponse:
    """The station's tickets (whole page, or the list alone for htmx polling and bumps)."""
    tickets = (
        KitchenTicket.objects.filter(
            property=request.property, station=station, status=KitchenTicket.Status.NEW
        )
        .select_related("tab__table", "sent_by")
        .prefetch_related(Prefetch("lines", queryset=TabLine.objects.order_by("pk")))
    )
    context = {
        "station": station,
        "tickets": [(t, course_name(t.course)) for t in tickets],
        "stations": STATIONS,
    }
    if request.htmx:
        return render(request, "pos/kitchen.html#tickets", context)
    return render(request, "pos/kitchen.html", context)


@require_POST
@capability_required("kitchen.view")
def kitchen_bump(request: HttpRequest, station: str, ticket_id: int) -> HttpResponse:
    station = _station_or_404(station)
    ticket = KitchenTicket.objects.filter(
        property=request.property, station=station, pk=ticket_id
    ).first()
    if ticket is None:
        raise Http404
    kitchen_ticket_bump(ticket=ticket, actor=request.user)
    if request.htmx:
        # the list without the bumped ticket, at once (kitchen() itself only answers GET)
        return _kitchen_page(request, station)
    return redirect("pos:kitchen", station=station)
