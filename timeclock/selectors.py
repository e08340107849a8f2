"""The time clock's reads: who is clocked in now, and the hours worked per person and week.

The legal week (Code du travail L3121-35) runs from Monday 00:00 to Sunday 24:00 in the
property's time zone. Hours are counted in the week they were worked: a shift from Sunday
22:00 to Monday 02:00 gives 2 hours to each week. Worked time is clock-in to clock-out less
the breaks (unpaid). Past the property's legal week (35 h) the 36th to 43rd hours are
overtime at 25 %, from the 44th at 50 % (L3121-36, without a collective agreement). An
open shift counts nothing until it is closed (by the person, or corrected by a manager): it
is flagged, and "forgotten" once older than the property's `forgotten_after_hours`.
Constant queries: the shifts with their breaks (2) and their people (1)."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Prefetch, Q, Subquery
from django.utils import timezone

from core.models import Property
from timeclock.models import PlannedShift, ShiftBreak, TimeclockSettings, WorkedShift

User = get_user_model()
OVERTIME_25_HOURS = 8  # the 36th to 43rd hours of a 35-hour week
HOUR = 3600


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def local_midnight(day: date, property: Property) -> datetime:
    return datetime.combine(day, time.min, tzinfo=property.tz)


def hours(seconds: int) -> Decimal:
    """Seconds as decimal hours, to the hundredth (what a payroll file reads)."""
    return (Decimal(seconds) / HOUR).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _overlap(start: datetime, end: datetime, lo: datetime, hi: datetime) -> int:
    return max(0, int((min(end, hi) - max(start, lo)).total_seconds()))


@dataclass
class WeekHours:
    """One person's week: seconds worked (breaks taken off), seconds of break, the split
    into regular and overtime hours, and the flags a manager looks at."""

    user: object
    week_start: date
    weekly_hours: int
    worked: int = 0
    breaks: int = 0
    shifts: int = 0
    open_shift: bool = False
    forgotten: bool = False
    corrected: bool = False
    shift_rows: list = field(default_factory=list)

    @property
    def week_label(self) -> str:
        year, week, _day = self.week_start.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def regular(self) -> int:
        return min(self.worked, self.weekly_hours * HOUR)

    @property
    def overtime_25(self) -> int:
        return min(max(self.worked - self.weekly_hours * HOUR, 0), OVERTIME_25_HOURS * HOUR)

    @property
    def overtime_50(self) -> int:
        return max(self.worked - (self.weekly_hours + OVERTIME_25_HOURS) * HOUR, 0)

    @property
    def overtime(self) -> bool:
        return self.worked > self.weekly_hours * HOUR

    def h(self, name: str) -> Decimal:
        return hours(getattr(self, name))


def settings_of(property: Property) -> TimeclockSettings:
    return TimeclockSettings.objects.filter(property=property).first() or TimeclockSettings(
        property=property
    )


def _shifts(property: Property, lo: datetime, hi: datetime, user_ids=None):
    shifts = (
        WorkedShift.objects.filter(property=property, clock_in__lt=hi)
        .filter(Q(clock_out__gt=lo) | Q(clock_out__isnull=True, clock_in__gte=lo))
        .prefetch_related(Prefetch("breaks", queryset=ShiftBreak.objects.order_by("start")))
        .select_related("outlet")
        .order_by("clock_in", "pk")
    )
    if user_ids is not None:
        shifts = shifts.filter(user_id__in=user_ids)
    return list(shifts)


def split_seconds(shift: WorkedShift, lo: datetime, hi: datetime) -> tuple[int, int]:
    """(seconds worked, seconds of break) of a closed shift inside [lo, hi)."""
    if shift.clock_out is None:
        return 0, 0
    span = _overlap(shift.clock_in, shift.clock_out, lo, hi)
    paused = sum(_overlap(b.start, b.end or shift.clock_out, lo, hi) for b in shift.breaks.all())
    return span - paused, paused


def worked_weeks(
    *,
    property: Property,
    first_monday: date,
    weeks: int = 1,
    user_ids=None,
    now: datetime | None = None,
) -> list[WeekHours]:
    """Each person's hours per week for `weeks` weeks from `first_monday`, the people with a
    shift in a week only, by week then name. Three queries whatever the number of shifts."""
    now = now or timezone.now()
    conf = settings_of(property)
    bounds = [
        (
            first_monday + timedelta(weeks=n),
            local_midnight(first_monday + timedelta(weeks=n), property),
            local_midnight(first_monday + timedelta(weeks=n + 1), property),
        )
        for n in range(weeks)
    ]
    shifts = _shifts(property, bounds[0][1], bounds[-1][2], user_ids)
    people = User.objects.in_bulk({s.user_id for s in shifts})
    rows: dict[tuple[date, int], WeekHours] = {}
    forgotten_after = timedelta(hours=conf.forgotten_after_hours)
    for shift in shifts:
        for monday, lo, hi in bounds:
            start_in_week = lo <= shift.clock_in < hi
            if shift.clock_out is None:
                if not start_in_week:
                    continue
            elif not (shift.clock_in < hi and shift.clock_out > lo):
                continue
            row = rows.get((monday, shift.user_id))
            if row is None:
                row = rows[(monday, shift.user_id)] = WeekHours(
                    user=people[shift.user_id], week_start=monday, weekly_hours=conf.weekly_hours
                )
            worked, paused = split_seconds(shift, lo, hi)
            row.worked += worked
            row.breaks += paused
            row.corrected = row.corrected or shift.corrected
            if start_in_week:
                row.shifts += 1
                row.shift_rows.append(shift)
            if shift.clock_out is None:
                row.open_shift = True
                row.forgotten = row.forgotten or now - shift.clock_in > forgotten_after
    return sorted(
        rows.values(),
        key=lambda r: (r.week_start, r.user.get_full_name() or r.user.username, r.user.pk),
    )


def seconds_worked(*, property: Property, start: date, end: date, user_ids=None) -> dict[int, int]:
    """Seconds each person worked on the business days start..end (local midnights), for
    the tips shared by hours worked. Two queries."""
    lo = local_midnight(start, property)
    hi = local_midnight(end + timedelta(days=1), property)
    totals: dict[int, int] = {}
    for shift in _shifts(property, lo, hi, user_ids):
        worked, _paused = split_seconds(shift, lo, hi)
        if worked:
            totals[shift.user_id] = totals.get(shift.user_id, 0) + worked
    return totals


@dataclass(frozen=True)
class ClockState:
    status: str  # "out", "in", "break"
    since: datetime | None


def clock_states(*, property: Property, user_ids) -> dict[int, ClockState]:
    """Whether each person is clocked in, on a break or out, and since when. One query."""
    open_shifts = WorkedShift.objects.filter(
        property=property, clock_out__isnull=True, user_id__in=user_ids
    ).prefetch_related(
        Prefetch(
            "breaks", queryset=ShiftBreak.objects.filter(end__isnull=True), to_attr="open_breaks"
        )
    )
    states = {}
    for shift in open_shifts:
        if shift.open_breaks:
            states[shift.user_id] = ClockState("break", shift.open_breaks[0].start)
        else:
            states[shift.user_id] = ClockState("in", shift.clock_in)
    return states


# a clock-in up to this long before a planned shift's start is the clock-in of that shift
EARLY_CLOCK_IN = timedelta(hours=2)


def _planned_for_shift():
    """The shift planned for a worked shift: the same person's at the same property whose
    start, less two hours, is before the clock-in and whose end is after it (earliest)."""
    return PlannedShift.objects.filter(
        property=OuterRef("property"),
        user=OuterRef("user"),
        start__lte=OuterRef("clock_in") + EARLY_CLOCK_IN,
        end__gt=OuterRef("clock_in"),
    ).order_by("start")


def forgotten_shifts(*, property: Property, now: datetime | None = None):
    """The open shifts someone forgot to clock out: open for more than the property's
    `forgotten_after_hours`, or `clock_out_margin_minutes` past the end of the shift planned
    for them. One query (with the person), oldest first; each carries `planned_end`."""
    now = now or timezone.now()
    conf = settings_of(property)
    return list(
        WorkedShift.objects.filter(property=property, clock_out__isnull=True)
        .annotate(planned_end=Subquery(_planned_for_shift().values("end")[:1]))
        .filter(
            Q(clock_in__lt=now - timedelta(hours=conf.forgotten_after_hours))
            | Q(planned_end__lt=now - timedelta(minutes=conf.clock_out_margin_minutes))
        )
        .select_related("user")
        .order_by("clock_in", "pk")
    )
