"""The manager's weekly planning (`/manage/time/planning/`): the shifts planned per outlet
and day, each person's planned hours against the legal week, add, edit and remove a shift,
copy the previous week's roster in one tap."""

from collections import defaultdict
from datetime import timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from core.exceptions import DomainError, InvalidInput
from core.models import Membership
from core.scoping import capability_required, get_scoped_or_404, scope
from pos.models import Outlet
from timeclock.forms import parse_day_time
from timeclock.models import PlannedShift
from timeclock.selectors import HOUR, local_midnight
from timeclock.services import (
    planned_shift_create,
    planned_shift_delete,
    planned_shift_update,
    planned_week_copy,
)
from timeclock.views.hours import _week_context


def _int(value: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


@capability_required("manage.staff")
def planning(request: HttpRequest) -> HttpResponse:
    prop = request.property
    context = _week_context(request)
    monday = context["monday"]
    outlets = list(scope(Outlet.objects.filter(is_active=True), request).order_by("name"))
    people = list(
        Membership.objects.filter(property=prop, is_active=True, user__is_active=True)
        .select_related("user")
        .order_by("user__first_name", "user__username")
    )
    form_error = ""
    status = 400 if context["error"] else 200
    if request.method == "POST":
        try:
            outlet = next((o for o in outlets if o.pk == _int(request.POST.get("outlet"))), None)
            person = next(
                (m.user for m in people if m.user_id == _int(request.POST.get("user_id"))), None
            )
            if outlet is None or person is None:
                raise InvalidInput(_("Choose a person and an outlet of this property."))
            day = request.POST.get("day", "")
            start = parse_day_time(day, request.POST.get("start", ""), prop)
            end = parse_day_time(day, request.POST.get("end", ""), prop)
            if end < start:  # a shift that ends after midnight
                end += timedelta(days=1)
            planned_shift_create(
                property=prop, actor=request.user, user=person, outlet=outlet, start=start, end=end
            )
        except DomainError as exc:
            form_error, status = exc.message, 200
        else:
            messages.success(request, _("The shift is planned."))
            return redirect(f"{request.path}?week={context['week']}")
    lo, hi = local_midnight(monday, prop), local_midnight(monday + timedelta(weeks=1), prop)
    planned = list(
        PlannedShift.objects.filter(property=prop, start__gte=lo, start__lt=hi)
        .select_related("user", "outlet")
        .order_by("start", "pk")
    )
    days = [monday + timedelta(days=n) for n in range(7)]
    by_day = defaultdict(list)
    seconds = defaultdict(int)
    for shift in planned:
        by_day[shift.start.astimezone(prop.tz).date()].append(shift)
        seconds[shift.user_id] += int((shift.end - shift.start).total_seconds())
    limit = context["settings"].weekly_hours * HOUR
    totals = [
        {"user": m.user, "seconds": seconds[m.user_id], "over": seconds[m.user_id] > limit}
        for m in people
        if seconds[m.user_id]
    ]
    context.update(
        {
            "days": [(day, by_day.get(day, [])) for day in days],
            "outlets": outlets,
            "people": people,
            "totals": totals,
            "form_error": form_error,
            "posted": request.POST if form_error else {},
        }
    )
    return render(request, "timeclock/planning.html", context, status=status)


@require_POST
@capability_required("manage.staff")
def planning_delete(request: HttpRequest, pk: int) -> HttpResponse:
    planned = get_scoped_or_404(PlannedShift.objects, request, pk=pk)
    week = "{}-W{:02d}".format(*planned.start.astimezone(request.property.tz).isocalendar()[:2])
    try:
        planned_shift_delete(planned=planned, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The planned shift is removed."))
    return redirect(f"/manage/time/planning/?week={week}")


@require_POST
@capability_required("manage.staff")
def planning_copy(request: HttpRequest) -> HttpResponse:
    """Copy the previous week's planned shifts into the week shown (one tap; a second tap
    copies nothing). What was copied, left as is and skipped (and why) is said on screen."""
    prop = request.property
    context = _week_context(request)
    if context["error"]:
        messages.error(request, context["error"])
        return redirect("/manage/time/planning/")
    monday = context["monday"]
    try:
        result = planned_week_copy(
            property=prop,
            actor=request.user,
            from_monday=monday - timedelta(weeks=1),
            to_monday=monday,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(f"/manage/time/planning/?week={context['week']}")
    n = len(result.copied)
    messages.success(
        request,
        ngettext(
            "%(n)d shift copied from the previous week.",
            "%(n)d shifts copied from the previous week.",
            n,
        )
        % {"n": n},
    )
    if result.already:
        messages.info(
            request,
            ngettext(
                "%(n)d shift was already planned: left as is.",
                "%(n)d shifts were already planned: left as is.",
                result.already,
            )
            % {"n": result.already},
        )
    for skip in result.skipped:
        p = skip.planned
        local = timezone.localtime(p.start, prop.tz)
        messages.warning(
            request,
            _("Not copied: %(name)s on %(day)s at %(time)s (%(outlet)s): %(reason)s.")
            % {
                "name": p.user.get_full_name() or p.user.username,
                "day": date_format(local, "l d/m"),
                "time": time_format(local, "H:i"),
                "outlet": p.outlet.name,
                "reason": skip.reason,
            },
        )
    return redirect(f"/manage/time/planning/?week={context['week']}")


@capability_required("manage.staff")
def planning_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """One planned shift's person, outlet, day and times, changed on screen (audited)."""
    prop = request.property
    planned = get_scoped_or_404(
        PlannedShift.objects.select_related("user", "outlet", "property"), request, pk=pk
    )
    outlets = list(scope(Outlet.objects.filter(is_active=True), request).order_by("name"))
    people = list(
        Membership.objects.filter(property=prop, is_active=True, user__is_active=True)
        .select_related("user")
        .order_by("user__first_name", "user__username")
    )
    start_local = timezone.localtime(planned.start, prop.tz)
    week = "{}-W{:02d}".format(*start_local.isocalendar()[:2])
    form_error, status = "", 200
    if request.method == "POST":
        try:
            outlet = next((o for o in outlets if o.pk == _int(request.POST.get("outlet"))), None)
            person = next(
                (m.user for m in people if m.user_id == _int(request.POST.get("user_id"))), None
            )
            if outlet is None or person is None:
                raise InvalidInput(_("Choose a person and an outlet of this property."))
            day = request.POST.get("day", "")
            start = parse_day_time(day, request.POST.get("start", ""), prop)
            end = parse_day_time(day, request.POST.get("end", ""), prop)
            if end < start:  # a shift that ends after midnight
                end += timedelta(days=1)
            planned_shift_update(
                planned=planned,
                actor=request.user,
                user=person,
                outlet=outlet,
                start=start,
                end=end,
            )
        except DomainError as exc:
            form_error, status = exc.message, 400
            planned.refresh_from_db()
        else:
            messages.success(request, _("The planned shift is changed."))
            week = "{}-W{:02d}".format(*timezone.localtime(start, prop.tz).isocalendar()[:2])
            return redirect(f"/manage/time/planning/?week={week}")
    posted = request.POST if form_error else {}
    return render(
        request,
        "timeclock/planning_edit.html",
        {
            "planned": planned,
            "outlets": outlets,
            "people": people,
            "week": week,
            "tz": prop.timezone,
            "form_error": form_error,
            "values": {
                "user_id": _int(posted.get("user_id")) or planned.user_id,
                "outlet": _int(posted.get("outlet")) or planned.outlet_id,
                "day": posted.get("day") or start_local.date().isoformat(),
                "start": posted.get("start") or start_local.strftime("%H:%M"),
                "end": posted.get("end")
                or timezone.localtime(planned.end, prop.tz).strftime("%H:%M"),
            },
        },
        status=status,
    )
