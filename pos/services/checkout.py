"""The one-transaction POS sale (POS-5, PLT-3): quote, capacity, ticket, payment or room
charge, audit — committed together or not at all. And its refund."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.exceptions import PaymentInvalid
from billing.models import JournalEntry, Payment, Ticket, TicketLine, TicketVat
from billing.services.folios import ChargeInput, folio_post_charges, folio_reverse_lines
from billing.services.payment_titles import payment_titles_apply
from billing.services.payments import TenderInput, payments_record, payments_reverse
from billing.services.tickets import ticket_issue, ticket_void
from core.audit import audit_log
from core.exceptions import DomainError, IdempotencyConflict, InvalidInput, NotFound
from core.formatting import day as format_day
from core.models import Property
from core.money import ZERO
from crm.models import GiftCard, Guest
from crm.services.gift_cards import (
    GiftCardSaleLine,
    gift_card_redeem,
    gift_cards_cancel_for_sale,
    gift_cards_credit_back,
    gift_cards_issue_for_sale,
)
from crm.services.loyalty import loyalty_earn, loyalty_redeem, loyalty_reverse
from inventory.exceptions import ProductSoldOut, SoldOut
from inventory.models import CapacityPool, Channel, GiftCardKind, Product
from inventory.services.capacity import CapacityNeed, capacity_consume, capacity_release
from inventory.services.catalogue import product_channel_check, product_is_sold_out
from inventory.services.pricing import QuoteLineInput, promotions_consume, quote
from inventory.services.stock import stock_sale
from pms.models import Reservation, ReservationRoom
from pms.selectors import in_house_room, last_stay_in_room
from pos.exceptions import AlreadyRefunded, NotInHouse
from pos.lock_objects import order_for_update, order_id_take
from pos.models import Order, Terminal
from pos.services.receipts import sale_print_jobs
from webhooks.services import webhook_emit

AUDIT_CHANNEL = "pos"
ROOM_CHARGE_SOURCE = "pos.ticketline"


def ticket_lines_as_charges(lines, *, service_date: date) -> list[ChargeInput]:
    """A room-charged ticket's lines (or its credit ticket's) as folio charges: each keeps its
    VAT and revenue category, and its source names the line, so posting twice posts once."""
    return [
        ChargeInput(
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            total=line.total,
            vat_rate=line.vat_rate,
            revenue_category=line.revenue_category,
            service_date=line.service_date or service_date,
            source=f"{ROOM_CHARGE_SOURCE}:{line.pk}",
            product_id=line.product_id,
            applied_rule=line.applied_rule,
        )
        for line in lines
    ]


REFUND_SOURCE = "pos.refund"


def order_capacity_reference(order: Order) -> str:
    """What the order's capacity allocations are called (released on refund)."""
    return f"pos.order:{order.pk}"


def order_reference(order: Order) -> str:
    """The sale's "pos.order:<id>" while its order is not written yet: its id taken first
    (pos.lock_objects.order_id_take, one statement), only by a sale that names it before its
    ticket (capacity, ingredients, stored value, a tab's part)."""
    if order.pk is None:
        order.pk = order_id_take()
    return order_capacity_reference(order)


def _replayed(*, property: Property, client_key: str) -> Order | None:
    order = Order.objects.filter(client_key=client_key).select_related("ticket", "property").first()
    if order is not None and order.property_id != property.pk:
        raise IdempotencyConflict()
    return order


def _dated_lines(lines: Sequence) -> list:
    """The quoted lines with a slot's or a pass's day (and time) in their description: the
    guest's ticket, receipt and folio line say when the massage or the pass is for."""
    dated = []
    for line in lines:
        pool = line.product.capacity_pool
        start = line.input.start
        if (
            pool is not None
            and start
            and pool.kind in (CapacityPool.Kind.SLOT, CapacityPool.Kind.DAY)
        ):
            when = format_day(start)
            if pool.kind == CapacityPool.Kind.SLOT and line.input.slot_time:
                when += " " + line.input.slot_time.strftime("%H:%M")
            line = replace(line, description=f"{line.description} · {when}"[:300])
        dated.append(line)
    return dated


def _capacity_needs(quoted) -> list[CapacityNeed]:
    needs = []
    for line in quoted:
        pool = line.product.capacity_pool
        if pool is None:
            continue
        quantity = int(line.quantity)
        if pool.kind == CapacityPool.Kind.STOCK:
            needs.append(CapacityNeed(pool_id=pool.pk, quantity=quantity))
        elif pool.kind == CapacityPool.Kind.NIGHT:
            needs.append(
                CapacityNeed(
                    pool_id=pool.pk, quantity=quantity, day=line.input.start, until=line.input.end
                )
            )
        else:
            needs.append(
                CapacityNeed(
                    pool_id=pool.pk,
                    quantity=quantity,
                    day=line.input.start,
                    slot_time=line.input.slot_time,
                )
            )
    return needs


@dataclass(frozen=True)
class SaleRequest:
    """What a sale is asked for (see sale_checkout)."""

    property: Property
    terminal: Terminal
    actor: Any
    lines: Sequence[QuoteLineInput]
    tenders: Sequence[TenderInput] = ()
    room_number: str | None = None
    reservation: Reservation | None = None
    # the in-house stay of `room_number` when the caller has just read it (a guest's QR
    # order checks the surname against it): not read again
    stay: ReservationRoom | None = None
    # the guest the sale is for without a stay (a loyalty card scanned at the counter)
    guest: Guest | None = None
    client_key: str | None = None
    allow_price_override: bool = False
    print_receipt: bool = False
    # the lines' products when the caller already loaded them (see `quote`)
    products: Mapping[int, Product] | None = None
    tip: Decimal = Decimal("0.00")
    # the table a waiter's tab was served at (kept on the order)
    table_label: str = ""
    covers: int = 0
    # the caller already looked `client_key` up under a lock it holds and rolls back with
    # this sale (a tab's part): no savepoint and no replay lookup here
    caller_replays: bool = False
    # the caller's own writes for this sale (a tab's part), run once the sale is priced,
    # before its ticket is numbered
    on_order: Callable[[Order], None] | None = None
    # a sale a device made offline (pos.services.offline): its device, number and chain
    # hash for the journal. The goods were handed over: a unit sold meanwhile online and a
    # room whose guest has left become conflicts (Sale.conflicts), never a refusal.
    offline: Mapping[str, Any] | None = None
    # a new sale at the counter refuses a dish 86'd since it was put in the basket; a tab's
    # lines added before the 86 are still paid
    refuse_sold_out: bool = False
    # the channel the sale is ordered on (inventory.models.SaleChannel: the counter's screen
    # and the API say "counter"): a product that channel does not offer is refused. None:
    # the caller checked its own menu (a guest's order, a tab's lines, an offline ticket)
    channel: str | None = None


@dataclass(frozen=True)
class Sale:
    """What a sale wrote, so that the caller answers without reading it back: the order (its
    ticket attached), the ticket's lines and VAT rows, the payments (none for a room charge)
    and the receipt's journal entry. A replay (`replayed`) is the first sale's order, read
    back by its client_key, with nothing else: read the rest with `Sale.of_order`."""

    order: Order
    lines: list[TicketLine] = field(default_factory=list)
    vat_lines: list[TicketVat] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    journal_entry: JournalEntry | None = None
    replayed: bool = False
    # the gift cards the sale issued (None: not known, read them back for the receipt)
    gift_cards: list[GiftCard] | None = None
    # what an offline sale could not do as made ({"kind": …, …}; see SaleRequest.offline)
    conflicts: list[dict] = field(default_factory=list)

    @classmethod
    def of_order(cls, order: Order) -> "Sale":
        """The sale of an order read from the database (its ticket's lines, VAT rows and
        payments prefetched, e.g. by pos.selectors.order_get)."""
        ticket = order.ticket
        return cls(
            order=order,
            lines=list(ticket.lines.all()),
            vat_lines=list(ticket.vat_lines.all()),
            payments=list(ticket.payments.all()),
        )


def order_checkout(**fields) -> Order:
    """The sale for a caller that needs only its order (the demo, benchmarks, tests):
    `sale_checkout(SaleRequest(**fields)).order`."""
    return sale_checkout(SaleRequest(**fields)).order


def sale_checkout(request: SaleRequest) -> Sale:
    """Sell `request.lines` at `request.terminal` in one transaction: quote (channel POS),
    consume capacity and offer stock, issue the numbered ticket, then either charge the
    in-house stay of `room_number` (folio lines, ticket CHARGED_TO_ROOM) or record `tenders`
    (which must sum exactly to the total plus `tip`). `tip` is kept on the ticket apart from
    the sale (no VAT, not revenue: billing books it to the tips account). `reservation` links
    a paid sale to a stay without charging it.

    After commit: the receipt when `print_receipt` (paper only on request) and the cash
    drawer kick on a cash payment, on the terminal's printer (devices print jobs).
    Locks: Order (client_key unique index) → Promotion → CapacityBucket → GiftCard →
    LoyaltyAccount → NumberSequence (and the journal).
    Idempotent: a replay with the same `client_key` returns the first Order (`replayed`),
    creates nothing.
    `on_order(order)` runs before the ticket is numbered: the numbering row and the journal
    chain stay locked until commit and every other till of the property waits for them, so
    the less is written after them, the shorter that wait.
    Raises: SoldOut/ClosedForSale/OfferExhausted (409), InvalidInput/PaymentInvalid/NotInHouse
    (422), PermissionDenied (403) on a price override without the right, NotFound (404) for
    a terminal or reservation of another property. On any error nothing is written.
    """
    property, terminal, reservation = request.property, request.terminal, request.reservation
    client_key = (request.client_key or "").strip()[:100] or None
    try:
        if terminal.property_id != property.pk or not terminal.is_active:
            raise NotFound(_("No such terminal."))
        if reservation is not None and reservation.property_id != property.pk:
            raise NotFound(_("No such reservation."))
        if request.guest is not None and request.guest.organization_id != property.organization_id:
            raise NotFound(_("No such guest."))
        room_number = (request.room_number or "").strip() or None
        if room_number and request.tenders:
            raise InvalidInput(_("A sale charged to a room takes no payment."))
        if not room_number and not request.tenders:
            raise InvalidInput(_("Add a payment or a room number."))
        if request.tip and room_number:
            raise InvalidInput(_("A tip is taken with a payment, not on a room charge."))
        # A savepoint, not durable=True: the API runs this inside idempotent_response's
        # transaction so that the Idempotency-Key record commits with the sale. A caller
        # that replays by itself needs none: any error here aborts its transaction too.
        with transaction.atomic(savepoint=not request.caller_replays):
            return _checkout(request, client_key=client_key, room_number=room_number)
    except (IntegrityError, DomainError):
        # A replay of a committed sale: its order row holds the client_key, so the INSERT
        # (first write of the sale, waiting for a concurrent first attempt) conflicts; or the
        # replay fails earlier (the last unit is gone — sold by the first attempt). Either
        # way the first result is the answer and this attempt wrote nothing. A new sale
        # pays no lookup for this.
        if (
            client_key
            and not request.caller_replays
            and (order := _replayed(property=property, client_key=client_key))
        ):
            return Sale(order=order, replayed=True)
        raise


def _checkout(request: SaleRequest, *, client_key: str | None, room_number: str | None) -> Sale:
    property, terminal, actor = request.property, request.terminal, request.actor
    reservation, tenders = request.reservation, request.tenders
    business_date = property.business_date()
    outlet = terminal.outlet
    # the order is inserted once, complete, after its ticket (one INSERT, never updated): a
    # retry with the same client_key conflicts there and replays (the API's idempotency
    # claim has already serialised its retries). What names it before ("pos.order:<id>")
    # takes its id first (order_reference).
    order = Order(
        property=property,
        outlet=outlet,
        terminal=terminal,
        client_key=client_key,
        status=Order.Status.OPEN,
        reservation=reservation,
        guest=reservation.guest if reservation is not None else request.guest,
        created_by=actor,
        business_date=business_date,
        table_label=request.table_label[:30],
        covers=request.covers,
    )
    stay = None
    conflicts: list[dict] = []
    if room_number:
        stay = request.stay
        if stay is None or stay.room.number != room_number:
            stay = in_house_room(property=property, room_number=room_number)
        if stay is None and request.offline is not None:
            stay = last_stay_in_room(property=property, room_number=room_number)
            if stay is not None:
                conflicts.append(
                    {
                        "kind": "checked_out",
                        "room_number": room_number,
                        "reservation": stay.reservation.reference,
                    }
                )
        if stay is None:
            raise NotInHouse(
                _("Room %(number)s has no guest in house.") % {"number": room_number},
                extra={"room_number": room_number},
            )
        if stay.reservation.folio_id is None:
            raise NotInHouse(
                _("Room %(number)s has no open folio.") % {"number": room_number},
                extra={"room_number": room_number},
            )
        reservation = stay.reservation
    quoted = quote(
        property=property,
        channel=Channel.POS,
        lines=request.lines,
        allow_price_override=request.allow_price_override,
        products=request.products,
    )
    if request.channel is not None:
        for line in quoted.lines:
            product_channel_check(product=line.product, channel=request.channel)
    if request.refuse_sold_out:
        for line in quoted.lines:
            if product_is_sold_out(line.product):
                raise ProductSoldOut(
                    _("%(name)s is sold out for the rest of the service.")
                    % {"name": line.product.name}
                )
    terminal_label = f"{outlet.name} · {terminal.name}"
    if stay is not None and order.reservation_id != reservation.pk:
        order.reservation = reservation
        order.guest = reservation.guest
    guest = order.guest
    promotions_consume(quote=quoted)
    pools = {
        line.product.capacity_pool_id: line.product.capacity_pool
        for line in quoted.lines
        if line.product.capacity_pool_id
    }
    needs = _capacity_needs(quoted.lines)
    # what names the order and locks nothing (capacity allocations, ingredient movements)
    # is inserted once the order is: no id to take first
    later: list[Callable[[], Any]] = []
    if needs and request.offline is None:
        capacity_consume(
            property=property,
            needs=needs,
            channel=Channel.POS,
            reference=lambda: order_capacity_reference(order),
            pools=pools,
            later=later,
        )
    elif needs:
        conflicts += _offline_capacity(
            property=property, needs=needs, reference=order_reference(order), pools=pools
        )
    # the ingredients of what has a recipe, at the outlet's stock location: +2 statements
    stock_sale(
        property=property,
        location_id=outlet.stock_location_id,
        lines=[(line.product.pk, line.quantity) for line in quoted.lines],
        reference=lambda: order_capacity_reference(order),
        actor=actor,
        offline=request.offline is not None,
        later=later,
    )
    if request.on_order is not None:
        order_reference(order)
        request.on_order(order)
    tip = request.tip
    if tenders:
        # payment titles' rules (food only, cap, no change) before anything is numbered
        try:
            tenders, tip = payment_titles_apply(
                property=property, tenders=tenders, lines=quoted.lines, tip=tip
            )
        except PaymentInvalid as error:
            if request.offline is None:
                raise
            # the device applied the rules it kept; they changed since: the titles were
            # taken, the sale stands and the manager looks at it
            conflicts.append({"kind": "title_rule", "reason": str(error.message)[:200]})
    tenders = _redeem_stored_value(order=order, quoted=quoted, tenders=tenders, actor=actor)
    # from here on the ticket numbering and the journal chain are locked until commit
    issued = ticket_issue(
        property=property,
        lines=_dated_lines(quoted.lines),
        cashier=actor,
        outlet_name=outlet.name,
        terminal_name=terminal.name,
        status=Ticket.Status.CHARGED_TO_ROOM if stay else Ticket.Status.PAID,
        folio=stay.reservation.folio if stay else None,
        guest=guest,
        tip=tip,
        # the receipt's journal entry carries its tenders: one fiscal entry per sale
        tenders=[[t.method, t.amount, t.terminal_reference] for t in tenders],
        offline=dict(request.offline) if request.offline is not None else None,
    )
    ticket = issued.ticket
    if stay is not None:
        folio_post_charges(
            folio=stay.reservation.folio,
            charges=ticket_lines_as_charges(issued.lines, service_date=business_date),
            actor=actor,
            terminal=terminal_label,
            business_date=business_date,
            late=bool(conflicts) and request.offline is not None,
        )
        order.status = Order.Status.CHARGED_TO_ROOM
        payments = []
    else:
        payments = payments_record(
            property=property,
            ticket=ticket,
            tenders=tenders,
            actor=actor,
            terminal=terminal_label,
            journal=False,
            new_ticket=True,
        )
        order.status = Order.Status.PAID
    order.ticket = ticket
    order.save(force_insert=True)
    for insert in later:
        insert()
    gift_cards = _gift_cards_issue(order=order, quoted=quoted, lines=issued.lines, actor=actor)
    audit_log(
        action="pos.order.checked_out",
        property=property,
        actor=actor,
        target=order,
        terminal=terminal_label,
        channel=AUDIT_CHANNEL,
        data={
            "ticket": ticket.number,
            "total": str(ticket.total),
            "status": order.status,
            "room_number": room_number or "",
            "reservation": reservation.reference if reservation is not None else "",
            "payments": [{"method": p.method, "amount": str(p.amount)} for p in payments],
            "business_date": str(business_date),
        },
    )
    if order.status == Order.Status.PAID:
        webhook_emit(
            property=property,
            event="order.paid",
            data=lambda: {
                **_order_webhook_data(order, ticket),
                "payments": [
                    {"method": p.method, "amount": p.amount, "reference": p.terminal_reference}
                    for p in payments
                ],
            },
        )
    sale_print_jobs(
        terminal=terminal,
        ticket=ticket,
        lines=issued.lines,
        payments=payments,
        print_receipt=request.print_receipt,
        actor=actor,
        journal_entry=issued.journal_entry,
        gift_cards=gift_cards,
    )
    return Sale(
        order=order,
        lines=issued.lines,
        vat_lines=issued.vat_lines,
        payments=payments,
        journal_entry=issued.journal_entry,
        gift_cards=gift_cards,
        conflicts=conflicts,
    )


def _offline_capacity(
    *, property: Property, needs: Sequence[CapacityNeed], reference: str, pools: Mapping
) -> list[dict]:
    """Consume what is left for an offline sale: each need as far as the buckets allow (a
    savepoint per try, the CHECK constraints untouched); the units nobody had left are
    returned as "oversold" conflicts, outside the capacity count."""
    try:
        with transaction.atomic():
            capacity_consume(
                property=property,
                needs=needs,
                channel=Channel.POS,
                reference=reference,
                pools=pools,
            )
        return []
    except SoldOut:
        pass
    conflicts = []
    for need in needs:
        quantity = need.quantity
        while quantity > 0:
            try:
                with transaction.atomic():
                    capacity_consume(
                        property=property,
                        needs=[replace(need, quantity=quantity)],
                        channel=Channel.POS,
                        reference=reference,
                        pools=pools,
                    )
                break
            except SoldOut:
                quantity -= 1
        if quantity < need.quantity:
            pool = pools.get(need.pool_id)
            conflicts.append(
                {
                    "kind": "oversold",
                    "pool": pool.code if pool is not None else str(need.pool_id),
                    "quantity": need.quantity - quantity,
                    "day": str(need.day or ""),
                }
            )
    return conflicts


def order_stored_value_reference(order: Order) -> str:
    """What the order's gift-card and loyalty movements are recorded under."""
    return f"pos.order:{order.pk}"


def _redeem_stored_value(
    *, order: Order, quoted, tenders: Sequence[TenderInput], actor
) -> list[TenderInput]:
    """Spend the gift cards and points the tenders name (crm ledgers, row-locked), before
    the ticket is numbered. A gift-card tender's reference is its code; the payment and the
    fiscal journal keep only the masked code. Then the points the attached guest earns (once
    per order, whatever the retries). Raises GiftCardRefused/LoyaltyRefused (422)."""
    if order.guest_id is None and not any(
        t.method in (Payment.Method.GIFT_CARD, Payment.Method.LOYALTY) for t in tenders
    ):
        return list(tenders)
    reference = order_reference(order)
    categories = sorted({line.revenue_category for line in quoted.lines})
    spend: dict[str, Decimal] = {}
    for line in quoted.lines:
        spend[line.revenue_category] = spend.get(line.revenue_category, ZERO) + line.total
    outlet = order.outlet.name if order.outlet_id else ""
    kept = []
    for i, tender in enumerate(tenders):
        if tender.method == Payment.Method.GIFT_CARD:
            card = gift_card_redeem(
                property=order.property,
                code=tender.terminal_reference,
                amount=tender.amount,
                key=f"{reference}:{i}",
                reference=reference,
                categories=categories,
                spend=spend,
                outlet=outlet,
                actor=actor,
            )
            # a campaign's voucher was given, not sold: its use is booked as a discount
            method = (
                Payment.Method.PROMOTION
                if card.kind == GiftCardKind.PROMOTIONAL
                else Payment.Method.GIFT_CARD
            )
            tender = replace(tender, method=method, terminal_reference=card.masked_code)
        elif tender.method == Payment.Method.LOYALTY:
            points = loyalty_redeem(
                guest=order.guest, amount=tender.amount, key=f"{reference}:{i}", reference=reference
            )
            tender = replace(tender, terminal_reference=f"{points} pts")
        kept.append(tender)
    if order.guest_id:
        # before the ticket too: the account's lock is taken before the journal's, as a
        # redemption takes it (one lock order, no deadlock)
        loyalty_earn(guest=order.guest, spend=spend.items(), key=reference, reference=reference)
    return kept


def _gift_cards_issue(
    *, order: Order, quoted, lines: Sequence[TicketLine], actor
) -> list[GiftCard]:
    """The gift cards the sale's gift-card lines issue (new rows only: no lock taken after
    the journal's)."""
    reference = order_stored_value_reference(order)
    return gift_cards_issue_for_sale(
        property=order.property,
        lines=[
            GiftCardSaleLine(
                product_id=line.product_id,
                quantity=int(line.quantity),
                unit_price=line.unit_price,
                key=str(line.pk),
            )
            for line in lines
            if line.product_id
        ],
        products={q.product.pk: q.product for q in quoted.lines},
        reference=reference,
        guest=order.guest,
        actor=actor,
    )


def _order_webhook_data(order: Order, ticket) -> dict:
    """The common part of the order.* webhook payloads (version 1, webhooks.schema)."""
    return {
        "id": order.pk,
        "client_key": order.client_key,
        "status": order.status,
        "ticket_number": ticket.number,
        "business_date": order.business_date,
        "outlet": order.outlet.name if order.outlet_id else "",
        "currency": order.property.currency,
        "total": ticket.total,
    }


def order_refund(*, order: Order, actor, reason: str) -> Order:
    """Refund a checked-out order: give its capacity back, record a negative payment per
    original tender (or a reversing folio line per room-charged line), mark it REFUNDED.

    The capability (pos.approve) is checked by the caller (API/view); `actor` is recorded.
    Locks: the Order row, then CapacityBuckets (inventory) in pk order.
    Idempotent: a second refund of the same order is refused (AlreadyRefunded, 409) and
    changes nothing.
    Raises: InvalidInput (422) without a reason or for an order that was never paid.
    """
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Give a reason for the refund."))
    with transaction.atomic():
        locked = order_for_update(order_id=order.pk)
        if locked is None:
            raise NotFound(_("No such order."))
        if locked.status == Order.Status.REFUNDED:
            raise AlreadyRefunded()
        if locked.status not in (Order.Status.PAID, Order.Status.CHARGED_TO_ROOM):
            raise InvalidInput(_("Only a paid or room-charged sale can be refunded."))
        if Ticket.objects.filter(credits_id=locked.ticket_id).exists():
            # the ticket cannot be voided whole once a credit ticket refunded part of it
            # (pos.services.refunds refunds what is left)
            raise InvalidInput(_("Part of this sale was already refunded: refund the lines left."))
        prop = locked.property
        terminal_label = (
            f"{locked.terminal.outlet.name} · {locked.terminal.name}" if locked.terminal else ""
        )
        released = capacity_release(property=prop, reference=order_capacity_reference(locked))
        # crm's ledgers before the journal, in the sale's lock order
        gift_cards_credit_back(reference=order_stored_value_reference(locked), actor=actor)
        gift_cards_cancel_for_sale(reference=order_stored_value_reference(locked), actor=actor)
        if locked.guest_id:
            loyalty_reverse(guest=locked.guest, reference=order_stored_value_reference(locked))
        ticket = locked.ticket
        refunds: list[Payment] = []
        reversals = []
        ticket_void(
            property=prop, ticket=ticket, actor=actor, terminal=terminal_label, reason=reason
        )
        if locked.status == Order.Status.CHARGED_TO_ROOM:
            folio = ticket.folio
            originals = list(
                folio.lines.filter(
                    source__in=[
                        f"{ROOM_CHARGE_SOURCE}:{pk}"
                        for pk in ticket.lines.values_list("pk", flat=True)
                    ]
                )
            )
            reversals = folio_reverse_lines(
                folio=folio,
                lines=originals,
                actor=actor,
                terminal=terminal_label,
                source_prefix=REFUND_SOURCE,
            )
        else:
            refunds = payments_reverse(
                property=prop, ticket=ticket, actor=actor, terminal=terminal_label
            )

        locked.status = Order.Status.REFUNDED
        locked.refunded_at = timezone.now()
        locked.refunded_by = actor
        locked.refund_reason = reason[:300]
        locked.save(
            update_fields=["status", "refunded_at", "refunded_by", "refund_reason", "updated_at"]
        )
        audit_log(
            action="pos.order.refunded",
            property=prop,
            actor=actor,
            target=locked,
            terminal=terminal_label,
            channel=AUDIT_CHANNEL,
            data={
                "ticket": ticket.number,
                "reason": reason[:300],
                "capacity_released": released,
                "payments": [{"method": p.method, "amount": str(p.amount)} for p in refunds],
                "folio_lines_reversed": len(reversals),
            },
        )
        webhook_emit(
            property=prop,
            event="order.refunded",
            data=lambda: {
                **_order_webhook_data(locked, ticket),
                "reason": reason[:300],
                "refunds": [
                    {"method": p.method, "amount": p.amount, "reference": p.terminal_reference}
                    for p in refunds
                ],
            },
        )
    return locked


def order_refund_approved(
    *, order: Order, approver, requested_by, reason: str, terminal: str = ""
) -> Order:
    """`order_refund` approved by a manager on a till's screen, with the approval in the
    audit trail (who asked, who approved), in one transaction.
    Raises: what order_refund raises."""
    with transaction.atomic():
        refunded = order_refund(order=order, actor=approver, reason=reason)
        audit_log(
            action="pos.order.refund_approved",
            property=refunded.property,
            actor=approver,
            target=refunded,
            terminal=terminal,
            channel="pos",
            data={"requested_by": requested_by.pk, "ticket": refunded.ticket.number},
        )
    return refunded
