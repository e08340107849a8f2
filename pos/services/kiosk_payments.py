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
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, Exists, OuterRef, Value, When
from django.db.models.functions import Concat
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.services.payments import TenderInput
from core.audit import audit_log
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


# what the guest's page and the staff read on a kiosk's order nobody paid
CANCELLED_UNPAID = gettext_lazy("Not paid in time: the order is cancelled and nothing was charged.")


def kiosk_counter_deadline(guest_order: GuestOrder) -> datetime:
    """Until when a kiosk's ticket waits for its payment at the counter: the outlet's
    `kiosk_counter_minutes` after it was ordered, else the end of that service (the next
    kitchen closing time after it, an outlet open all day: the next midnight)."""
    outlet = guest_order.outlet
    if outlet.kiosk_counter_minutes:
        return guest_order.created_at + timedelta(minutes=outlet.kiosk_counter_minutes)
    tz = guest_order.property.tz
    local = timezone.localtime(guest_order.created_at, tz)
    closes = outlet.kitchen_closes_at
    if closes is None:
        return datetime.combine(local.date() + timedelta(days=1), time.min, tzinfo=tz)
    end = datetime.combine(local.date(), closes, tzinfo=tz)
    if end <= guest_order.created_at:  # a late service closing after midnight
        end = datetime.combine(local.date() + timedelta(days=1), closes, tzinfo=tz)
    return end


def _cancel(pk: int, status: str, *, why: str) -> GuestOrder | None:
    """The order cancelled under its lock if it still has `status` and no sale (else None:
    paid or answered meanwhile — the payment wins). Nothing was sold: no ticket, no
    journal entry; the kiosk's orders hold no stock, and a cancelled one no longer counts
    among the kitchen's open orders."""
    with transaction.atomic():
        locked = (
            GuestOrder.objects.select_for_update(of=("self",))
            .select_related("property", "outlet")
            .filter(pk=pk, status=status, order__isnull=True)
            .first()
        )
        if locked is None:
            return None
        if status == GuestOrder.Status.AWAITING_PAYMENT:
            tx = _attempt(locked)
            if tx is not None and tx.status not in _SETTLED_UNPAID:
                return None  # the terminal has it (or approved it): its answer decides
        locked.status = GuestOrder.Status.CANCELLED
        with translation.override(locked.language or locked.property.default_language):
            locked.refusal_reason = str(CANCELLED_UNPAID)[:200]
        locked.save(update_fields=["status", "refusal_reason", "updated_at"])
        audit_log(
            action="pos.kiosk_order.cancelled",
            property=locked.property,
            target=locked,
            channel="pos",
            data={"number": locked.number, "total": str(locked.total), "why": why},
        )
    return locked


# the attempts that charged nothing (an order awaiting its card with one of them is
# cancelled; one in flight, approved or of unknown outcome is not)
_SETTLED_UNPAID = (
    CardTransaction.Status.DECLINED,
    CardTransaction.Status.ABANDONED,
    CardTransaction.Status.ERROR,
    CardTransaction.Status.UNREACHABLE,
)


def kiosk_card_expire(guest_order: GuestOrder, *, now: datetime | None = None) -> GuestOrder:
    """A kiosk's order awaiting its card payment for longer than KIOSK_CARD_TIMEOUT_MINUTES
    (the guest walked away from the terminal): its attempt is read first — approved, the
    sale is made and kept; refused or of unknown outcome, as the kiosk's page would. An
    attempt still queued (never sent to the terminal) is withdrawn so that it never will
    be; then the order is cancelled. One the terminal has right now is left to its answer
    (the terminal's own time-out ends it). Returns the order as it stands."""
    now = now or timezone.now()
    if guest_order.status != GuestOrder.Status.AWAITING_PAYMENT:
        return guest_order
    if guest_order.created_at > now - timedelta(minutes=settings.KIOSK_CARD_TIMEOUT_MINUTES):
        return guest_order
    guest_order = kiosk_card_refresh(guest_order=guest_order)
    if guest_order.status != GuestOrder.Status.AWAITING_PAYMENT:
        return guest_order  # paid (kept), refused or to the counter meanwhile
    tx = _attempt(guest_order)
    if tx is not None and tx.status == CardTransaction.Status.PENDING:
        # the exchange's worker claims PENDING → SENT; taking it first, nothing is sent
        withdrawn = CardTransaction.objects.filter(
            pk=tx.pk, status=CardTransaction.Status.PENDING
        ).update(
            status=CardTransaction.Status.ABANDONED,
            message="withdrawn: the kiosk order was not paid in time",
            answered_at=now,
        )
        if not withdrawn:
            return guest_order  # sent meanwhile: the terminal's answer decides
    cancelled = _cancel(guest_order.pk, GuestOrder.Status.AWAITING_PAYMENT, why="card")
    if cancelled is None:
        guest_order.refresh_from_db()
        return guest_order
    return cancelled


def kiosk_orders_expire(*, now: datetime | None = None) -> int:
    """Beat: the kiosk's orders nobody paid are cancelled — awaiting the card past
    KIOSK_CARD_TIMEOUT_MINUTES (`kiosk_card_expire`), a ticket to pay at the counter past
    `kiosk_counter_deadline`. A ticket sent to the counter because the card terminal did
    not confirm (it may have charged the card) is never cancelled: the staff check the
    terminal. Idempotent; each order under its own lock. Returns how many were cancelled."""
    now = now or timezone.now()
    kiosk = GuestOrder.objects.filter(point__kind=GuestOrderPoint.Kind.KIOSK, order__isnull=True)
    cancelled = 0
    card_before = now - timedelta(minutes=settings.KIOSK_CARD_TIMEOUT_MINUTES)
    for guest_order in kiosk.filter(
        status=GuestOrder.Status.AWAITING_PAYMENT, created_at__lt=card_before
    ).select_related("property", "outlet", "point__property", "point__terminal"):
        if kiosk_card_expire(guest_order, now=now).status == GuestOrder.Status.CANCELLED:
            cancelled += 1
    tried_card = CardTransaction.objects.filter(
        property_id=OuterRef("property_id"),
        reference=Concat(Value("kiosk:"), OuterRef("client_key")),
    )
    for guest_order in (
        kiosk.filter(status=GuestOrder.Status.RECEIVED)
        .exclude(Exists(tried_card))
        .select_related("property", "outlet")
    ):
        if kiosk_counter_deadline(guest_order) <= now and _cancel(
            guest_order.pk, GuestOrder.Status.RECEIVED, why="counter"
        ):
            cancelled += 1
    return cancelled


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
    "kiosk_card_expire",
    "kiosk_card_reader",
    "kiosk_card_refresh",
    "kiosk_card_start",
    "kiosk_orders_expire",
    "kiosk_receipt_email",
    "kiosk_receipt_print",
]
