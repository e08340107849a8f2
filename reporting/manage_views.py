"""The alert thresholds and the monthly budgets in the manager's back office (issue 21):
thin, reporting.targets checks, saves and audits."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.exceptions import DomainError
from core.scoping import capability_required
from reporting.models import Budget
from reporting.services import settings_for
from reporting.targets import (
    ALERT_FIELDS,
    BUDGET_FIELDS,
    alert_settings_save,
    budget_save,
    parse_month,
)


@require_http_methods(["GET", "POST"])
@capability_required("manage")
def alert_settings(request: HttpRequest) -> HttpResponse:
    """When a basket, a discount or void rate, a cash difference raises an alert."""
    current = settings_for(request.property)
    values = {name: getattr(current, name) for name in ALERT_FIELDS}
    error = ""
    if request.method == "POST":
        values = {name: request.POST.get(name, "")[:20] for name in ALERT_FIELDS}
        try:
            alert_settings_save(property=request.property, actor=request.user, values=values)
        except DomainError as exc:
            error = str(exc.message)
        else:
            messages.success(request, _("Saved."))
            return redirect("targets:alerts")
    return render(
        request,
        "reporting/alert_settings.html",
        {"values": values, "error": error},
        status=422 if error else 200,
    )


@require_http_methods(["GET", "POST"])
@capability_required("manage")
def budgets(request: HttpRequest) -> HttpResponse:
    """The months' budgets; ?month=YYYY-MM fills the form with that month's."""
    prop = request.property
    rows = list(Budget.objects.filter(property=prop).order_by("-month")[:36])
    error = ""
    month = parse_month(request.GET.get("month", ""))
    chosen = next((b for b in rows if b.month == month), None)
    values = {name: getattr(chosen, name) for name in BUDGET_FIELDS} if chosen else {}
    values["month"] = month.strftime("%Y-%m") if month else ""
    if request.method == "POST":
        values = {name: request.POST.get(name, "")[:20] for name in (*BUDGET_FIELDS, "month")}
        try:
            budget_save(
                property=prop,
                actor=request.user,
                month=parse_month(values["month"]),
                values=values,
            )
        except DomainError as exc:
            error = str(exc.message)
        else:
            messages.success(request, _("Saved."))
            return redirect("targets:budgets")
    return render(
        request,
        "reporting/budgets.html",
        {"rows": rows, "values": values, "error": error},
        status=422 if error else 200,
    )
