"""Planned against worked, per person and week, over one or several properties: the hours
planned (each planned shift in the week it starts), the hours worked (as the payroll's
`worked_weeks`: clock-in to clock-out less the breaks, a shift across two weeks split at
Monday 00:00, an open shift counting nothing), their difference, the overtime past the
legal week, the late arrivals and the planned shifts nobody clocked in for.

A planned shift's clock-in is the first of the same person at the same property from two
hours before its start until its end; it is late past the property's
`late_after_minutes`; a planned shift that ended without any clock-in is missed.

Every figure is a SQL aggregate: per group of properties sharing a time zone (their weeks
start at the same instant), one query for the planned hours with the late and missed
counts, one for the shifts' spans and one for their breaks; plus the settings and the
people: 5 queries for an organisation in one time zone, whatever its shifts."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import (
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone

from core.models import Property
from timeclock.models import PlannedShift, ShiftBreak, TimeclockSettings, WorkedShift
from timeclock.selectors import EARLY_CLOCK_IN, HOUR, hours, local_midnight

User = get_user_model()
DEFAULT_LATE_MINUTES = TimeclockSettings._meta.get_field("late_after_minutes").default
DEFAULT_WEEKLY_HOURS = TimeclockSettings._meta.get_field("weekly_hours").default


@dataclass
class PlanRow:
    """One person's week at one property (seconds)."""

    property: Property
    user: object
    week_start: date
    weekly_hours: int
    planned: int = 0
    worked: int = 0
    late: int = 0
    missed: int = 0

    @property
    def week_label(self) -> str:
        year, week, _day = self.week_start.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def difference(self) -> int:
        """Worked less planned: above zero, more than planned."""
        return self.worked - self.planned

    @property
    def overtime(self) -> int:
        return max(self.worked - self.weekly_hours * HOUR, 0)

    def h(self, name: str) -> Decimal:
        return hours(getattr(self, name))


def _seconds(value) -> int:
    return int(value.total_seconds()) if value else 0


def _span(start, end, lo: datetime, hi: datetime):
    """The length of [start, end) inside [lo, hi), as an SQL interval."""
    return ExpressionWrapper(
        Least(end, Value(hi, output_field=DateTimeField()))
        - Greatest(start, Value(lo, output_field=DateTimeField())),
        output_field=DurationField(),
    )


def planned_vs_worked(
    *, properties, first_monday: date, weeks: int = 1, now: datetime | None = None
) -> list[PlanRow]:
    """Each person's planned and worked week at each of `properties` (rows), for `weeks`
    weeks from `first_monday`; a person appears in a week with something planned or worked.
    Sorted by property, week, name."""
    now = now or timezone.now()
    properties = list(properties)
    weekly = dict(
        TimeclockSettings.objects.filter(property__in=properties).values_list(
            "property_id", "weekly_hours"
        )
    )
    by_tz = defaultdict(list)
    for prop in properties:
        by_tz[prop.timezone].append(prop)
    rows: dict[tuple[int, int, date], dict] = defaultdict(lambda: defaultdict(int))
    for group in by_tz.values():
        bounds = [
            (
                n,
                first_monday + timedelta(weeks=n),
                local_midnight(first_monday + timedelta(weeks=n), group[0]),
                local_midnight(first_monday + timedelta(weeks=n + 1), group[0]),
            )
            for n in range(weeks)
        ]
        first_lo, last_hi = bounds[0][2], bounds[-1][3]
        _planned(rows, group, bounds, first_lo, last_hi, now)
        _worked(rows, group, bounds, first_lo, last_hi)
    people = User.objects.in_bulk({user_id for _p, user_id, _w in rows})
    by_pk = {p.pk: p for p in properties}
    result = [
        PlanRow(
            property=by_pk[prop_id],
            user=people[user_id],
            week_start=monday,
            weekly_hours=weekly.get(prop_id, DEFAULT_WEEKLY_HOURS),
            planned=figures["planned"],
            worked=max(figures["span"] - figures["breaks"], 0),
            late=figures["late"],
            missed=figures["missed"],
        )
        for (prop_id, user_id, monday), figures in rows.items()
    ]
    return sorted(
        result,
        key=lambda r: (
            r.property.name,
            r.week_start,
            (r.user.get_full_name() or r.user.username).lower(),
            r.user.pk,
        ),
    )


def _planned(rows, group, bounds, first_lo, last_hi, now) -> None:
    first_in = (
        WorkedShift.objects.filter(
            property=OuterRef("property"),
            user=OuterRef("user"),
            clock_in__gte=OuterRef("start") - EARLY_CLOCK_IN,
            clock_in__lt=OuterRef("end"),
        )
        .order_by("clock_in")
        .values("clock_in")[:1]
    )
    late_after = ExpressionWrapper(
        F("start")
        + Coalesce(
            F("property__timeclock_settings__late_after_minutes"),
            Value(DEFAULT_LATE_MINUTES),
            output_field=IntegerField(),
        )
        * Value(timedelta(minutes=1), output_field=DurationField()),
        output_field=DateTimeField(),
    )
    aggregates = {}
    for n, _monday, lo, hi in bounds:
        in_week = Q(start__gte=lo, start__lt=hi)
        aggregates[f"p{n}"] = Sum(
            ExpressionWrapper(F("end") - F("start"), output_field=DurationField()),
            filter=in_week,
        )
        aggregates[f"l{n}"] = Count("pk", filter=in_week & Q(first_in__gt=F("late_after")))
        aggregates[f"m{n}"] = Count("pk", filter=in_week & Q(first_in__isnull=True, end__lte=now))
    planned = (
        PlannedShift.objects.filter(property__in=group, start__gte=first_lo, start__lt=last_hi)
        .annotate(first_in=Subquery(first_in), late_after=late_after)
        .values("property_id", "user_id")
        .annotate(**aggregates)
        .order_by()
    )
    for row in planned:
        for n, monday, _lo, _hi in bounds:
            if row[f"p{n}"]:
                figures = rows[(row["property_id"], row["user_id"], monday)]
                figures["planned"] += _seconds(row[f"p{n}"])
                figures["late"] += row[f"l{n}"]
                figures["missed"] += row[f"m{n}"]


def _worked(rows, group, bounds, first_lo, last_hi) -> None:
    spans, paused = {}, {}
    for n, _monday, lo, hi in bounds:
        spans[f"s{n}"] = Sum(
            _span(F("clock_in"), F("clock_out"), lo, hi),
            filter=Q(clock_in__lt=hi, clock_out__gt=lo),
        )
        paused[f"b{n}"] = Sum(
            _span(F("start"), F("until"), lo, hi), filter=Q(start__lt=hi, until__gt=lo)
        )
    shifts = (
        WorkedShift.objects.filter(
            property__in=group,
            clock_out__isnull=False,
            clock_in__lt=last_hi,
            clock_out__gt=first_lo,
        )
        .values("property_id", "user_id")
        .annotate(**spans)
        .order_by()
    )
    breaks = (
        ShiftBreak.objects.filter(
            shift__property__in=group,
            shift__clock_out__isnull=False,
            start__lt=last_hi,
        )
        .annotate(until=Coalesce("end", "shift__clock_out"))
        .filter(until__gt=first_lo)
        .values("shift__property_id", "shift__user_id")
        .annotate(**paused)
        .order_by()
    )
    for row in shifts:
        for n, monday, _lo, _hi in bounds:
            if row[f"s{n}"]:
                rows[(row["property_id"], row["user_id"], monday)]["span"] += _seconds(row[f"s{n}"])
    for row in breaks:
        for n, monday, _lo, _hi in bounds:
            if row[f"b{n}"]:
                key = (row["shift__property_id"], row["shift__user_id"], monday)
                if key in rows:
                    rows[key]["breaks"] += _seconds(row[f"b{n}"])
