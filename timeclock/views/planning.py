"""The manager's weekly planning (`/manage/time/planning/`): the shifts planned per outlet
and day, each person's planned hours against the legal week, add and remove a shift."""

from collections import defaultdict
from datetime import timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.exceptions import DomainError, InvalidInput
from core.models import Membership
from core.scoping import capability_required, get_scoped_or_404, scope
from pos.models import Outlet
from timeclock.forms import parse_day_time
from timeclock.models import PlannedShift
from timeclock.selectors import HOUR, local_midnight
from timeclock.services import planned_shift_create, planned_shift_delete
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
