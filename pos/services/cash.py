"""Cash sessions of a till: open with a float, X report (running totals), close with a blind
count into a Z report with the difference recorded."""

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import Payment
from core.audit import audit_log
from core.exceptions import Conflict, InvalidInput
from core.money import quantize
from pos.models import CashSession, Terminal

MAX_CASH = Decimal("1000000")


def terminal_label(terminal: Terminal) -> str:
    return f"{terminal.outlet.name} · {terminal.name}"


def _check_amount(value: Decimal) -> Decimal:
    if value is None or not value.is_finite() or value < 0 or value > MAX_CASH:
        raise InvalidInput(_("Enter a valid amount."))
    return quantize(value)


def cash_session_open(*, terminal: Terminal, actor, opening_float: Decimal) -> CashSession:
    """Open the drawer of `terminal` with `opening_float`. Raises Conflict when it is open."""
    opening_float = _check_amount(opening_float)
    try:
        with transaction.atomic():
            Terminal.objects.select_for_update().get(pk=terminal.pk)
            if CashSession.objects.filter(
                terminal=terminal, status=CashSession.Status.OPEN
            ).exists():
                raise Conflict(_("The drawer of this till is already open."))
            session = CashSession.objects.create(
                property=terminal.property,
                terminal=terminal,
                business_date=terminal.property.business_date(),
                opening_float=opening_float,
                opened_by=actor,
                opened_at=timezone.now(),
            )
            audit_log(
                action="pos.cash_session.opened",
                property=terminal.property,
                actor=actor,
                target=session,
                terminal=terminal_label(terminal),
                channel="pos",
                data={"float": str(opening_float)},
            )
    except IntegrityError:
        raise Conflict(_("The drawer of this till is already open."))
    return session


def cash_session_totals(*, session: CashSession, until=None) -> dict:
    """Payments taken at the session's till since it opened, by method (refunds included),
    and the cash expected in the drawer."""
    rows = (
        Payment.objects.filter(
            property_id=session.property_id,
            terminal=terminal_label(session.terminal),
            created_at__gte=session.opened_at,
            created_at__lte=until or session.closed_at or timezone.now(),
        )
        .values("method")
        .annotate(total=Sum("amount"), count=Count("pk"))
        .order_by("method")
    )
    by_method = {r["method"]: {"total": str(r["total"]), "count": r["count"]} for r in rows}
    cash = Decimal(by_method.get("cash", {}).get("total", "0"))
    return {
        "by_method": by_method,
        "cash_sales": str(cash),
        "expected_cash": str(quantize(session.opening_float + cash)),
    }


def cash_session_close(*, session: CashSession, actor, counted_cash: Decimal) -> CashSession:
    """Close with a blind count: the expected cash is computed now, the difference
    (counted − expected) recorded with the totals of the Z report. Idempotent: refuses a
    closed session (Conflict) and changes nothing."""
    counted_cash = _check_amount(counted_cash)
    with transaction.atomic():
        locked = (
            CashSession.objects.select_for_update()
            .select_related("terminal__outlet")
            .get(pk=session.pk)
        )
        if locked.status != CashSession.Status.OPEN:
            raise Conflict(_("This drawer is already closed."))
        now = timezone.now()
        totals = cash_session_totals(session=locked, until=now)
        expected = Decimal(totals["expected_cash"])
        locked.status = CashSession.Status.CLOSED
        locked.closed_by = actor
        locked.closed_at = now
        locked.counted_cash = counted_cash
        locked.expected_cash = expected
        locked.difference = counted_cash - expected
        locked.totals = totals
        locked.save()
        audit_log(
            action="pos.cash_session.closed",
            property=locked.property,
            actor=actor,
            target=locked,
            terminal=terminal_label(locked.terminal),
            channel="pos",
            data={
                "counted": str(counted_cash),
                "expected": str(expected),
                "difference": str(locked.difference),
            },
        )
    return locked
