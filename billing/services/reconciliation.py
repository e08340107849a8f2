"""Reconciliation per business day: payments recorded by method vs what was counted."""

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
    rows = []
    for method in Payment.Method.values:
        if method not in expected and method not in counted:
            continue
        exp = expected.get(method) or ZERO
        cnt = counted.get(method)
        rows.append(
            {
                "method": method,
                "label": str(Payment.Method(method).label),
                "expected": exp,
                "counted": cnt,
                "difference": None if cnt is None else cnt - exp,
            }
        )
    return rows
