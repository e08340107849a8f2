"""The night audit's report on screen (the same report is e-mailed to the managers)."""

from datetime import date, timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.scoping import capability_required
from pms.selectors import night_audit_report


@require_GET
@capability_required("pms.frontdesk")
def report(request: HttpRequest) -> HttpResponse:
    """Last night's report by default (the audit posts the night that just ended)."""
    default = request.property.business_date() - timedelta(days=1)
    error = ""
    try:
        day = date.fromisoformat(request.GET["day"]) if request.GET.get("day") else default
    except ValueError:
        day, error = default, _("Enter a valid date.")
    return render(
        request,
        "pms/night_audit.html",
        {
            "report": night_audit_report(property=request.property, business_date=day),
            "error": error,
            "previous": day - timedelta(days=1),
            "next": day + timedelta(days=1),
        },
    )
