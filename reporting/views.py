"""The manager's dashboard (capability `manage`): one property or its whole organisation, a
period (yesterday by default) beside the same period last year; CSV and XLSX downloads."""

import csv
import io
from datetime import timedelta

from django.contrib import messages
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from billing.services.accounting import deposit_vat
from core.exceptions import DomainError
from core.roles import role_has
from core.scoping import capability_required, get_scoped_or_404, scope
from inventory.models import RevenueCategory
from reporting import tables as report_tables
from reporting.facts import facts_refresh
from reporting.financial import financial_report
from reporting.models import Alert
from reporting.periods import PRESETS, Period, PeriodError, period_for
from reporting.routers import replica_reads
from reporting.selectors import budget_for, checkout_time, dashboard
from reporting.services import alert_acknowledge, alert_message
from reporting.staff import staff_performance, staff_report
from timeclock.services import timeclock_settings_update

FACTS_MAX_AGE = timedelta(minutes=1)


def _managed_properties(request: HttpRequest, scope: str) -> list:
    """The active property, or every property of its organisation the user manages (their
    memberships are already on the request: no query)."""
    prop = request.property
    if scope != "organization":
        return [prop]
    return [
        m.property
        for m in getattr(request, "memberships", [])
        if m.property.organization_id == prop.organization_id and role_has(m.role, "manage")
    ]


def _context(request: HttpRequest) -> dict:
    prop = request.property
    today = prop.business_date()
    scope = "organization" if request.GET.get("scope") == "organization" else "property"
    preset = request.GET.get("period", "yesterday")
    error = ""
    try:
        period = period_for(preset, today, request.GET.get("start", ""), request.GET.get("end", ""))
    except PeriodError as exc:
        error = str(exc)
        preset = "yesterday"
        period = period_for(preset, today)
    properties = _managed_properties(request, scope)
    for managed in properties:
        # the days new documents touched, unless refreshed in the last minute (one read)
        facts_refresh(property=managed, max_age=FACTS_MAX_AGE)
    # the facts are fresh on the primary; the reads may go to a caught-up replica
    with replica_reads():
        current = dashboard(properties=properties, period=period, today=today)
        last_year = dashboard(
            properties=properties, period=period.last_year(), today=today, forward=False
        )
        budget = budget_for(
            properties=properties, period=period, available=current.room_nights_available
        )
    return {
        "error": error,
        "scope": scope,
        "preset": preset,
        "presets": PRESETS.items(),
        "period": period,
        "last_year_period": period.last_year(),
        "properties": properties,
        "organization": prop.organization,
        "kpis": report_tables.kpis(current, last_year, budget),
        "budget": budget,
        "tables": report_tables.tables(current, last_year),
        "data": current,
        "checkout_time": checkout_time(),
        "query": request.GET.urlencode(),
    }


@require_GET
@capability_required("manage")
def dashboard_view(request: HttpRequest) -> HttpResponse:
    context = _context(request)
    status = 400 if context["error"] else 200
    return render(request, "reporting/dashboard.html", context, status=status)


@require_GET
@capability_required("manage")
def dashboard_export(request: HttpRequest, kind: str) -> HttpResponse:
    context = _context(request)
    period = context["period"]
    name = f"dashboard-{period.start:%Y%m%d}-{period.end:%Y%m%d}"
    if kind == "xlsx":
        body = report_tables.as_xlsx(context["tables"], context["kpis"])
        response = HttpResponse(
            body,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response
    if kind == "csv":
        response = HttpResponse(
            "\ufeff" + report_tables.as_csv(context["tables"]),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    return HttpResponse(
        _("Unknown download."), status=404, content_type="text/plain; charset=utf-8"
    )


@require_GET
@capability_required("manage")
def alerts_inbox(request: HttpRequest) -> HttpResponse:
    """The managers' inbox: the property's unresolved alerts, those to acknowledge first."""
    alerts = list(
        scope(Alert.objects.filter(resolved_at__isnull=True), request)
        .select_related("acknowledged_by")
        .order_by(F("acknowledged_at").asc(nulls_first=True), "-created_at", "-pk")[:200]
    )
    rows = [{"alert": a, "message": alert_message(a)} for a in alerts]
    return render(request, "reporting/alerts.html", {"rows": rows})


@require_POST
@capability_required("manage")
def alert_acknowledge_view(request: HttpRequest, pk: int) -> HttpResponse:
    alert = get_scoped_or_404(Alert.objects.all(), request, pk=pk)
    try:
        alert_acknowledge(alert=alert, actor=request.user, note=request.POST.get("note", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Alert acknowledged."))
    return redirect("reporting:alerts")


def _period_of(request: HttpRequest, default: str) -> tuple[str, Period, str]:
    """The preset, period and error (translated, "" when none) a report's GET asks for; a
    bad period falls back to `default`."""
    today = request.property.business_date()
    # dates without a preset (a link, a bookmark) ask for those dates, not the default period
    dated = request.GET.get("start") or request.GET.get("end")
    preset = request.GET.get("period") or ("custom" if dated else default)
    try:
        period = period_for(preset, today, request.GET.get("start", ""), request.GET.get("end", ""))
    except PeriodError as exc:
        return default, period_for(default, today), str(exc)
    return preset, period, ""


def _financial_context(request: HttpRequest) -> dict:
    scope_ = "organization" if request.GET.get("scope") == "organization" else "property"
    preset, period, error = _period_of(request, "month")
    by_month = request.GET.get("by") == "month"
    properties = _managed_properties(request, scope_)
    with replica_reads():
        report = financial_report(properties=properties, period=period)
        deposits = deposit_vat(properties=properties, start=period.start, end=period.end)
    return {
        "error": error,
        "scope": scope_,
        "preset": preset,
        "presets": PRESETS.items(),
        "period": period,
        "by_month": by_month,
        "properties": properties,
        "organization": request.property.organization,
        "rows": report.grouped(by_month=by_month, by_property=scope_ == "organization"),
        "by_rate": report.totals_by_rate(),
        "deposits": deposits,
        "by_category": report.totals_by_category(),
        "categories": dict(RevenueCategory.choices),
        "query": request.GET.urlencode(),
    }


@require_GET
@capability_required("billing.accounting")
def financial_view(request: HttpRequest) -> HttpResponse:
    context = _financial_context(request)
    return render(
        request, "reporting/financial.html", context, status=400 if context["error"] else 200
    )


@require_GET
@capability_required("billing.accounting")
def financial_csv(request: HttpRequest) -> HttpResponse:
    context = _financial_context(request)
    if context["error"]:
        return HttpResponse(context["error"], status=400, content_type="text/plain; charset=utf-8")
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(
        [_("Property"), _("Day"), _("Revenue type"), _("VAT rate"), _("Net"), _("VAT"), _("Gross")]
    )
    for row in context["rows"]:
        writer.writerow(
            [row.property, row.day.isoformat(), row.category, row.rate, row.net, row.vat, row.gross]
        )
    period = context["period"]
    response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="revenue-vat-{period.start:%Y%m%d}-{period.end:%Y%m%d}.csv"'
    )
    return response


def _staff_context(request: HttpRequest) -> dict:
    """The active property's figures (and its pooled tips), or, with `scope=organization`,
    each person's figures summed over every property of the organisation the user manages
    (the tips pool is a property's choice: not shown then)."""
    preset, period, error = _period_of(request, "yesterday")
    scope = "organization" if request.GET.get("scope") == "organization" else "property"
    properties = _managed_properties(request, scope)
    with replica_reads():
        if scope == "organization":
            figures = staff_performance(properties=[p.pk for p in properties], period=period)
            pool = None
        else:
            figures, pool = staff_report(property=request.property, period=period)
    return {
        "scope": scope,
        "properties": properties,
        "organization": request.property.organization,
        "error": error,
        "preset": preset,
        "presets": PRESETS.items(),
        "period": period,
        "figures": figures,
        "pool": pool,
        "tips_pooled": pool is not None,
    }


@capability_required("manage")
def staff_view(request: HttpRequest) -> HttpResponse:
    """Each person's sales, covers, basket, tips, discounts, voids and refunds over a period;
    a manager chooses here whether the tips are pooled and shared by hours worked."""
    if request.method == "POST":
        try:
            timeclock_settings_update(
                property=request.property,
                actor=request.user,
                tips_pooled=request.POST.get("tips_pooled") == "1",
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The tips setting is saved."))
        return redirect(f"{request.path}?{request.GET.urlencode()}")
    context = _staff_context(request)
    return render(request, "reporting/staff.html", context, status=400 if context["error"] else 200)


@require_GET
@capability_required("manage")
def stock_margins_view(request: HttpRequest) -> HttpResponse:
    """Margin per product with a recipe and outlet, and usage variance per item (INV-5)."""
    from reporting.stock import margins, usage_variance

    prop = request.property
    preset, period, error = _period_of(request, "month")
    return render(
        request,
        "reporting/stock_margins.html",
        {
            "error": error,
            "preset": preset,
            "presets": PRESETS.items(),
            "period": period,
            "rows": margins(property=prop, period=period),
            "usage": usage_variance(property=prop, period=period),
        },
        status=400 if error else 200,
    )
