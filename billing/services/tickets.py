"""POS tickets (BIL-3): numbered without gaps, lines and VAT locked from the quote, never
updated or deleted once issued (a correction is a new document)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from billing.models import Folio, JournalEntry, Ticket, TicketLine, TicketVat
from billing.services.journal import journal_append, vat_json
from billing.services.seals import ticket_seal
from billing.services.sequences import sequence_next
from core.exceptions import InvalidInput
from core.models import Property
from core.money import ZERO, quantize

TICKET_SERIES = "ticket"


@dataclass(frozen=True)
class IssuedTicket:
    """A ticket as ticket_issue wrote it, with its rows: the caller reads none of them back."""

    ticket: Ticket
    lines: list[TicketLine]
    vat_lines: list[TicketVat]
    journal_entry: JournalEntry


def ticket_issue(
    *,
    property: Property,
    lines: Sequence,
    cashier,
    outlet_name: str,
    terminal_name: str,
    status: str,
    folio: Folio | None = None,
    guest=None,
    tip: Decimal = ZERO,
    tenders: list | None = None,
    offline: dict | None = None,
    credits: Ticket | None = None,
    credit_reason: str = "",
) -> IssuedTicket:
    """Issue a numbered ticket for quoted `lines` (inventory.services.pricing.QuotedLine).

    Each TicketLine copies the quote's price, VAT rate and amount, net, revenue category and
    applied rule; one TicketVat row per rate holds the sum of the lines at that rate.
    Locks: the ticket NumberSequence row and the fiscal journal head until commit.
    Journal: one "receipt" entry (with `tenders`, when the caller records them with it;
    with `offline`, the device, its number and chain hash of a sale made offline: the
    journal then proves which device ticket each receipt is; with `credits`, the ticket a
    credit ticket refunds and why: see ticket_credit_issue).
    Idempotent: no — the caller (e.g. pos sale_checkout) replays by its own key.
    Returns the ticket with the rows it wrote (IssuedTicket).
    Raises: InvalidInput on an empty ticket, an unknown status or a negative tip.
    """
    if not lines:
        raise InvalidInput(_("A ticket needs at least one line."))
    if status not in Ticket.Status.values:
        raise InvalidInput(_("Unknown ticket status."))
    tip = quantize(Decimal(tip))
    if tip < 0:
        raise InvalidInput(_("A tip cannot be negative."))
    # no savepoint when nested: any error aborts the whole sale anyway
    with transaction.atomic(savepoint=False):
        number = sequence_next(property=property, series=TICKET_SERIES)
        vat_rows: dict[Decimal, dict[str, Decimal]] = {}
        for line in lines:
            row = vat_rows.setdefault(line.vat_rate, {"net": ZERO, "vat": ZERO, "gross": ZERO})
            row["net"] += line.net
            row["vat"] += line.vat_amount
            row["gross"] += line.total
        ticket = Ticket.objects.create(
            property=property,
            number=number,
            business_date=property.business_date(),
            status=status,
            outlet=outlet_name[:100],
            terminal=terminal_name[:100],
            cashier=cashier,
            folio=folio,
            guest=guest,
            total=sum((line.total for line in lines), ZERO),
            total_vat=sum((row["vat"] for row in vat_rows.values()), ZERO),
            tip=tip,
            currency=property.currency,
            credits=credits,
        )
        ticket_lines = TicketLine.objects.bulk_create(
            [
                TicketLine(
                    ticket=ticket,
                    description=line.description[:300],
                    product=line.product,
                    variant=line.variant,
                    modifiers=[
                        {"id": m.pk, "name": m.name, "price_delta": str(m.price_delta)}
                        for m in line.modifiers
                    ],
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    total=line.total,
                    discount=line.discount,
                    vat_rate=line.vat_rate,
                    vat_amount=line.vat_amount,
                    net=line.net,
                    revenue_category=line.revenue_category,
                    applied_rule=line.applied_rule[:200],
                    service_date=line.input.start,
                    credits_id=getattr(line, "credits_id", None),
                )
                for line in lines
            ]
        )
        ticket_vat = TicketVat.objects.bulk_create(
            [
                TicketVat(ticket=ticket, rate=rate, **row)
                for rate, row in sorted(vat_rows.items(), reverse=True)
            ]
        )
        entry = journal_append(
            document_hash=ticket_seal(ticket, ticket_lines, ticket_vat, tenders or []),
            property=property,
            kind=JournalEntry.Kind.RECEIPT,
            document=ticket,
            document_number=str(ticket),
            business_date=ticket.business_date,
            gross=ticket.total,
            net=sum((row["net"] for row in vat_rows.values()), ZERO),
            vat=vat_json((r, v["net"], v["vat"], v["gross"]) for r, v in vat_rows.items()),
            actor=cashier,
            terminal=ticket.terminal,
            payload={
                "status": ticket.status,
                "outlet": ticket.outlet,
                "tip": ticket.tip,
                "lines": [
                    [line.description, line.quantity, line.total, line.vat_rate] for line in lines
                ],
                "tenders": tenders or [],
                **({"offline": offline} if offline else {}),
                **(
                    {"credits": credits.number, "reason": credit_reason[:300]}
                    if credits is not None
                    else {}
                ),
            },
        )
    return IssuedTicket(
        ticket=ticket, lines=ticket_lines, vat_lines=ticket_vat, journal_entry=entry
    )


@dataclass(frozen=True)
class _CreditInput:
    """A ticket line's credited part, shaped as ticket_issue reads a quoted line."""

    description: str
    product: object
    variant: object
    modifiers: list
    quantity: Decimal
    unit_price: Decimal
    total: Decimal
    discount: Decimal
    vat_rate: Decimal
    vat_amount: Decimal
    net: Decimal
    revenue_category: str
    applied_rule: str
    input: object
    credits_id: int


@dataclass(frozen=True)
class _Modifier:
    pk: int | None
    name: str
    price_delta: str


@dataclass(frozen=True)
class _Start:
    start: object


def ticket_line_credit_left(line: TicketLine, credited: Sequence[TicketLine]) -> Decimal:
    """What quantity of `line` is not yet refunded, given its credit lines (negative)."""
    return line.quantity + sum((c.quantity for c in credited), Decimal("0"))


def ticket_credit_issue(
    *,
    property: Property,
    original: Ticket,
    quantities: Mapping[int, Decimal],
    cashier,
    outlet_name: str,
    terminal_name: str,
    reason: str,
) -> IssuedTicket:
    """Refund some lines of a ticket: a credit ticket, numbered in the same series, whose
    lines are the refunded quantities negated (each names the line it credits) and whose
    journal receipt entry names the ticket it credits and why. A ticket never changes, so
    a part refund is a new document (BIL-3); the whole-ticket refund stays ticket_void.

    `quantities`: original line pk → quantity to refund (> 0). A line's amounts are
    prorated to the cent; the last credit of a line takes exactly what is left, so the
    credits of a line never add up to more or less than the line.
    Runs in the caller's transaction. Locks: the original ticket's row (two refunds of the
    same ticket serialise on it), then what ticket_issue locks.
    Raises: InvalidInput for no line, a line of another ticket, a quantity that is not
    positive or more than what is left of the line.
    """
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Give a reason for the refund."))
    wanted = {int(pk): Decimal(q) for pk, q in quantities.items() if Decimal(q) != 0}
    if not wanted:
        raise InvalidInput(_("Choose at least one line and a quantity to refund."))
    if any(q < 0 for q in wanted.values()):
        raise InvalidInput(_("A quantity to refund must be positive."))
    with transaction.atomic(savepoint=False):
        Ticket.objects.select_for_update().filter(pk=original.pk).first()
        lines = {line.pk: line for line in original.lines.select_related("product", "variant")}
        if set(wanted) - set(lines):
            raise InvalidInput(_("This line is not on the ticket."))
        credited: dict[int, list[TicketLine]] = {}
        for credit in TicketLine.objects.filter(credits_id__in=list(wanted)):
            credited.setdefault(credit.credits_id, []).append(credit)
        inputs = []
        for pk, quantity in wanted.items():
            line = lines[pk]
            done = credited.get(pk, [])
            left = ticket_line_credit_left(line, done)
            if quantity > left:
                raise InvalidInput(
                    _("Only %(left)s of “%(line)s” is left to refund.")
                    % {"left": f"{left.normalize():f}", "line": line.description}
                )
            if quantity == left:
                # what is left, to the cent (the earlier credits were rounded)
                part = {
                    f: getattr(line, f) + sum((getattr(c, f) for c in done), ZERO)
                    for f in ("total", "vat_amount", "net", "discount")
                }
            else:
                share = quantity / line.quantity
                part = {
                    f: quantize(getattr(line, f) * share)
                    for f in ("total", "vat_amount", "discount")
                }
                part["net"] = part["total"] - part["vat_amount"]
            inputs.append(
                _CreditInput(
                    description=line.description,
                    product=line.product,
                    variant=line.variant,
                    modifiers=[
                        _Modifier(m.get("id"), m.get("name", ""), m.get("price_delta", "0"))
                        for m in line.modifiers or ()
                    ],
                    quantity=-quantity,
                    unit_price=line.unit_price,
                    total=-part["total"],
                    discount=-part["discount"],
                    vat_rate=line.vat_rate,
                    vat_amount=-part["vat_amount"],
                    net=-part["net"],
                    revenue_category=line.revenue_category,
                    applied_rule=line.applied_rule,
                    input=_Start(line.service_date),
                    credits_id=line.pk,
                )
            )
        return ticket_issue(
            property=property,
            lines=inputs,
            cashier=cashier,
            outlet_name=outlet_name,
            terminal_name=terminal_name,
            status=original.status,
            folio=original.folio,
            guest=original.guest,
            credits=original,
            credit_reason=reason,
        )


def ticket_void(
    *, property: Property, ticket: Ticket, actor, terminal: str = "", reason: str
) -> JournalEntry:
    """Record the cancellation of an issued ticket in the fiscal journal: one VOID entry with
    the ticket's totals and VAT rows negated, the reason and the number it cancels. The ticket
    itself is never changed (a correction is a new document).

    Runs inside the caller's transaction (e.g. pos order_refund, which has locked the order).
    Locks: the fiscal journal head until commit.
    Idempotent: no — the caller refuses a second void of the same sale.
    """
    vat_rows = list(ticket.vat_lines.all())
    return journal_append(
        property=property,
        kind=JournalEntry.Kind.VOID,
        document=ticket,
        document_number=str(ticket),
        gross=-ticket.total,
        net=-sum((row.net for row in vat_rows), Decimal("0")),
        vat=vat_json((r.rate, -r.net, -r.vat, -r.gross) for r in vat_rows),
        actor=actor,
        terminal=terminal,
        payload={"reason": reason[:300], "cancels": ticket.number},
    )


def ticket_duplicate_record(
    *, property: Property, ticket_number: str, copy: int, actor, printer: str = ""
) -> JournalEntry | None:
    """Journal a receipt's duplicate (NF525): a DUPLICATE entry naming the ticket and the copy
    number. The entry is its own document (nothing else is written); the ticket it copies
    must exist. Returns None for a number that is not one of the property's tickets (a
    receipt document that names no ticket, e.g. a test print)."""
    number = ticket_number[1:] if ticket_number[:1] == "T" else ""
    ticket = (
        Ticket.objects.filter(property=property, number=int(number)).first()
        if number.isdigit()
        else None
    )
    if ticket is None:
        return None
    return journal_append(
        property=property,
        kind=JournalEntry.Kind.DUPLICATE,
        document=ticket,
        document_number=str(ticket),
        actor=actor,
        terminal=printer,
        payload={"copy": copy, "printer": printer[:100]},
    )
