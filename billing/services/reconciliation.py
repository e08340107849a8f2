"""Reconciliation per business day: payments recorded by method vs what was counted.

Cash has one source of truth: the till drawers (cash sessions). Their X/Z numbers come from a
provider the POS registers at start-up (`register_cash_drawer_source`: billing must not import
pos); when a day has drawers, the cash counted is theirs (counted − float), the cash expected
is the day's cash payments plus the drawers' cash in/out. Manual counts (CashCount) are for
the other methods (card batch totals…) and for cash on days without any drawer."""

from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from billing.models import CashCount, Payment
from core.audit import audit_log
from core.exceptions import InvalidInput
from core.models import Property
from core.money import ZERO, quantize

CashDrawerSource = Callable[..., list[dict]]
_drawer_sources: list[CashDrawerSource] = []


def register_cash_drawer_source(source: CashDrawerSource) -> None:
    """`source(property=, business_date=)` returns the day's drawers as dicts with label,
    status, opening_float, cash_sales, movements, expected, counted, difference."""
    if source not in _drawer_sources:
        _drawer_sources.append(source)


def cash_drawers_for_day(*, property: Property, business_date: date) -> list[dict]:
    drawers: list[dict] = []
    for source in _drawer_sources:
        drawers += source(property=property, business_date=business_date)
    return drawers


def cash_count_record(
    *, property: Property, business_date: date, method: str, counted, actor, note: str = ""
) -> CashCount:
    """Record a count for (day, method); a recount is a new row (the latest one counts).
    Raises InvalidInput on an unknown method, a negative or non-decimal amount, a future day."""
    if method not in Payment.Method.values:
        raise InvalidInput(_("Unknown payment method: %(method)s.") % {"method": method})
    if isinstance(counted, float):
        raise InvalidInput(_("The counted amount must be a decimal amount."))
    try:
        amount = quantize(Decimal(str(counted)))
    except (InvalidOperation, ValueError):
        raise InvalidInput(_("The counted amount must be a decimal amount."))
    if not amount.is_finite() or amount < 0:
        raise InvalidInput(_("The counted amount must be a decimal amount."))
    if business_date > property.business_date():
        raise InvalidInput(_("This business day has not started yet."))
    with transaction.atomic():
        count = CashCount.objects.create(
            property=property,
            business_date=business_date,
            method=method,
            counted=amount,
            note=note.strip()[:300],
            counted_by=actor if getattr(actor, "pk", None) else None,
        )
        audit_log(
            action="billing.cash_count.recorded",
            property=property,
            actor=actor,
            target=count,
            data={"method": method, "counted": str(amount), "day": business_date.isoformat()},
        )
    return count


def reconciliation_for_day(*, property: Property, business_date: date) -> list[dict]:
    """Per payment method with payments or a count that day: expected (sum of payments,
    refunds included), counted (latest count, None if not counted), difference."""
    expected = dict(
        Payment.objects.filter(property=property, business_date=business_date)
        .values("method")
        .annotate(total=Sum("amount"))
        .values_list("method", "total")
    )
    counted: dict[str, Decimal] = {}
    for count in CashCount.objects.filter(property=property, business_date=business_date).order_by(
        "method", "-created_at", "-pk"
    ):
        counted.setdefault(count.method, count.counted)
    drawers = cash_drawers_for_day(property=property, business_date=business_date)
    rows = []
    for method in Payment.Method.values:
        if method not in expected and method not in counted and not (method == "cash" and drawers):
            continue
        exp = expected.get(method) or ZERO
        cnt = counted.get(method)
        row = {
            "method": method,
            "label": str(Payment.Method(method).label),
            "expected": exp,
            "counted": cnt,
            "difference": None if cnt is None else cnt - exp,
        }
        if method == Payment.Method.CASH and drawers:
            row.update(_cash_from_drawers(exp, drawers))
        rows.append(row)
    return rows


def _cash_from_drawers(payments: Decimal, drawers: list[dict]) -> dict:
    """The cash row when the day has drawers: expected = cash payments + movements; counted
    = what the closed drawers counted, net of their floats (None while one is still open);
    `outside_drawers` = cash payments taken at no drawer of the day (e.g. front desk)."""
    movements = sum((d["movements"] for d in drawers), ZERO)
    in_drawers = sum((d["cash_sales"] for d in drawers), ZERO)
    expected = payments + movements
    all_closed = all(d["counted"] is not None for d in drawers)
    counted = (
        sum((d["counted"] - d["opening_float"] for d in drawers), ZERO) if all_closed else None
    )
    return {
        "expected": expected,
        "counted": counted,
        "difference": None if counted is None else counted - expected,
        "movements": movements,
        "outside_drawers": payments - in_drawers,
        "drawers": drawers,
        "drawers_difference": sum(
            (d["difference"] for d in drawers if d["difference"] is not None), ZERO
        ),
    }
