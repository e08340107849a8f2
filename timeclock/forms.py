"""Parsing what the time clock's forms send: a week (ISO `2026-W49`), a local date and time
in the property's time zone. A bad value raises InvalidInput with a translated message."""

from datetime import date, datetime, time

from django.utils.translation import gettext as _

from core.exceptions import InvalidInput
from core.models import Property
from timeclock.selectors import monday_of


def parse_week(value: str, today: date) -> date:
    """The Monday of an ISO week `YYYY-Www` (the current week when empty)."""
    if not value:
        return monday_of(today)
    try:
        year, week = value.split("-W")
        return date.fromisocalendar(int(year), int(week), 1)
    except ValueError:
        raise InvalidInput(_("Choose a week such as 2026-W49."))


def parse_local(value: str, property: Property, *, required: bool = True) -> datetime | None:
    """A `datetime-local` field's value, in the property's time zone."""
    value = (value or "").strip()
    if not value:
        if required:
            raise InvalidInput(_("Give the date and time."))
        return None
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(_("Give the date and time as on the form."))
    if naive.tzinfo is not None:
        raise InvalidInput(_("Give the date and time as on the form."))
    return naive.replace(tzinfo=property.tz)


def parse_day_time(day: str, clock: str, property: Property) -> datetime:
    try:
        return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock)).replace(
            tzinfo=property.tz
        )
    except ValueError:
        raise InvalidInput(_("Give the day and the times as on the form."))
