"""The demo's staff time: last week's shifts of the waiter and the bartender (breaks, a late
bar shift past midnight, the bartender's overtime), this week's planning at the bar and the
restaurant, and the bartender clocked in now."""

from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from pos.models import Outlet
from timeclock.models import PlannedShift, ShiftBreak, WorkedShift
from timeclock.selectors import monday_of

User = get_user_model()


def seed(context: dict) -> None:
    prop = context["property"]
    if WorkedShift.objects.filter(property=prop).exists():
        return
    people = User.objects.in_bulk(["serveur", "barman", "directeur"], field_name="username")
    if len(people) < 3:
        return
    waiter, bartender = people["serveur"], people["barman"]
    tz = prop.tz
    last_monday = monday_of(prop.business_date()) - timedelta(weeks=1)

    def at(day, hour, minute=0):
        return datetime.combine(last_monday + timedelta(days=day), time(hour, minute), tzinfo=tz)

    for day in range(5):
        shift = WorkedShift.objects.create(
            property=prop, user=waiter, clock_in=at(day, 11), clock_out=at(day, 19)
        )
        ShiftBreak.objects.create(shift=shift, start=at(day, 15), end=at(day, 15, 30))
    for day in range(5):
        # the bar closes at 01:00: 9 h a night, 45 h in the week (10 h of overtime)
        shift = WorkedShift.objects.create(
            property=prop, user=bartender, clock_in=at(day, 16), clock_out=at(day + 1, 1, 30)
        )
        ShiftBreak.objects.create(shift=shift, start=at(day, 20), end=at(day, 20, 30))
    WorkedShift.objects.create(
        property=prop, user=bartender, clock_in=timezone.now() - timedelta(hours=2)
    )
    outlets = {o.kind: o for o in Outlet.objects.filter(property=prop)}
    this_monday = monday_of(prop.business_date())
    for day in range(5):
        start = datetime.combine(this_monday + timedelta(days=day), time(11), tzinfo=tz)
        for user, kind, hours in ((waiter, "restaurant", 8), (bartender, "bar", 9)):
            outlet = outlets.get(kind)
            if outlet is None:
                continue
            begin = start if kind == "restaurant" else start + timedelta(hours=5)
            PlannedShift.objects.create(
                property=prop,
                outlet=outlet,
                user=user,
                start=begin,
                end=begin + timedelta(hours=hours),
                created_by=people["directeur"],
            )
