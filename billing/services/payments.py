"""Payments (BIL-1): split tender against a ticket, deposits and settlements against a
folio, refunds as negative payments. Payments are never updated or deleted.

No card data is ever stored: a card payment keeps the payment terminal's reference only,
and anything that looks like a card number (PAN, 13–19 digits) is refused."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from billing.exceptions import PaymentInvalid
from billing.models import Folio, JournalEntry, Payment, Ticket
from billing.services.folios import folio_totals
from billing.services.journal import journal_append
from billing.services.seals import payments_seal
from core.audit import audit_log
from core.exceptions import InvalidInput
from core.formatting import money
from core.models import Property
from core.money import ZERO, quantize

# 13 to 19 digits, possibly grouped by spaces or dashes as printed on a card
_PAN_LIKE = re.compile(r"(?:\d[ -]?){12,18}\d")
MAX_REFERENCE = 100
MEAL_VOUCHERS = frozenset({Payment.Method.MEAL_VOUCHER, Payment.Method.MEAL_VOUCHER_CARD})
# paper titles (REFERENCE §9.2): no change is ever given on them
PAPER_TITLES = frozenset({Payment.Method.MEAL_VOUCHER, Payment.Method.HOLIDAY_VOUCHER})


@dataclass(frozen=True)
class TenderInput:
    """One tender of a (split) payment. `tendered` is the cash handed over (change is given
    back from it); `terminal_reference` is the card terminal's authorisation/transaction
    reference (required for cards), or a voucher / wallet reference."""

    method: str
    amount: Decimal
    tendered: Decimal | None = None
    terminal_reference: str = ""


def looks_like_card_number(value: str) -> bool:
    """True when `value` contains 13–19 digits in a row (spaces and dashes ignored)."""
    return bool(_PAN_LIKE.search(value or ""))


def _money(value, what: str) -> Decimal:
    if isinstance(value, float):
        raise PaymentInvalid(_("%(what)s must be a decimal amount.") % {"what": what})
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise PaymentInvalid(_("%(what)s is not an amount.") % {"what": what})
    if not amount.is_finite():
        raise PaymentInvalid(_("%(what)s is not an amount.") % {"what": what})
    return quantize(amount)


def tender_amount(value) -> Decimal:
    """A tender's amount as a Decimal to the cent; PaymentInvalid when it is not one."""
    return _money(value, _("The amount"))


def _build(
    tender: TenderInput, *, property: Property, business_date, actor, terminal: str
) -> Payment:
    if tender.method not in Payment.Method.values:
        raise PaymentInvalid(
            _("Unknown payment method: %(method)s.") % {"method": tender.method},
            extra={"method": tender.method},
        )
    amount = _money(tender.amount, _("The amount"))
    if amount <= 0:
        raise PaymentInvalid(_("Each payment amount must be positive."))
    reference = (tender.terminal_reference or "").strip()
    if looks_like_card_number(reference):
        # PCI DSS: a card number must never reach our database, not even by mistake
        raise PaymentInvalid(
            _("Never type a card number: enter the payment terminal's reference instead.")
        )
    if len(reference) > MAX_REFERENCE:
        raise PaymentInvalid(_("The payment reference is too long."))
    tendered = None
    change = ZERO
    if tender.method == Payment.Method.CASH:
        tendered = amount if tender.tendered is None else _money(tender.tendered, _("Cash"))
        if tendered < amount:
            raise PaymentInvalid(
                _("Cash handed over (%(tendered)s) is less than the amount (%(amount)s).")
                % {"tendered": money(tendered), "amount": money(amount)}
            )
        change = tendered - amount
    elif tender.tendered is not None and _money(tender.tendered, _("The amount")) != amount:
        if tender.method in PAPER_TITLES:
            raise PaymentInvalid(
                _("No change is given on %(method)s.")
                % {"method": Payment.Method(tender.method).label},
                extra={"method": tender.method},
            )
        raise PaymentInvalid(_("Only cash can be overpaid to give change."))
    if tender.method == Payment.Method.CARD and not reference:
        raise PaymentInvalid(_("A card payment needs the payment terminal's reference."))
    return Payment(
        property=property,
        method=tender.method,
        amount=amount,
        tendered=tendered,
        change=change,
        terminal_reference=reference,
        business_date=business_date,
        terminal=terminal[:100],
        created_by=actor if getattr(actor, "pk", None) else None,
    )


def payments_record(
    *,
    property: Property,
    ticket: Ticket | None = None,
    folio: Folio | None = None,
    tenders: Sequence[TenderInput],
    actor,
    terminal: str = "",
    amount_due: Decimal | None = None,
    journal: bool = True,
    new_ticket: bool = False,
) -> list[Payment]:
    """Record a (split) payment against a ticket or a folio.

    Ticket: the tenders must sum exactly to what is still due (total + tip − already paid;
    `new_ticket`: the ticket was issued in this transaction, nothing is paid yet, no read).
    Folio: a deposit or a settlement; the tenders must sum to `amount_due` when given,
    otherwise any positive amount is accepted (a deposit may precede the charges).
    Cash computes change from `tendered`; card needs a terminal reference; no card numbers.
    Locks: none (runs in the caller's transaction, or its own).
    Idempotent: no — replay at the caller (order client_key, Idempotency-Key).
    Journal: one "payment" entry, unless the caller journals the tenders with the document
    (`journal=False`: a POS sale's receipt entry carries its tenders).
    Raises: PaymentInvalid (422) on a bad tender or a wrong sum, InvalidInput on a document
    of another property or without exactly one document.
    """
    if (ticket is None) == (folio is None):
        raise InvalidInput(_("A payment is made against a ticket or a folio."))
    document = ticket if ticket is not None else folio
    if document.property_id != property.pk:
        raise InvalidInput(_("This document belongs to another property."))
    if not tenders:
        raise PaymentInvalid(_("Add at least one payment."))
    if folio is not None and any(t.method in MEAL_VOUCHERS for t in tenders):
        raise PaymentInvalid(
            _("Titres-restaurant pay for food at a till, not for a stay's folio."),
            extra={"method": Payment.Method.MEAL_VOUCHER},
        )
    business_date = property.business_date()
    payments = [
        _build(t, property=property, business_date=business_date, actor=actor, terminal=terminal)
        for t in tenders
    ]
    paid = sum((p.amount for p in payments), ZERO)
    if ticket is not None:
        already = (
            ticket.payments.aggregate(total=Sum("amount"))["total"] or ZERO
            if not new_ticket
            else ZERO  # freshly issued in this transaction: nothing paid yet
        )
        amount_due = ticket.total + ticket.tip - already
    if amount_due is not None and paid != amount_due:
        raise PaymentInvalid(
            _("The payments (%(paid)s) must add up to the amount due (%(due)s).")
            % {"paid": money(paid), "due": money(amount_due)},
            extra={"paid": str(paid), "due": str(amount_due)},
        )
    for payment in payments:
        payment.ticket = ticket
        payment.folio = folio
    # no savepoint when nested: any error aborts the whole sale anyway
    with transaction.atomic(savepoint=False):
        created = Payment.objects.bulk_create(payments)
        if journal:
            _journal_payments(
                property=property,
                payments=created,
                document=document,
                actor=actor,
                terminal=terminal,
            )
        if folio is not None:
            audit_log(
                action="billing.payment.recorded",
                property=property,
                actor=actor,
                target=folio,
                terminal=terminal,
                data={"payments": [{"method": p.method, "amount": str(p.amount)} for p in created]},
            )
    return created


def payments_reverse(
    *, property: Property, ticket: Ticket, actor, terminal: str = ""
) -> list[Payment]:
    """Refund a ticket: one negative payment per original tender, same method and reference.

    Runs in the caller's transaction (the caller locks the sale it refunds).
    Idempotent: a ticket whose payments already net to zero gets nothing new.
    Raises: InvalidInput on a ticket of another property.
    """
    if ticket.property_id != property.pk:
        raise InvalidInput(_("This document belongs to another property."))
    originals = list(ticket.payments.order_by("pk"))
    if sum((p.amount for p in originals), ZERO) == ZERO:
        return []
    business_date = property.business_date()
    reversed_payments = Payment.objects.bulk_create(
        [
            Payment(
                property=property,
                method=p.method,
                amount=-p.amount,
                terminal_reference=p.terminal_reference,
                ticket=ticket,
                business_date=business_date,
                terminal=terminal[:100],
                created_by=actor if getattr(actor, "pk", None) else None,
            )
            for p in originals
            if p.amount > 0
        ]
    )
    _journal_payments(
        property=property,
        payments=reversed_payments,
        document=ticket,
        actor=actor,
        terminal=terminal,
    )
    return reversed_payments


def _journal_payments(
    *, property: Property, payments: list[Payment], document, actor, terminal: str
) -> None:
    """One fiscal journal entry per recorded set of payments (they do not move the grand
    total: the sale did)."""
    if not payments:
        return
    journal_append(
        property=property,
        kind=JournalEntry.Kind.PAYMENT,
        document=document,
        document_number=str(document),
        business_date=payments[0].business_date,
        gross=sum((p.amount for p in payments), ZERO),
        actor=actor,
        terminal=terminal,
        payload={
            "payments": [[p.method, p.amount, p.terminal_reference] for p in payments],
            "ids": [p.pk for p in payments],
        },
        document_hash=payments_seal(payments),
    )


def folio_settle(
    *, property: Property, folio: Folio, tenders: Sequence[TenderInput], actor, terminal: str = ""
) -> list[Payment]:
    """A payment on a folio that never exceeds what the folio still owes.

    Two receptionists settling the same stay at once must not both pay the whole balance:
    the folio row is locked while the balance is read and the payment recorded.
    Locks: the folio. Raises InvalidInput when the tenders exceed the balance, and what
    payments_record raises."""
    with transaction.atomic():
        locked = Folio.objects.select_for_update().get(pk=folio.pk)
        balance = folio_totals(folio=locked)["balance"]
        paid = sum((t.amount for t in tenders), ZERO)
        if paid > balance:
            raise InvalidInput(
                _("The payment (%(paid)s) is more than the balance (%(due)s).")
                % {"paid": money(paid), "due": money(balance)}
            )
        return payments_record(
            property=property, folio=locked, tenders=tenders, actor=actor, terminal=terminal
        )


def folio_refund_record(
    *,
    property: Property,
    folio: Folio,
    method: str,
    amount: Decimal,
    reference: str,
    actor=None,
    terminal: str = "",
) -> Payment:
    """Money given back on a folio (a deposit refunded by the card provider): one negative
    payment with the provider's reference, journaled like every payment.
    Runs in the caller's transaction. Idempotent: no — the caller keeps its refund's key.
    Raises: PaymentInvalid (not a positive amount, unknown method, a card-like reference)."""
    return _refund_record(
        property=property,
        document=folio,
        method=method,
        amount=amount,
        reference=reference,
        actor=actor,
        terminal=terminal,
    )


def ticket_refund_record(
    *,
    property: Property,
    ticket: Ticket,
    method: str,
    amount: Decimal,
    reference: str = "",
    actor=None,
    terminal: str = "",
) -> Payment:
    """Money given back for a credit ticket (a refund of some lines, tickets.
    ticket_credit_issue) in the tender the manager chose: one negative payment on the
    credit ticket, journaled like every payment (the cash session counts it).
    Runs in the caller's transaction. Raises: PaymentInvalid as folio_refund_record."""
    return _refund_record(
        property=property,
        document=ticket,
        method=method,
        amount=amount,
        reference=reference,
        actor=actor,
        terminal=terminal,
    )


def _refund_record(
    *, property: Property, document, method: str, amount: Decimal, reference: str, actor, terminal
) -> Payment:
    if document.property_id != property.pk:
        raise InvalidInput(_("This document belongs to another property."))
    built = _build(
        TenderInput(method=method, amount=amount, terminal_reference=reference),
        property=property,
        business_date=property.business_date(),
        actor=actor,
        terminal=terminal,
    )
    built.amount = -built.amount
    if isinstance(document, Ticket):
        built.ticket = document
    else:
        built.folio = document
    with transaction.atomic(savepoint=False):
        built.save()
        _journal_payments(
            property=property, payments=[built], document=document, actor=actor, terminal=terminal
        )
        audit_log(
            action="billing.payment.refunded",
            property=property,
            actor=actor,
            target=document,
            terminal=terminal,
            data={"method": method, "amount": str(-built.amount), "reference": reference},
        )
    return built
