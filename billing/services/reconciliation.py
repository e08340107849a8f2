"""Reconciliation per business day: payments recorded by method vs what was counted.

Expected, per method, is the sum of the day's payments (immutable rows, refunds included).
Counted is what people counted: for cash, each till drawer's blind count net of its float and
of its cash in/out (the X/Z numbers come from a provider the POS registers at start-up,
`register_cash_drawer_source`: billing must not import pos), plus the front desk's own count
(a CashCount) of the cash taken outside any drawer; for the other methods the latest day count
(the card terminal's batch total…) or, without one, what the drawers' blind closes counted of
them (cheques, titles, card slips) when every payment of the method was taken there.
Difference = counted − expected, and the day's difference is the sum over the methods
counted."""

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
    refunds included), counted (None while something is not counted), difference."""
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
    for method, total in _counted_at_drawers(expected, counted, drawers).items():
        counted[method] = total
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
            row.update(_cash_from_drawers(exp, cnt, drawers))
        rows.append(row)
    return rows


def _counted_at_drawers(expected: dict, counted: dict, drawers: list[dict]) -> dict:
    """The other methods the drawers' blind closes counted (cheques, titles, card slips),
    for a method no day count was recorded for: their sum, when every payment of the method
    that day was taken at a drawer that counted it (else it is still to be counted)."""
    out: dict[str, Decimal] = {}
    methods = {m for d in drawers for m in d.get("counted_by_method", {})} - {"cash"}
    for method in methods - set(counted):
        at = [d for d in drawers if method in d.get("counted_by_method", {})]
        got = sum((d["counted_by_method"][method] for d in at), ZERO)
        taken = sum((d.get("payments_by_method", {}).get(method, ZERO) for d in at), ZERO)
        if (expected.get(method) or ZERO) == taken and (got or method in expected):
            out[method] = got
    return out


def reconciliation_difference(rows: list[dict]) -> dict:
    """The day's accounting difference: the sum of the counted methods' differences, and
    whether a method with payments is still to be counted."""
    return {
        "difference": sum((r["difference"] for r in rows if r["difference"] is not None), ZERO),
        "complete": all(r["counted"] is not None for r in rows),
    }


def _cash_from_drawers(payments: Decimal, desk_count: Decimal | None, drawers: list[dict]):
    """The cash row when the day has drawers. Each drawer's part of the payments is its cash
    sales; what it counted for them is its blind count less its float and its cash in/out
    (None while it is open). The rest of the cash payments was taken outside any drawer (the
    front desk) and is compared with the day's cash count, when one was recorded."""
    in_drawers = sum((d["cash_sales"] for d in drawers), ZERO)
    outside = payments - in_drawers
    parts = []
    for d in drawers:
        net = None if d["counted"] is None else d["counted"] - d["opening_float"] - d["movements"]
        parts.append({**d, "payments": d["cash_sales"], "counted_payments": net})
    drawers_counted = (
        None
        if any(p["counted_payments"] is None for p in parts)
        else sum((p["counted_payments"] for p in parts), ZERO)
    )
    if desk_count is None and outside == 0:
        desk_count = ZERO  # nothing taken outside the drawers: nothing to count there
    counted = (
        None if drawers_counted is None or desk_count is None else drawers_counted + desk_count
    )
    return {
        "expected": payments,
        "counted": counted,
        "difference": None if counted is None else counted - payments,
        "outside_drawers": outside,
        "outside_counted": desk_count,
        "outside_difference": None if desk_count is None else desk_count - outside,
        "drawers": parts,
        "drawers_difference": sum(
            (d["difference"] for d in drawers if d["difference"] is not None), ZERO
        ),
    }
