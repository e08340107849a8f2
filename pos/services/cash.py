"""Cash sessions of a till: open with a float, cash in / cash out with a reason, X report
(running totals), close with a blind count into a Z report with the difference recorded.

The expected cash of a drawer (float + cash payments at the till + movements) is computed
here only; billing's reconciliation of a business day reads the same numbers through
`cash_drawers_for_day`, registered with billing at start-up (billing does not import pos)."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import Payment
from billing.services.journal import jet_event
from core.audit import audit_log
from core.exceptions import Conflict, InvalidInput
from core.money import ZERO, quantize
from pos.models import CashMovement, CashSession, Terminal

MAX_CASH = Decimal("1000000")
JET_CASH_MOVEMENT = "910"  # non-item amount (the JET code NF525 implementations use)


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
    movements = [
        {
            "direction": m.direction,
            "amount": str(m.amount),
            "reason": m.reason,
            "by": m.actor.get_username(),
            "at": m.created_at.isoformat(),
        }
        for m in session.movements.select_related("actor").order_by("created_at", "pk")
    ]
    cash_in = sum((Decimal(m["amount"]) for m in movements if m["direction"] == "in"), Decimal(0))
    cash_out = sum((Decimal(m["amount"]) for m in movements if m["direction"] == "out"), Decimal(0))
    return {
        "by_method": by_method,
        "cash_sales": str(cash),
        "movements": movements,
        "cash_in": str(quantize(cash_in)),
        "cash_out": str(quantize(cash_out)),
        "expected_cash": str(quantize(session.opening_float + cash + cash_in + cash_out)),
    }


def cash_movement_record(
    *, session: CashSession, actor, direction: str, amount: Decimal, reason: str
) -> CashMovement:
    """Put cash into (direction "in") or take it out of ("out") an open drawer, for a reason
    that is required (change from the safe, supplier paid, bank deposit…). Audited and
    journaled in the JET; counted in the drawer's expected cash.
    Locks: the session row. Raises InvalidInput (bad direction, amount or empty reason),
    Conflict (drawer closed)."""
    if direction not in CashMovement.Direction.values:
        raise InvalidInput(_("Choose cash in or cash out."))
    amount = _check_amount(amount)
    if amount == 0:
        raise InvalidInput(_("Enter a valid amount."))
    reason = " ".join((reason or "").split())[:200]
    if not reason:
        raise InvalidInput(_("Give the reason for this cash movement."))
    signed = amount if direction == CashMovement.Direction.IN else -amount
    with transaction.atomic():
        locked = (  # the session's row alone, not its till's, outlet's or property's
            CashSession.objects.select_for_update(of=("self",))
            .select_related("terminal__outlet", "property")
            .get(pk=session.pk)
        )
        if locked.status != CashSession.Status.OPEN:
            raise Conflict(_("This drawer is already closed."))
        movement = CashMovement.objects.create(
            property=locked.property,
            session=locked,
            business_date=locked.property.business_date(),
            direction=direction,
            amount=signed,
            reason=reason,
            actor=actor,
        )
        label = terminal_label(locked.terminal)
        audit_log(
            action="pos.cash_session.movement",
            property=locked.property,
            actor=actor,
            target=locked,
            terminal=label,
            channel="pos",
            data={"direction": direction, "amount": str(signed), "reason": reason},
        )
        jet_event(
            property=locked.property,
            code=JET_CASH_MOVEMENT,
            actor=actor,
            terminal=label,
            payload={"cash_session": locked.pk, "amount": signed, "reason": reason},
        )
    return movement


def cash_drawers_for_day(*, property, business_date) -> list[dict]:
    """The drawers of a business day with the numbers of their X/Z reports: a closed drawer's
    stored expected / counted / difference, an open one's running expected cash."""
    drawers = []
    sessions = (
        CashSession.objects.filter(property=property, business_date=business_date)
        .select_related("terminal__outlet")
        .order_by("opened_at", "pk")
    )
    for session in sessions:
        closed = session.status == CashSession.Status.CLOSED
        totals = session.totals if closed else cash_session_totals(session=session)
        drawers.append(
            {
                "id": session.pk,
                "label": terminal_label(session.terminal),
                "status": session.status,
                "opening_float": session.opening_float,
                "cash_sales": Decimal(totals.get("cash_sales", "0")),
                "movements": Decimal(totals.get("cash_in", "0"))
                + Decimal(totals.get("cash_out", "0")),
                "expected": session.expected_cash if closed else Decimal(totals["expected_cash"]),
                "counted": session.counted_cash if closed else None,
                "difference": session.difference if closed else None,
                # the other methods taken at the till, and what the close counted of them
                "payments_by_method": {
                    m: Decimal(row["total"]) for m, row in totals.get("by_method", {}).items()
                },
                "counted_by_method": {
                    m: Decimal(c["counted"]) for m, c in (session.counts or {}).items()
                },
            }
        )
    return drawers


# the pieces and notes of the euro a drawer is counted in, largest first
DENOMINATIONS = tuple(
    Decimal(v)
    for v in (
        "500", "200", "100", "50", "20", "10", "5", "2", "1",
        "0.50", "0.20", "0.10", "0.05", "0.02", "0.01",
    )
)  # fmt: skip
# counted piece by piece at face value: cheques, paper titres-restaurant, chèques-vacances
FACE_VALUE_METHODS = ("cheque", "meal_voucher", "holiday_voucher")
# totalled from the terminal's own end-of-day slip
SLIP_METHODS = ("card", "meal_voucher_card")
COUNTED_METHODS = ("cash", *FACE_VALUE_METHODS, *SLIP_METHODS)
JET_DRAWER_COUNT = "170"  # drawer count (the JET code NF525 implementations use)
MAX_PIECES = 100000


@dataclass(frozen=True)
class DrawerCount:
    """What the cashier counted at closing, before seeing any expected amount: cash by
    denomination and the face-value titles as {face value: pieces}, the card terminals'
    end-of-day slips as totals. `cash_total` stands for a cash count given as one total."""

    pieces: Mapping[str, Mapping[Decimal, int]] = field(default_factory=dict)
    slips: Mapping[str, Decimal] = field(default_factory=dict)
    cash_total: Decimal | None = None


def _count_totals(count: DrawerCount) -> dict[str, dict]:
    """{method: {"counted", "detail"}} for each method counted; InvalidInput on a bad count."""
    out: dict[str, dict] = {}
    for method, pieces in count.pieces.items():
        if method not in ("cash", *FACE_VALUE_METHODS):
            raise InvalidInput(_("This payment method is not counted piece by piece."))
        total = ZERO
        detail = {}
        for face, quantity in pieces.items():
            face = _check_amount(face)
            if method == "cash" and face not in DENOMINATIONS:
                raise InvalidInput(_("Count cash by the euro's notes and coins."))
            if not isinstance(quantity, int) or quantity < 0 or quantity > MAX_PIECES:
                raise InvalidInput(_("Enter a whole number of pieces."))
            if quantity and face <= 0:
                raise InvalidInput(_("Enter a valid amount."))
            if quantity:
                detail[str(face)] = detail.get(str(face), 0) + quantity
                total += face * quantity
        out[method] = {"counted": quantize(total), "detail": detail}
    if count.cash_total is not None:
        if "cash" in out:
            raise InvalidInput(_("Count the cash once: by denomination or as a total."))
        out["cash"] = {"counted": _check_amount(count.cash_total), "detail": {}}
    for method, total in count.slips.items():
        if method not in SLIP_METHODS:
            raise InvalidInput(_("Only card payments are counted from the terminal's slip."))
        out[method] = {"counted": _check_amount(total), "detail": {}}
    if "cash" not in out:
        raise InvalidInput(_("Count the cash in the drawer."))
    return out


def cash_session_close(
    *,
    session: CashSession,
    actor,
    counted_cash: Decimal | None = None,
    count: DrawerCount | None = None,
) -> CashSession:
    """Close with a blind count: what was counted per method (`count`, or the cash alone as
    `counted_cash`) is saved first, the expected amounts are computed from the immutable
    payments at that instant, and each difference (counted − expected) is kept with the Z
    report's totals and journaled (JET 170); nothing of it is ever rewritten. A method with
    payments at the till but not counted shows no difference (it is counted elsewhere, e.g.
    the card batch on the accountant's screen).
    Locks: the session row. Raises InvalidInput on a bad count, Conflict on a closed drawer
    (a second close changes nothing)."""
    if count is None:
        count = DrawerCount(cash_total=counted_cash)
    elif counted_cash is not None:
        count = DrawerCount(pieces=count.pieces, slips=count.slips, cash_total=counted_cash)
    counted = _count_totals(count)
    with transaction.atomic():
        locked = (  # the session's row alone, not its till's or outlet's
            CashSession.objects.select_for_update(of=("self",))
            .select_related("terminal__outlet")
            .get(pk=session.pk)
        )
        if locked.status != CashSession.Status.OPEN:
            raise Conflict(_("This drawer is already closed."))
        now = timezone.now()
        totals = cash_session_totals(session=locked, until=now)
        expected = Decimal(totals["expected_cash"])
        counts = {}
        for method in COUNTED_METHODS:
            paid = Decimal(totals["by_method"].get(method, {}).get("total", "0"))
            exp = expected if method == "cash" else paid
            got = counted.get(method)
            if got is None:
                continue
            counts[method] = {
                "counted": str(got["counted"]),
                "expected": str(exp),
                "difference": str(got["counted"] - exp),
                "detail": got["detail"],
            }
        counted_cash = counted["cash"]["counted"]
        locked.status = CashSession.Status.CLOSED
        locked.closed_by = actor
        locked.closed_at = now
        locked.counted_cash = counted_cash
        locked.expected_cash = expected
        locked.difference = counted_cash - expected
        locked.totals = totals
        locked.counts = counts
        locked.save()
        label = terminal_label(locked.terminal)
        audit_log(
            action="pos.cash_session.closed",
            property=locked.property,
            actor=actor,
            target=locked,
            terminal=label,
            channel="pos",
            data={
                "counted": str(counted_cash),
                "expected": str(expected),
                "difference": str(locked.difference),
            },
        )
        jet_event(
            property=locked.property,
            code=JET_DRAWER_COUNT,
            actor=actor,
            terminal=label,
            payload={
                "cash_session": locked.pk,
                "business_date": locked.business_date.isoformat(),
                "counts": {
                    m: [c["counted"], c["expected"], c["difference"]] for m, c in counts.items()
                },
            },
        )
    return locked
