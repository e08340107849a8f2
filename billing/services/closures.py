"""Daily, monthly and yearly closures (NF525 conservation): the period's totals and the
perpetual grand total, frozen in a Closure row and journaled."""

from datetime import date, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from billing.models import Closure, JournalEntry
from billing.services.checkpoints import checkpoints_sign
from billing.services.journal import (
    JET_CLOSURE,
    JET_YEAR_CLOSURE,
    fiscal_totals,
    jet_event,
    journal_append,
)
from billing.services.seals import closure_seal
from core.exceptions import InvalidInput
from core.models import Property


def period_bounds(period: str, day: date) -> tuple[date, date]:
    if period == Closure.Period.DAY:
        return day, day + timedelta(days=1)
    if period == Closure.Period.MONTH:
        start = day.replace(day=1)
        return start, (start + timedelta(days=32)).replace(day=1)
    if period == Closure.Period.YEAR:
        return day.replace(month=1, day=1), day.replace(year=day.year + 1, month=1, day=1)
    raise InvalidInput(_("Unknown closure period."))


@transaction.atomic
def closure_run(*, property: Property, period: str, day: date, actor=None) -> Closure:
    """Close the period containing `day`. Idempotent: an existing closure is returned.

    Refused for a period that has not started yet; a month or year can be closed only once it
    has ended, a day from its own evening on (the bar closes before the business date rolls).
    Locks: the fiscal chain head (through journal_append).
    """
    start, end = period_bounds(period, day)
    existing = Closure.objects.filter(property=property, period=period, start=start).first()
    if existing is not None:
        return existing
    today = property.business_date()
    if start > today or (period != Closure.Period.DAY and end > today):
        raise InvalidInput(_("This period is not over yet: it cannot be closed."))
    totals = fiscal_totals(property=property, start=start, end=end)
    closed_by = actor if getattr(actor, "pk", None) else None
    sealed = {
        "period": period,
        "start": start,
        "end": end,
        "gross": totals["gross"],
        "net": totals["net"],
        "vat": totals["vat"],
        "entries_count": totals["count"],
        "closed_by_id": closed_by.pk if closed_by is not None else None,
    }
    entry = journal_append(
        document_hash=closure_seal(sealed),
        property=property,
        kind=JournalEntry.Kind.CLOSURE,
        code=period,
        business_date=min(end - timedelta(days=1), today),
        gross=totals["gross"],
        net=totals["net"],
        vat=totals["vat"],
        actor=actor,
        payload={"period": period, "start": start, "end": end, "count": totals["count"]},
    )
    closure = Closure.objects.create(
        property=property,
        period=period,
        start=start,
        end=end,
        gross=totals["gross"],
        net=totals["net"],
        vat=totals["vat"],
        entries_count=totals["count"],
        last_sequence=entry.sequence,
        perpetual_total=entry.perpetual_total,
        perpetual_total_abs=entry.perpetual_total_abs,
        journal_entry=entry,
        closed_by=closed_by,
    )
    jet_event(
        property=property,
        actor=actor,
        code=JET_YEAR_CLOSURE if period == Closure.Period.YEAR else JET_CLOSURE,
        payload={"period": period, "start": start, "closure": closure.pk},
    )
    checkpoints_sign(property=property, closure=closure)
    return closure


def closures_run_due(*, property: Property) -> list[Closure]:
    """Beat: close yesterday, and last month / last year once they are over."""
    today = property.business_date()
    yesterday = today - timedelta(days=1)
    done = [closure_run(property=property, period=Closure.Period.DAY, day=yesterday)]
    last_month = today.replace(day=1) - timedelta(days=1)
    done.append(closure_run(property=property, period=Closure.Period.MONTH, day=last_month))
    if today.month == 1:
        done.append(
            closure_run(
                property=property,
                period=Closure.Period.YEAR,
                day=today.replace(year=today.year - 1),
            )
        )
    return done
