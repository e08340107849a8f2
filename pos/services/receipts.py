"""A POS ticket as the neutral receipt document the printers know (devices does not know
orders), and the after-commit print / drawer jobs of a sale."""

import uuid
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import JournalEntry, Payment, Ticket
from billing.selectors import tickets_voided
from core.exceptions import IdempotencyConflict, InvalidInput
from core.formatting import day, money
from crm.selectors import formatted_code, gift_cards_issued_by
from devices.documents import (
    FiscalMentions,
    ReceiptDocument,
    ReceiptHeader,
    ReceiptLine,
    ReceiptPayment,
    VatBreakdownLine,
)
from devices.models import CashDrawer, PrintJob
from devices.services import print_job_enqueue, receipt_reprint
from inventory.promotion_labels import discounts_for
from pos.models import OfflineTicket, Order, Terminal
from pos.z_report import z_report_document

ZERO = Decimal("0.00")


def receipt_document(
    *,
    ticket: Ticket,
    lines,
    payments: list[Payment],
    language: str = "fr",
    journal_entry: JournalEntry | None = None,
    voided: bool = False,
    gift_cards=(),
    mentions: tuple[str, ...] = (),
) -> ReceiptDocument:
    """Build the receipt from the issued ticket rows (what the tax office sees), with the
    hash excerpt of its `journal_entry` (the sale's receipt entry, when the sale that just
    wrote it prints it) as its fiscal mention. A `voided` ticket (refunded) says so, lists
    its refunds and gives no change. `mentions`: lines printed above the footer (the
    device and its own number of a sale made offline, the ticket a credit refunds)."""
    prop = ticket.property
    # a line discounted by a promotion prints the promotion's name under it
    lines = discounts_for(property_id=prop.pk, lines=lines)
    vat: dict[Decimal, list[Decimal]] = {}
    for line in lines:
        row = vat.setdefault(line.vat_rate, [ZERO, ZERO, ZERO])
        row[0] += line.net
        row[1] += line.vat_amount
        row[2] += line.total
    entry = journal_entry
    cash = [p for p in payments if p.method == Payment.Method.CASH]
    return ReceiptDocument(
        header=ReceiptHeader(
            legal_name=prop.legal_name,
            trade_name=prop.name,
            address_lines=tuple(
                x for x in (prop.address_line, f"{prop.postal_code} {prop.city}".strip()) if x
            ),
            siret=prop.siret,
            vat_number=prop.vat_number,
            phone=prop.phone,
        ),
        issued_at=timezone.localtime(ticket.created_at, prop.tz),
        terminal=f"{ticket.outlet} · {ticket.terminal}",
        cashier=ticket.cashier.get_full_name() or ticket.cashier.get_username(),
        ticket_number=str(ticket),
        lines=tuple(
            ReceiptLine(
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                total=line.total,
                modifiers=tuple(m.get("name", "") for m in line.modifiers or ()),
                discount=line.discount or None,
                discount_label=line.promotion_discount.name if line.promotion_discount else "",
            )
            for line in lines
        ),
        vat_breakdown=tuple(
            VatBreakdownLine(rate=r, net=v[0], vat=v[1], gross=v[2])
            for r, v in sorted(vat.items(), reverse=True)
        ),
        total_net=sum((v[0] for v in vat.values()), ZERO),
        total_vat=sum((v[1] for v in vat.values()), ZERO),
        total_gross=ticket.total,
        payments=tuple(
            ReceiptPayment(
                label=p.get_method_display()
                if p.amount >= 0
                else _("Refund · %(method)s") % {"method": p.get_method_display()},
                amount=p.amount,
            )
            for p in payments
        ),
        change=ZERO if voided else sum((p.change for p in cash), ZERO),
        tip=ticket.tip,
        fiscal=FiscalMentions(
            document_number=str(ticket), hash_excerpt=entry.hash[:8] if entry else ""
        ),
        qr_payload=f"{prop.siret}|{ticket}|{ticket.total}|{entry.hash[:16] if entry else ''}",
        footer=(
            *mentions,
            *(_gift_card_line(card) for card in gift_cards),
            *_receipt_footer(ticket, voided=voided),
        ),
        gift_card_qrs=() if voided else tuple(card.code for card in gift_cards),
        language=language,
    )


def _receipt_footer(ticket: Ticket, *, voided: bool) -> tuple[str, ...]:
    if voided and ticket.status == Ticket.Status.PAID:
        return (_("REFUNDED: this sale was cancelled and refunded."),)
    if voided:
        return (_("CANCELLED: this sale was taken off the room folio."),)
    if ticket.status == Ticket.Status.PAID:
        return (_("Thank you for your visit"),)
    return (_("Charged to the room"),)


def receipt_document_now(*, ticket: Ticket, language: str = "fr") -> ReceiptDocument:
    """The receipt of a ticket as it stands now: its refunds (a VOID entry) included."""
    return receipt_document(
        ticket=ticket,
        lines=list(ticket.lines.all()),
        payments=list(ticket.payments.order_by("pk")),
        language=language,
        voided=bool(tickets_voided(property=ticket.property, tickets=[ticket])),
        gift_cards=_gift_cards_of(ticket),
        mentions=receipt_mentions(ticket),
    )


def receipt_mentions(ticket: Ticket) -> tuple[str, ...]:
    """What a receipt says of where its ticket comes from: a sale made offline names the
    device and the device's own ticket number (REFERENCE.md §1: the receipt shown or
    e-mailed later carries the device number); a credit ticket names the ticket it
    refunds. One query (two for a credit ticket)."""
    mentions = []
    if ticket.credits_id:
        original = Ticket.objects.filter(pk=ticket.credits_id).only("number").first()
        if original is not None:
            mentions.append(_("Refund of ticket %(number)s") % {"number": original})
    offline = (
        OfflineTicket.objects.filter(order__ticket=ticket)
        .select_related("device__terminal__outlet")
        .first()
    )
    if offline is not None:
        mentions.append(
            _("Sold offline on %(device)s, device ticket no. %(sequence)s")
            % {"device": offline.device.label(), "sequence": offline.sequence}
        )
    return tuple(mentions)


def receipt_document_for_number(
    *, property, ticket_number: str, language: str = "fr"
) -> ReceiptDocument | None:
    """devices' receipt source: the receipt of ticket "T000123" of `property` as it stands
    now (a reprint from the printers' screen shows a refund too); None for another number."""
    number = ticket_number[1:] if ticket_number[:1] == "T" else ""
    ticket = (
        Ticket.objects.filter(property=property, number=int(number))
        .select_related("property", "cashier")
        .first()
        if number.isdigit()
        else None
    )
    if ticket is None:
        return None
    return receipt_document_now(ticket=ticket, language=language)


def _gift_card_line(card) -> str:
    """What the buyer of a gift card needs: its code, value and last day."""
    return _("Gift card %(code)s: %(amount)s, valid until %(date)s") % {
        "code": formatted_code(card.code),
        "amount": money(card.initial_amount),
        "date": day(card.expires_on),
    }


def sale_print_jobs(
    *,
    terminal: Terminal,
    ticket: Ticket,
    lines,
    payments: list[Payment],
    print_receipt: bool,
    actor,
    journal_entry: JournalEntry | None = None,
    gift_cards=(),
) -> list[PrintJob]:
    """In the sale's transaction: the receipt (only on request, loi AGEC) and the drawer kick
    on a cash payment, queued to the terminal's printer and sent after commit. A printer that
    is off never blocks the sale: sending happens in a Celery task with retries."""
    if terminal.printer_id is None:
        return []
    printer = terminal.printer
    cash = any(p.method == Payment.Method.CASH for p in payments)
    try:
        drawer = printer.cash_drawer  # loaded with the terminal by pos.selectors.terminal_get
    except CashDrawer.DoesNotExist:
        drawer = None
    open_drawer = cash and drawer is not None and drawer.is_active
    jobs = []
    if print_receipt:
        jobs.append(
            print_job_enqueue(
                printer=printer,
                kind=PrintJob.Kind.RECEIPT,
                document=receipt_document(
                    ticket=ticket,
                    lines=lines,
                    payments=payments,
                    journal_entry=journal_entry,
                    gift_cards=gift_cards,
                ),
                idempotency_key=receipt_key(ticket),
                open_drawer=open_drawer,
                actor=actor,
                new_key=True,  # the ticket was issued in this transaction
            )
        )
    elif open_drawer:
        jobs.append(
            print_job_enqueue(
                printer=printer,
                kind=PrintJob.Kind.DRAWER,
                document=None,
                idempotency_key=f"pos.ticket:{ticket.pk}:drawer",
                open_drawer=True,
                actor=actor,
                new_key=True,
            )
        )
    return jobs


def _gift_cards_of(ticket: Ticket):
    order = Order.objects.filter(ticket=ticket).only("pk").first()
    return gift_cards_issued_by(reference=f"pos.order:{order.pk}") if order else []


def receipt_key(ticket: Ticket) -> str:
    """The idempotency key of a ticket's receipt print job (there is one original)."""
    return f"pos.ticket:{ticket.pk}:receipt"


def receipt_print_request(*, terminal: Terminal, ticket: Ticket, actor) -> PrintJob:
    """A receipt asked for after the sale (loi AGEC: paper on request) on `terminal`'s
    printer: the original the first time, then a copy marked DUPLICATA with its number each
    time (NF525), a double tap included. Never opens the cash drawer. Sent after commit.
    Two tills asking at the same instant: one prints the original, the other a duplicate."""
    with transaction.atomic():
        original = PrintJob.objects.filter(idempotency_key=receipt_key(ticket)).first()
        if original is None:
            try:
                return print_job_enqueue(
                    printer=terminal.printer,
                    kind=PrintJob.Kind.RECEIPT,
                    document=receipt_document_now(ticket=ticket),
                    idempotency_key=receipt_key(ticket),
                    actor=actor,
                )
            except IdempotencyConflict:  # another till's original committed meanwhile
                original = PrintJob.objects.get(idempotency_key=receipt_key(ticket))
        # the copy shows the sale as it stands (a refund since the original included)
        return receipt_reprint(
            print_job=original,
            printer=terminal.printer,
            actor=actor,
            document=receipt_document_now(ticket=ticket),
        )


def receipt_email_request(*, order, email: str, actor, language: str = "fr") -> None:
    """Ask for a sale's receipt by e-mail: checked here, recorded in the audit trail, sent
    after commit by receipt_email_task through the outbox (a broker down loses nothing).
    Raises: InvalidInput on a bad address."""
    from django.db import transaction

    from core.audit import audit_log
    from core.exceptions import InvalidInput
    from core.outbox import outbox_enqueue
    from core.validators import email_address

    email = email_address(email)
    if order.ticket_id is None:
        raise InvalidInput(_("This sale has no receipt."))
    with transaction.atomic():
        audit_log(
            action="pos.receipt.emailed",
            property=order.property,
            actor=actor,
            target=order,
            channel="pos",
            data={"ticket": order.ticket.number},
        )
        outbox_enqueue(
            task="pos.tasks.receipt_email_task",
            kwargs={"order_id": order.pk, "email": email, "language": language},
            property=order.property,
        )


def receipt_email_send(*, order_id: int, email: str, language: str = "fr") -> bool:
    """Render the receipt as text (the same document the printer gets) and send it."""
    from django.core.mail import EmailMessage
    from django.utils import translation

    from devices.rendering import render_text
    from pos.models import Order

    order = (
        Order.objects.select_related("ticket", "ticket__property", "ticket__cashier")
        .filter(pk=order_id)
        .first()
    )
    if order is None or order.ticket is None:
        return False
    ticket = order.ticket
    with translation.override(language):
        document = receipt_document_now(ticket=ticket, language=language)
        body = render_text(document, columns=48)
        subject = _("Your receipt %(number)s · %(name)s") % {
            "number": ticket,
            "name": ticket.property.name,
        }
    EmailMessage(subject=subject, body=body, to=[email]).send()
    return True


def z_report_print(*, terminal: Terminal, report, actor, language: str = "fr") -> PrintJob:
    """Queue a Z (or X) report (pos.z_report) on the till's printer, sent after commit; each
    request prints one more copy. Raises InvalidInput when the till has no printer."""
    if terminal.printer_id is None:
        raise InvalidInput(_("This till has no receipt printer."))
    document = z_report_document(report=report, language=language)
    with transaction.atomic():
        return print_job_enqueue(
            printer=terminal.printer,
            kind=PrintJob.Kind.REPORT,
            document=document,
            idempotency_key=f"z-report:{uuid.uuid4()}",
            actor=actor,
            new_key=True,
        )
