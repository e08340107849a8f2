"""The periods a manager picks on the dashboard, and the same period one year earlier."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext_lazy as _

PRESETS = {
    "yesterday": _("Yesterday"),
    "week": _("Last 7 days"),
    "month": _("Month to date"),
    "ytd": _("Year to date"),
    "custom": _("Custom"),
}
# a custom range longer than this is refused (a clear message, no long scan)
MAX_DAYS = 3 * 366


class PeriodError(ValueError):
    """A period the dashboard cannot show; the message is translated."""


@dataclass(frozen=True)
class Period:
    """Business dates from `start` to `end`, both included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def end_exclusive(self) -> date:
        return self.end + timedelta(days=1)

    def last_year(self) -> "Period":
        return Period(_shift_year(self.start), _shift_year(self.end))

    def dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]


def _shift_year(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def period_for(preset: str, today: date, start: str = "", end: str = "") -> Period:
    """The period of a preset, seen on business date `today` (yesterday is the last closed
    day, so every preset ends yesterday unless custom)."""
    yesterday = today - timedelta(days=1)
    if preset in ("", "yesterday"):
        return Period(yesterday, yesterday)
    if preset == "week":
        return Period(yesterday - timedelta(days=6), yesterday)
    if preset == "month":
        return Period(yesterday.replace(day=1), yesterday)
    if preset == "ytd":
        return Period(yesterday.replace(month=1, day=1), yesterday)
    if preset == "custom":
        try:
            first, last = date.fromisoformat(start), date.fromisoformat(end)
        except ValueError:
            raise PeriodError(_("Enter the first and last day as dates (YYYY-MM-DD)."))
        if last < first:
            raise PeriodError(_("The last day comes before the first."))
        if (last - first).days + 1 > MAX_DAYS:
            raise PeriodError(_("Choose a period of three years at most."))
        return Period(first, last)
    raise PeriodError(_("Unknown period."))
