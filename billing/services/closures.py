"""Daily, monthly and yearly closures (NF525 conservation): the period's totals and the
perpetual grand total, frozen in a Closure row and journaled."""

from datetime import date, timedelta

from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from billing.lock_objects import journal_head_for_update
from billing.models import Closure, JournalEntry, JournalHead
from billing.services.checkpoints import checkpoints_sign
from billing.services.journal import (
    FISCAL,
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


def _open_days(*, property: Property, start: date, end: date) -> list[date]:
    """Business days of [start, end) that hold fiscal documents but no daily closure."""
    with_documents = set(
        JournalEntry.objects.filter(
            property=property, chain=FISCAL, business_date__gte=start, business_date__lt=end
        )
        .exclude(kind=JournalEntry.Kind.CLOSURE)
        .values_list("business_date", flat=True)
        .distinct()
    )
    closed = set(
        Closure.objects.filter(
            property=property, period=Closure.Period.DAY, start__gte=start, start__lt=end
        ).values_list("start", flat=True)
    )
    return sorted(with_documents - closed)


def _check_order(*, property: Property, period: str, start: date, end: date) -> None:
    """Closures in order: a day after every earlier day with documents, a month or a year
    after every one of its days."""
    if period == Closure.Period.DAY:
        closed_through = property.closed_through
        if closed_through is not None and start <= closed_through:
            raise InvalidInput(
                _("Days are closed in order: %(closed)s is closed, so %(day)s can no longer be.")
                % {"closed": date_format(closed_through), "day": date_format(start)}
            )
        earlier = _open_days(property=property, start=date.min, end=start)
        if earlier:
            raise InvalidInput(
                _("Days are closed in order: close %(day)s first.")
                % {"day": date_format(earlier[0])}
            )
        return
    still_open = _open_days(property=property, start=start, end=end)
    if still_open:
        raise InvalidInput(
            _("Close every day of the period first: %(day)s is not closed.")
            % {"day": date_format(still_open[0])}
        )


@transaction.atomic
def closure_run(*, property: Property, period: str, day: date, actor=None) -> Closure:
    """Close the period containing `day`. Idempotent: an existing closure is returned.

    Refused for a period that has not started yet; a month or year can be closed only once it
    has ended, a day from its own evening on (the bar closes before the business date rolls).
    Closures come in order (_check_order). A daily closure ends its day:
    the property's later documents take the next business date (Property.closed_through), so
    the closure's totals stay the sum of its day's documents.
    Locks: the fiscal chain head first (a sale of the day waits for the closure, then is
    refused and retried on the next day), then the property row.
    """
    start, end = period_bounds(period, day)
    existing = Closure.objects.filter(property=property, period=period, start=start).first()
    if existing is not None:
        return existing
    today = property.clock_business_date()
    if start > today or (period != Closure.Period.DAY and end > today):
        raise InvalidInput(_("This period is not over yet: it cannot be closed."))
    head = journal_head_for_update(property=property, chain=FISCAL)
    # the property as committed (a closure of the same day may just have moved it on)
    property.closed_through = (
        Property.objects.filter(pk=property.pk).values_list("closed_through", flat=True).get()
    )
    existing = Closure.objects.filter(property=property, period=period, start=start).first()
    if existing is not None:
        return existing
    _check_order(property=property, period=period, start=start, end=end)
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
    if period == Closure.Period.DAY:
        JournalHead.objects.filter(pk=head.pk).update(closed_through=start)
        property.closed_through = start
        property.save(update_fields=["closed_through"])  # its signals drop cached copies
    jet_event(
        property=property,
        actor=actor,
        code=JET_YEAR_CLOSURE if period == Closure.Period.YEAR else JET_CLOSURE,
        payload={"period": period, "start": start, "closure": closure.pk},
    )
    checkpoints_sign(property=property, closure=closure)
    return closure


def closures_run_due(*, property: Property) -> list[Closure]:
    """Beat: close every day still open up to yesterday (in order), then last month and last
    year once they are over."""
    today = property.clock_business_date()
    yesterday = today - timedelta(days=1)
    closed_through = property.closed_through
    since = closed_through + timedelta(days=1) if closed_through else date.min
    done = [
        closure_run(property=property, period=Closure.Period.DAY, day=day)
        for day in _open_days(property=property, start=since, end=yesterday)
    ]
    if closed_through is None or closed_through < yesterday:
        done.append(closure_run(property=property, period=Closure.Period.DAY, day=yesterday))
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
