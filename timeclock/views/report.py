"""Planned against worked (`/manage/time/report/`, capability manage.staff): each person's
planned hours, worked hours, difference, overtime, late arrivals and missed shifts per week,
at the active property or at every property of its organisation the manager manages
(`?scope=organization`); the same rows as CSV and XLSX."""

import csv
import io

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.roles import role_has
from core.scoping import capability_required
from timeclock.report import planned_vs_worked
from timeclock.views.hours import MAX_EXPORT_WEEKS, _week_context

# the CSV's columns (docs/timeclock.md), machine-readable names
CSV_COLUMNS = [
    "property",
    "employee_id",
    "employee",
    "week",
    "planned_hours",
    "worked_hours",
    "difference_hours",
    "overtime_hours",
    "late_arrivals",
    "missed_shifts",
]


def _managed(request: HttpRequest, scope: str) -> list:
    """The active property, or every property of its organisation where the user manages
    the staff (their memberships are on the request: no query)."""
    prop = request.property
    if scope != "organization":
        return [prop]
    return [
        m.property
        for m in getattr(request, "memberships", [])
        if m.property.organization_id == prop.organization_id and role_has(m.role, "manage.staff")
    ]


def _report_context(request: HttpRequest) -> dict:
    context = _week_context(request)
    scope = "organization" if request.GET.get("scope") == "organization" else "property"
    try:
        weeks = int(request.GET.get("weeks", "1"))
    except ValueError:
        weeks = 0
    if not context["error"] and not 1 <= weeks <= MAX_EXPORT_WEEKS:
        context["error"] = _("Show 1 to %(n)d weeks.") % {"n": MAX_EXPORT_WEEKS}
    if context["error"]:
        weeks = 1
    properties = _managed(request, scope)
    context.update(
        {
            "scope": scope,
            "weeks": weeks,
            "properties": properties,
            "rows": planned_vs_worked(
                properties=properties, first_monday=context["monday"], weeks=weeks
            ),
            "query": request.GET.urlencode(),
        }
    )
    return context


def _values(row) -> list:
    return [
        row.property.name,
        row.user.pk,
        row.user.get_full_name() or row.user.username,
        row.week_label,
        row.h("planned"),
        row.h("worked"),
        row.h("difference"),
        row.h("overtime"),
        row.late,
        row.missed,
    ]


@require_GET
@capability_required("manage.staff")
def report(request: HttpRequest) -> HttpResponse:
    context = _report_context(request)
    return render(
        request, "timeclock/report.html", context, status=400 if context["error"] else 200
    )


@require_GET
@capability_required("manage.staff")
def report_export(request: HttpRequest, kind: str) -> HttpResponse:
    """The report's rows: CSV (semicolon-separated, plain decimal hours, machine-readable
    column names) or XLSX (hours as numbers, headings in the reader's language)."""
    if kind not in ("csv", "xlsx"):
        return HttpResponse(
            _("Choose CSV or XLSX."), status=404, content_type="text/plain; charset=utf-8"
        )
    context = _report_context(request)
    if context["error"]:
        return HttpResponse(context["error"], status=400, content_type="text/plain; charset=utf-8")
    name = f"planned-worked-{request.property.slug}-{context['week']}-{context['weeks']}w"
    if context["scope"] == "organization":
        name += "-organization"
    if kind == "csv":
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";")
        writer.writerow(CSV_COLUMNS)
        for row in context["rows"]:
            writer.writerow([row.property.slug, *_values(row)[1:]])
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            _as_xlsx(context["rows"]),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    return response


def _as_xlsx(rows) -> bytes:
    import xlsxwriter

    headings = [
        _("Property"),
        _("Employee id"),
        _("Person"),
        _("Week"),
        _("Planned hours"),
        _("Worked hours"),
        _("Difference (hours)"),
        _("Overtime (hours)"),
        _("Late arrivals"),
        _("Missed shifts"),
    ]
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True})
    number = book.add_format({"num_format": "0.00"})
    sheet = book.add_worksheet(_("Planned and worked")[:31])
    sheet.write_row(0, 0, headings, bold)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(_values(row)):
            if 4 <= c <= 7:
                sheet.write_number(r, c, float(value), number)
            else:
                sheet.write(r, c, value)
    sheet.set_column(0, 3, 18)
    sheet.set_column(4, 9, 12)
    book.close()
    return buffer.getvalue()
