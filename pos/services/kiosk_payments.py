"""A kiosk's basket paid by card at its own card terminal (devices.cards, the till's path:
docs/card-terminals.md), and its receipt printed or e-mailed.

The guest taps *Pay by card*: the basket is checked like any guest order, recorded as an
order awaiting its payment (its key is the basket's), and the amount goes to the terminal
paired with the kiosk's terminal — the exchange runs in a worker through the outbox, never
in a request's transaction. The kiosk's waiting page reads the attempt: an approval makes
the sale (`sale_checkout` with a card tender carrying the terminal's authorisation, the
approval marked used in the sale's transaction, the order to the stations); a refusal, an
abandon or the terminal's own time-out refuses the order (nothing was sold, nothing held)
and the basket is offered again. A terminal that never answered (it may have charged) or an
approval the sale could not record leaves the order to the counter, by its ticket number:
the staff check the terminal's journal and take it as *Paid by card* with its reference —
never a second charge from the kiosk."""

from collections.abc import Sequence
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Case, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.services.payments import TenderInput
from core.exceptions import DomainError, InvalidInput
from devices.cards import CardOutcomeUnknown, card_charge_start
from devices.models import CardReader, CardTransaction
from inventory.models import Channel
from inventory.services.pricing import quote
from pos.models import GuestOrder, GuestOrderPoint, Terminal
from pos.services.card_payments import CardTender
from pos.services.checkout import SaleRequest, sale_checkout
from pos.services.guest_orders import (
    GuestLine,
    _checked_lines,
    _replay,
    _to_stations,
    guest_actor,
    outlet_order_check,
    stored_lines,
    stored_lines_as_input,
)
from pos.services.receipts import receipt_email_request, receipt_key, receipt_print_request

# what the kiosk says when the card did not pay (the guest's words, not the cashier's)
REFUSALS = {
    CardTransaction.Status.DECLINED: gettext_lazy(
        "Your card was declined: nothing was paid. Try another card or pay at the counter."
    ),
    CardTransaction.Status.ABANDONED: gettext_lazy(
        "The payment was cancelled at the card terminal: nothing was paid."
    ),
    CardTransaction.Status.ERROR: gettext_lazy(
        "The card terminal did not take the payment: nothing was paid. Try again or pay at "
        "the counter."
    ),
    CardTransaction.Status.UNREACHABLE: gettext_lazy(
        "The card terminal is not answering: nothing was paid. Please order and pay at the counter."
    ),
}
TIMED_OUT = gettext_lazy("No card was presented in time: nothing was paid.")
TO_THE_COUNTER = gettext_lazy(
    "The card terminal did not confirm the payment. Please show this number at the counter: "
    "the staff will check the terminal, and your card will not be charged twice."
)
# the terminal's failure code for its own time-out (the cardholder did nothing)
TERMINAL_TIMEOUT = "08"


def _reference(guest_order: GuestOrder) -> str:
    """The card attempt's and the sale's key (the counter's kiosk sale uses the same)."""
    return f"kiosk:{guest_order.client_key}"


def kiosk_card_reader(point: GuestOrderPoint) -> CardReader | None:
    """The card terminal paired with the kiosk's terminal, if any and active. Read, not
    taken from the cached point: pairing it in the admin shows at once."""
    return CardReader.objects.filter(terminals=point.terminal_id, is_active=True).first()


def kiosk_card_start(
    *,
    point: GuestOrderPoint,
    lines: Sequence[GuestLine],
    client_key: str,
    menu_products: dict,
    reader: CardReader,
) -> GuestOrder:
    """Record the basket as an order awaiting its card payment and send its total to the
    kiosk's card terminal (queued; sent after commit by a worker). Idempotent on the
    basket's key: a double tap waits for the same attempt, a paid order is returned as is.
    Raises what a guest order raises before anything is written (Conflict, InvalidInput,
    ChoiceRequired), CardOutcomeUnknown."""
    client_key = (client_key or "").strip()[:100]
    if not client_key:
        raise InvalidInput(_("Start your order again."))
    found = _replay(point, client_key)
    if found is None:
        outlet_order_check(point.outlet)
        inputs = _checked_lines(point, lines, menu_products)
        quoted = quote(
            property=point.property, channel=Channel.POS, lines=inputs, products=menu_products
        )
        try:
            found = GuestOrder.objects.create(
                property=point.property,
                outlet=point.outlet,
                point=point,
                client_key=client_key,
                status=GuestOrder.Status.AWAITING_PAYMENT,
                total=quoted.total,
                lines=stored_lines(inputs, quoted.lines),
            )
        except IntegrityError:  # a double tap recorded it first
            found = _replay(point, client_key)
    if found.status == GuestOrder.Status.AWAITING_PAYMENT:
        # its own short transaction; the exchange leaves after its commit
        card_charge_start(reader=reader, reference=_reference(found), amount=found.total)
    return found


def _attempt(guest_order: GuestOrder) -> CardTransaction | None:
    return (
        CardTransaction.objects.filter(
            property_id=guest_order.property_id, reference=_reference(guest_order)
        )
        .select_related("reader")
        .order_by("-attempt")
        .first()
    )


def _to_counter(guest_order: GuestOrder, message) -> GuestOrder:
    """The order waits at the counter by its number (paid there), with why."""
    GuestOrder.objects.filter(pk=guest_order.pk, status=GuestOrder.Status.AWAITING_PAYMENT).update(
        status=GuestOrder.Status.RECEIVED,
        refusal_reason=str(message)[:200],
        updated_at=timezone.now(),
    )
    guest_order.refresh_from_db()
    return guest_order


def kiosk_card_refresh(*, guest_order: GuestOrder) -> GuestOrder:
    """The kiosk's waiting page asks where the card payment stands (outside any
    transaction). Approved → the sale, once (the order row locked, the sale keyed, the
    approval used in the sale's transaction): PAID. Refused, abandoned, not carried out,
    unreachable, the terminal's time-out → REFUSED with the guest's message (nothing sold).
    No answer from the terminal, or an approval the sale could not record → RECEIVED with
    the reason: the counter takes it by its number. Still with the cardholder → unchanged."""
    if guest_order.status != GuestOrder.Status.AWAITING_PAYMENT:
        return guest_order
    tx = _attempt(guest_order)
    if tx is None:
        return guest_order
    Status = CardTransaction.Status
    if tx.status == Status.SENT and tx.sent_at < timezone.now() - timedelta(
        seconds=tx.reader.answer_timeout + 60
    ):
        # its worker died while the terminal had the request: nobody knows
        return _to_counter(guest_order, TO_THE_COUNTER)
    if tx.status in CardTransaction.IN_FLIGHT:
        return guest_order
    if tx.status == Status.UNKNOWN:
        return _to_counter(guest_order, TO_THE_COUNTER)
    if tx.status != Status.APPROVED:
        message = (
            TIMED_OUT
            if tx.failure_code == TERMINAL_TIMEOUT
            else REFUSALS.get(tx.status, REFUSALS[Status.ERROR])
        )
        GuestOrder.objects.filter(
            pk=guest_order.pk, status=GuestOrder.Status.AWAITING_PAYMENT
        ).update(
            status=GuestOrder.Status.REFUSED,
            refusal_reason=str(message)[:200],
            updated_at=timezone.now(),
        )
        guest_order.refresh_from_db()
        return guest_order
    card = CardTender(
        tender=TenderInput(method="card", amount=tx.amount, terminal_reference=tx.authorisation),
        transaction=tx,
    )
    point = guest_order.point
    actor = guest_actor()
    try:
        with transaction.atomic():
            locked = GuestOrder.objects.select_for_update(of=("self",)).get(pk=guest_order.pk)
            if locked.status != GuestOrder.Status.AWAITING_PAYMENT:
                return locked
            sale = sale_checkout(
                SaleRequest(
                    property=point.property,
                    terminal=point.terminal,
                    actor=actor,
                    lines=stored_lines_as_input(locked.lines),
                    tenders=[card.tender],
                    client_key=_reference(locked),
                    caller_replays=True,
                    on_order=card.on_order,
                )
            )
            locked.order = sale.order
            locked.status = GuestOrder.Status.PAID
            locked.decided_by = actor
            locked.decided_at = timezone.now()
            locked.save(update_fields=["order", "status", "decided_by", "decided_at", "updated_at"])
            _to_stations(locked, actor=actor)
            return locked
    except DomainError:
        # paid at the terminal, not recordable here (a price changed, the last one gone
        # where stock may not go below zero): the counter's "approved but not recorded"
        # list shows the approval; the staff complete the sale by the ticket number
        return _to_counter(guest_order, TO_THE_COUNTER)


def kiosk_receipt_printer_terminal(point: GuestOrderPoint) -> Terminal | None:
    """The terminal whose receipt printer serves the kiosk: its own, else the outlet's first
    active terminal with one."""
    return (
        Terminal.objects.filter(outlet_id=point.outlet_id, is_active=True, printer__isnull=False)
        .select_related("printer")
        # the kiosk's own first (read, not cached: a printer set in the admin shows at once)
        .order_by(Case(When(pk=point.terminal_id, then=0), default=1), "pk")
        .first()
    )


def kiosk_receipt_print(*, guest_order: GuestOrder) -> bool:
    """The receipt of a kiosk's paid order on the outlet's receipt printer (the ESC/POS
    print job, sent after commit). The guest gets the original once: a second tap prints
    nothing more (returns False). Raises InvalidInput when there is no printer or sale."""
    order = guest_order.order
    if order is None or order.ticket_id is None:
        raise InvalidInput(_("This order has no receipt yet."))
    terminal = kiosk_receipt_printer_terminal(guest_order.point)
    if terminal is None:
        raise InvalidInput(_("There is no receipt printer here."))
    from devices.models import PrintJob

    if PrintJob.objects.filter(idempotency_key=receipt_key(order.ticket)).exists():
        return False
    receipt_print_request(terminal=terminal, ticket=order.ticket, actor=guest_actor())
    return True


def kiosk_receipt_email(*, guest_order: GuestOrder, email: str, language: str) -> None:
    """The receipt of a kiosk's paid order e-mailed to the address the guest typed (the
    outbox's receipt e-mail). Once per order: a kiosk is not a mailer. Raises InvalidInput
    (a bad address, already sent, no sale)."""
    order = guest_order.order
    if order is None or order.ticket_id is None:
        raise InvalidInput(_("This order has no receipt yet."))
    with transaction.atomic():
        claimed = GuestOrder.objects.filter(pk=guest_order.pk, customer_email="").update(
            customer_email=(email or "").strip()[:254]
        )
        if not claimed:
            raise InvalidInput(_("The receipt was already sent by e-mail."))
        receipt_email_request(order=order, email=email, actor=guest_actor(), language=language)


__all__ = [
    "CardOutcomeUnknown",
    "kiosk_card_reader",
    "kiosk_card_refresh",
    "kiosk_card_start",
    "kiosk_receipt_email",
    "kiosk_receipt_print",
]
