"""The manager's hours (`/manage/time/`, capability manage.staff): each person's week
(worked, breaks, regular and overtime hours, open and forgotten shifts), the payroll CSV,
and a person's shifts with the correction form (audited)."""

import csv
import io
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import DomainError, InvalidInput
from core.models import Membership
from core.scoping import capability_required, get_scoped_or_404
from timeclock.forms import parse_local, parse_week
from timeclock.models import WorkedShift
from timeclock.selectors import forgotten_shifts, settings_of, worked_weeks
from timeclock.services import shift_add, shift_close, shift_correct

User = get_user_model()
MAX_EXPORT_WEEKS = 6
# the payroll file's columns, in order (docs/timeclock.md); plain decimals for a machine
CSV_COLUMNS = [
    "property",
    "employee_id",
    "username",
    "employee",
    "week",
    "week_start",
    "worked_hours",
    "break_hours",
    "regular_hours",
    "overtime_25_hours",
    "overtime_50_hours",
    "shifts",
    "open_shift",
    "corrected",
]


def _week_context(request: HttpRequest) -> dict:
    prop = request.property
    today = prop.business_date()
    error = ""
    try:
        monday = parse_week(request.GET.get("week", ""), today)
    except InvalidInput as exc:
        error, monday = exc.message, parse_week("", today)
    year, week, _day = monday.isocalendar()
    return {
        "error": error,
        "monday": monday,
        "sunday": monday + timedelta(days=6),
        "week": f"{year}-W{week:02d}",
        "previous": "{}-W{:02d}".format(*(monday - timedelta(weeks=1)).isocalendar()[:2]),
        "next": "{}-W{:02d}".format(*(monday + timedelta(weeks=1)).isocalendar()[:2]),
        "settings": settings_of(prop),
        "tz": prop.timezone,
    }


@require_GET
@capability_required("manage.staff")
def week(request: HttpRequest) -> HttpResponse:
    context = _week_context(request)
    prop = request.property
    context["rows"] = worked_weeks(property=prop, first_monday=context["monday"])
    context["forgotten"] = forgotten_shifts(property=prop)
    return render(request, "timeclock/week.html", context, status=400 if context["error"] else 200)


@require_POST
@capability_required("manage.staff")
def shift_close_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The hours screen's "close the shift" form: a forgotten clock-out closed by a manager
    at the time the person left, with a reason (audited). A refusal is shown on the screen
    and changes nothing."""
    prop = request.property
    shift = get_scoped_or_404(WorkedShift.objects.select_related("property"), request, pk=pk)
    context = _week_context(request)
    try:
        shift_close(
            shift=shift,
            actor=request.user,
            clock_out=parse_local(request.POST.get("clock_out", ""), prop),
            reason=request.POST.get("reason", ""),
        )
    except DomainError as exc:
        context["rows"] = worked_weeks(property=prop, first_monday=context["monday"])
        context["forgotten"] = forgotten_shifts(property=prop)
        context.update({"close_error": exc.message, "close_failed": shift.pk})
        context["posted"] = request.POST
        return render(request, "timeclock/week.html", context, status=400)
    messages.success(request, _("The shift is closed."))
    return redirect(f"/manage/time/?week={context['week']}")


@require_GET
@capability_required("manage.staff")
def week_csv(request: HttpRequest) -> HttpResponse:
    """One row per person and week: `weeks` weeks (1 to 6) from `week`."""
    context = _week_context(request)
    try:
        weeks = int(request.GET.get("weeks", "1"))
    except ValueError:
        weeks = 0
    if context["error"] or not 1 <= weeks <= MAX_EXPORT_WEEKS:
        message = context["error"] or _("Export 1 to %(n)d weeks.") % {"n": MAX_EXPORT_WEEKS}
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    prop = request.property
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(CSV_COLUMNS)
    for row in worked_weeks(property=prop, first_monday=context["monday"], weeks=weeks):
        writer.writerow(
            [
                prop.slug,
                row.user.pk,
                row.user.username,
                row.user.get_full_name() or row.user.username,
                row.week_label,
                row.week_start.isoformat(),
                row.h("worked"),
                row.h("breaks"),
                row.h("regular"),
                row.h("overtime_25"),
                row.h("overtime_50"),
                row.shifts,
                int(row.open_shift),
                int(row.corrected),
            ]
        )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="hours-{prop.slug}-{context["week"]}-{weeks}w.csv"'
    )
    return response


def _breaks_from(post, shift: WorkedShift | None, prop) -> list:
    """The breaks a correction form sends: each existing break's fields (cleared: removed)
    and one new break."""
    breaks = []
    keys = [f"break_{b.pk}" for b in shift.breaks.all()] if shift is not None else []
    for key in [*keys, "new_break"]:
        start = parse_local(post.get(f"{key}_start", ""), prop, required=False)
        end = parse_local(post.get(f"{key}_end", ""), prop, required=False)
        if start is None and end is None:
            continue
        if start is None or end is None:
            raise InvalidInput(_("A break needs its start and its end."))
        breaks.append((start, end))
    return breaks


@capability_required("manage.staff")
def person_week(request: HttpRequest, user_id: int) -> HttpResponse:
    """A person's shifts in a week; a manager corrects one or adds a forgotten one."""
    prop = request.property
    membership = get_object_or_404(
        Membership.objects.select_related("user"), property=prop, user_id=user_id
    )
    person = membership.user
    context = _week_context(request)
    status = 400 if context["error"] else 200
    form_error, failed = "", None
    if request.method == "POST":
        shift = None
        try:
            if request.POST.get("shift_id"):
                try:
                    shift_id = int(request.POST["shift_id"])
                except ValueError:
                    shift_id = 0
                failed = shift_id
                shift = get_scoped_or_404(WorkedShift.objects, request, pk=shift_id, user=person)
                shift_correct(
                    shift=shift,
                    actor=request.user,
                    clock_in=parse_local(request.POST.get("clock_in", ""), prop),
                    clock_out=parse_local(request.POST.get("clock_out", ""), prop, required=False),
                    breaks=_breaks_from(request.POST, shift, prop),
                    reason=request.POST.get("reason", ""),
                )
                messages.success(request, _("The shift is corrected."))
            else:
                failed = "new"
                shift_add(
                    property=prop,
                    user=person,
                    actor=request.user,
                    clock_in=parse_local(request.POST.get("clock_in", ""), prop),
                    clock_out=parse_local(request.POST.get("clock_out", ""), prop),
                    breaks=_breaks_from(request.POST, None, prop),
                    reason=request.POST.get("reason", ""),
                )
                messages.success(request, _("The shift is added."))
        except DomainError as exc:
            form_error, status = exc.message, 200
        else:
            return redirect(f"{request.path}?week={context['week']}")
    rows = worked_weeks(property=prop, first_monday=context["monday"], user_ids=[person.pk])
    context.update(
        {
            "person": person,
            "row": rows[0] if rows else None,
            "form_error": form_error,
            "failed": failed,
            "posted": request.POST if form_error else {},
        }
    )
    return render(request, "timeclock/person_week.html", context, status=status)
