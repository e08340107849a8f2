"""Refunding some lines of a POS sale (issue 20): the manager picks lines and quantities,
billing issues a credit ticket for them, the money goes back in the tender chosen (or off
the room folio), the capacity of the refunded units goes back on sale. The whole-ticket
refund without lines stays `pos.services.checkout.order_refund` (a VOID of the ticket)."""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import Payment, Ticket, TicketLine
from billing.selectors import tickets_voided
from billing.services.folios import folio_post_charges
from billing.services.payments import ticket_refund_record
from billing.services.tickets import IssuedTicket, ticket_credit_issue, ticket_line_credit_left
from core.audit import audit_log
from core.exceptions import InvalidInput, NotFound
from inventory.models import CapacityPool
from inventory.services.capacity import capacity_release
from inventory.services.stock import stock_return_lines
from pos.exceptions import AlreadyRefunded
from pos.lock_objects import order_for_update
from pos.models import Order
from pos.services.checkout import (
    AUDIT_CHANNEL,
    order_capacity_reference,
    order_refund,
    order_refund_approved,
    ticket_lines_as_charges,
)

# stored value is given back through crm's ledgers, which a line refund does not drive
NOT_REFUNDABLE_METHODS = frozenset(
    {Payment.Method.GIFT_CARD, Payment.Method.LOYALTY, Payment.Method.PROMOTION}
)


@dataclass(frozen=True)
class RefundableLine:
    """A line of a sale with what is left of it to refund."""

    line: TicketLine
    refunded: Decimal
    left: Decimal

    @property
    def refunded_count(self) -> int:
        """The units refunded, for the screen's plural."""
        return int(self.refunded)


@dataclass(frozen=True)
class LineRefund:
    """What order_refund_lines wrote."""

    order: Order
    credit: IssuedTicket
    payment: Payment | None
    capacity_released: int


def refundable_lines(
    *, ticket: Ticket, lines: list[TicketLine] | None = None
) -> list[RefundableLine]:
    """Each line of `ticket` (its `lines` when the caller has them) with what its credit
    tickets refunded and what is left: one query (two without `lines`)."""
    lines = list(ticket.lines.all()) if lines is None else lines
    credited: dict[int, list[TicketLine]] = {}
    for credit in TicketLine.objects.filter(credits__ticket=ticket).only("quantity", "credits"):
        credited.setdefault(credit.credits_id, []).append(credit)
    rows = []
    for line in lines:
        done = credited.get(line.pk, [])
        left = ticket_line_credit_left(line, done)
        rows.append(RefundableLine(line=line, refunded=line.quantity - left, left=left))
    return rows


def order_refunded_in_part(*, order: Order) -> bool:
    """Whether a credit ticket already refunded some lines of the sale (the whole refund
    then refunds what is left, by lines)."""
    return (
        order.ticket_id is not None and Ticket.objects.filter(credits_id=order.ticket_id).exists()
    )


def credit_tickets_of(*, ticket: Ticket | None) -> list[Ticket]:
    """The credit tickets that refunded lines of `ticket`, oldest first, with their lines
    and payments (three queries)."""
    if ticket is None:
        return []
    return list(
        Ticket.objects.filter(credits=ticket)
        .order_by("number")
        .prefetch_related("lines", "payments")
    )


def refund_methods(*, ticket: Ticket, payments: list[Payment] | None = None) -> list[str]:
    """The tenders a part refund may use: those the sale was paid with (stored value
    excepted), and cash. A room-charged sale is refunded on its folio only (empty).
    `payments`: the ticket's payments when the caller has them (else one query)."""
    if ticket.status == Ticket.Status.CHARGED_TO_ROOM:
        return []
    if payments is None:
        payments = list(ticket.payments.order_by("pk"))
    methods = [Payment.Method.CASH.value]
    for method in (p.method for p in payments if p.amount > 0):
        if method not in NOT_REFUNDABLE_METHODS and method not in methods:
            methods.append(method)
    return methods


def refund_quantities(raw: Mapping[str, str]) -> dict[int, Decimal]:
    """Parse line id → quantity from a form or an API body; InvalidInput on a bad number."""
    wanted: dict[int, Decimal] = {}
    for key, value in raw.items():
        try:
            line_id = int(key)
            quantity = Decimal(str(value).strip().replace(",", ".") or "0")
        except (ValueError, InvalidOperation):
            raise InvalidInput(_("Enter a number for each quantity to refund.")) from None
        if (
            not quantity.is_finite()
            or quantity < 0
            or quantity != quantity.quantize(Decimal("0.001"))
        ):
            raise InvalidInput(_("Enter a number for each quantity to refund."))
        if quantity:
            wanted[line_id] = quantity
    return wanted


def order_refund_lines(
    *,
    order: Order,
    actor,
    reason: str,
    quantities: Mapping[int, Decimal] | None = None,
    method: str | None = None,
    reference: str = "",
    terminal: str = "",
    requested_by=None,
) -> LineRefund:
    """Refund `quantities` (ticket line pk → quantity; None: all that is left) of a paid or
    room-charged sale, in one transaction: the capacity of those units released, a credit
    ticket (billing.ticket_credit_issue), and the money back — one negative payment in
    `method` (one of refund_methods; a card refund takes the sale's card reference when
    none is given), or negative lines on the room folio for a room-charged sale. When
    nothing is left on any line the order reads REFUNDED.

    The capability (pos.approve) is checked by the caller; `actor` approves and is recorded.
    Locks: the Order row (a second refund waits and then sees what is left), then the
    CapacityBuckets, the ticket row and the ticket sequence.
    Raises: AlreadyRefunded (409) for a sale refunded whole; InvalidInput (422, nothing
    changed) without a reason, for a quantity more than is left, an unknown line, a gift
    card line, a tender the sale cannot be refunded in, a settled folio.
    """
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Give a reason for the refund."))
    with transaction.atomic():
        locked = order_for_update(order_id=order.pk)
        if locked is None or locked.ticket_id is None:
            raise NotFound(_("No such order."))
        if locked.status == Order.Status.REFUNDED:
            raise AlreadyRefunded()
        if locked.status not in (Order.Status.PAID, Order.Status.CHARGED_TO_ROOM):
            raise InvalidInput(_("Only a paid or room-charged sale can be refunded."))
        prop = locked.property
        ticket = locked.ticket
        if tickets_voided(property=prop, tickets=[ticket]):
            raise AlreadyRefunded()
        rows = {row.line.pk: row for row in refundable_lines(ticket=ticket)}
        if quantities is None:
            quantities = {pk: row.left for pk, row in rows.items() if row.left > 0}
            if not quantities:
                raise AlreadyRefunded()
        for pk, quantity in quantities.items():
            row = rows.get(pk)
            if row is None:
                raise InvalidInput(_("This line is not on the ticket."))
            if row.line.product_id and row.line.product.gift_card_kind:
                raise InvalidInput(
                    _("A gift card sold cannot be refunded by line: refund the whole sale.")
                )
            if quantity > row.left:
                raise InvalidInput(
                    _("Only %(left)s of “%(line)s” is left to refund.")
                    % {"left": f"{row.left.normalize():f}", "line": row.line.description}
                )
        methods = refund_methods(ticket=ticket)
        if ticket.status == Ticket.Status.PAID:
            method = method or methods[-1 if len(methods) > 1 else 0]
            if method not in methods:
                raise InvalidInput(_("This sale cannot be refunded in that tender."))
        terminal_label = terminal or (
            f"{locked.terminal.outlet.name} · {locked.terminal.name}" if locked.terminal else ""
        )
        # the refunded lines' ingredients (and ledger-kept units) back on the shelf
        stock_return_lines(
            property=prop,
            reference=order_capacity_reference(locked),
            lines=[
                (rows[pk].line.product, q)
                for pk, q in quantities.items()
                if rows[pk].line.product_id
            ],
            actor=actor,
        )
        released = 0
        for pk, quantity in quantities.items():
            line = rows[pk].line
            pool = line.product.capacity_pool if line.product_id else None
            if pool is None or quantity != quantity.to_integral_value():
                continue
            released += capacity_release(
                property=prop,
                reference=order_capacity_reference(locked),
                quantity=int(quantity),
                pool_id=pool.pk,
                day=None if pool.kind == CapacityPool.Kind.NIGHT else line.service_date,
            )
        credit = ticket_credit_issue(
            property=prop,
            original=ticket,
            quantities=quantities,
            cashier=actor,
            outlet_name=ticket.outlet,
            terminal_name=ticket.terminal,
            reason=reason,
        )
        payment = None
        if ticket.status == Ticket.Status.CHARGED_TO_ROOM:
            folio_post_charges(
                folio=ticket.folio,
                # receipted by the credit ticket, as the sale's lines by the ticket
                charges=ticket_lines_as_charges(credit.lines, service_date=prop.business_date()),
                actor=actor,
                terminal=terminal_label,
            )
        elif credit.ticket.total < 0:
            if method == Payment.Method.CARD and not reference.strip():
                reference = (
                    ticket.payments.filter(method=Payment.Method.CARD, amount__gt=0)
                    .values_list("terminal_reference", flat=True)
                    .first()
                    or ""
                )
            payment = ticket_refund_record(
                property=prop,
                ticket=credit.ticket,
                method=method,
                amount=-credit.ticket.total,
                reference=reference,
                actor=actor,
                terminal=terminal_label,
            )
        left = {pk: row.left - quantities.get(pk, Decimal("0")) for pk, row in rows.items()}
        if not any(value > 0 for value in left.values()):
            locked.status = Order.Status.REFUNDED
            locked.refunded_at = timezone.now()
            locked.refunded_by = actor
            locked.refund_reason = reason[:300]
            locked.save(
                update_fields=[
                    "status",
                    "refunded_at",
                    "refunded_by",
                    "refund_reason",
                    "updated_at",
                ]
            )
        audit_log(
            action="pos.order.lines_refunded",
            property=prop,
            actor=actor,
            target=locked,
            terminal=terminal_label,
            channel=AUDIT_CHANNEL,
            data={
                "ticket": ticket.number,
                "credit_ticket": credit.ticket.number,
                "reason": reason[:300],
                "lines": [[pk, str(q)] for pk, q in quantities.items()],
                "amount": str(credit.ticket.total),
                "method": payment.method if payment else "room",
                "capacity_released": released,
                **({"requested_by": requested_by.pk} if requested_by is not None else {}),
            },
        )
    return LineRefund(order=locked, credit=credit, payment=payment, capacity_released=released)


def order_refund_any(
    *,
    order: Order,
    actor,
    reason: str,
    quantities: Mapping[int, Decimal] | None = None,
    method: str | None = None,
    reference: str = "",
    terminal: str = "",
    requested_by=None,
) -> Order:
    """The refund screens and the API: the whole sale (no lines and nothing refunded yet:
    `order_refund`, the ticket voided and each tender paid back) or some lines (or what is
    left after an earlier part refund: `order_refund_lines`). Raises what they raise."""
    from_lines = quantities is not None or order_refunded_in_part(order=order)
    if not from_lines:
        if requested_by is not None:
            return order_refund_approved(
                order=order,
                approver=actor,
                requested_by=requested_by,
                reason=reason,
                terminal=terminal,
            )
        return order_refund(order=order, actor=actor, reason=reason)
    return order_refund_lines(
        order=order,
        actor=actor,
        reason=reason,
        quantities=quantities,
        method=method,
        reference=reference,
        terminal=terminal,
        requested_by=requested_by,
    ).order
