"""Paying a table (POS-3): the whole bill, or split by item, by cover (N equal parts) or by
amount. Each part is its own sale through sale_checkout (own Order, ticket and client_key),
so a double tap on Pay never sells a part twice; the tab closes when nothing is left to pay.

Parts by cover or by amount carry each line's share (`TabPart.allocation`), so the parts'
tickets add up to the lines exactly and each share keeps its line's VAT rate. The shares are
rounded down to the cent and the cents left over go to the lines that still have room, so
the last part absorbs the rounding."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from billing.services.payments import TenderInput
from core.audit import audit_log
from core.cache_tokens import versioned_get, versioned_get_many
from core.exceptions import InvalidInput, NotFound
from core.formatting import money
from core.money import ZERO, quantize
from core.queries import one_by_key
from inventory.catalog_cache import catalog_version
from inventory.models import Channel, Product
from inventory.services.pricing import QuoteLineInput, quote
from pos.models import Order, TableTab, TabLine, TabPart, Terminal
from pos.selectors import table_menu_products
from pos.services.checkout import Sale, SaleRequest, sale_checkout

CENT = Decimal("0.01")
PRICE_CACHE_SECONDS = 6 * 3600


@dataclass
class PricedLine:
    """A tab line with its price today (after its discount) and what is still to pay."""

    line: TabLine
    input: QuoteLineInput
    total: Decimal
    paid: Decimal

    @property
    def outstanding(self) -> Decimal:
        return self.total - self.paid


def _allocations(parts) -> dict[int, Decimal]:
    out: dict[int, Decimal] = {}
    for part in parts:
        for line_id, amount in (part.allocation or {}).items():
            out[int(line_id)] = out.get(int(line_id), ZERO) + Decimal(amount)
    return out


def _price_key(property_id: int, day, token: str, line: QuoteLineInput) -> str:
    quantity = format(Decimal(line.quantity).normalize(), "f")
    modifiers = ",".join(str(m) for m in line.modifier_ids)
    return f"pos:line-price:{property_id}:{day}:{token}:{line.product_id}:{quantity}:{modifiers}"


def _quoted_prices(
    *, property, inputs: Sequence[QuoteLineInput], cached: bool
) -> list[tuple[Decimal, Decimal]]:
    """(unit price, total) of each input, as the POS quote prices it today.

    A table line is priced on its own (no room nights on a tab, so no stay length shared
    between lines), so each price can be kept per (product, quantity, modifiers) for the
    business day under the catalog token (inventory.catalog_cache): any change to the
    catalog, the prices, the rate plans or the offers makes a new token, and the tab page
    stops re-quoting lines that were already priced."""
    if not cached:
        return [
            (q.unit_price, q.total)
            for q in quote(property=property, channel=Channel.POS, lines=inputs).lines
        ]
    token = catalog_version(property_id=property.pk)  # before reading any row
    day = property.business_date()
    keys = [_price_key(property.pk, day, token, line) for line in inputs]
    found = versioned_get_many(keys)
    missing = [i for i, key in enumerate(keys) if key not in found]
    if missing:
        quoted = quote(
            property=property, channel=Channel.POS, lines=[inputs[i] for i in missing]
        ).lines
        fresh = {keys[i]: (q.unit_price, q.total) for i, q in zip(missing, quoted, strict=True)}
        cache.set_many(fresh, timeout=PRICE_CACHE_SECONDS)
        found.update(fresh)
    return [found[key] for key in keys]


def _description_key(price_key: str) -> str:
    # the description is the product's name in the waiter's language
    return f"pos:line-description:{get_language()}:{price_key}"


def remember_line_price(*, property, line: QuoteLineInput, quoted, token: str) -> None:
    """Keep the price of a line just quoted (tab_add_line) for the tab page that follows,
    and its description for the next time the same dish is ordered today; `token` is the
    catalog token read before that quote."""
    key = _price_key(property.pk, property.business_date(), token, line)
    cache.set_many(
        {key: (quoted.unit_price, quoted.total), _description_key(key): quoted.description},
        timeout=PRICE_CACHE_SECONDS,
    )


def known_line_description(*, property, line: QuoteLineInput, token: str) -> str | None:
    """The description of a line the POS quote already accepted today under the catalog
    token `token` (same product, quantity and modifiers), or None. Such a line is valid:
    what the quote checks (product on sale, modifiers, quantity) is all in the catalog,
    and any change to the catalog makes a new token."""
    key = _price_key(property.pk, property.business_date(), token, line)
    return versioned_get(_description_key(key))


def tab_priced_lines(
    *,
    tab: TableTab,
    lines: Sequence[TabLine],
    parts: Sequence[TabPart],
    cached: bool = False,
) -> list[PricedLine]:
    """Price the tab's live (not voided) lines with one quote; a discounted line is sold at
    its discounted unit price (a price override computed here, not typed by anyone).
    `cached`: reuse the prices already quoted today for the same lines."""
    live = [line for line in lines if line.voided_at is None]
    if not live:
        return []
    inputs = [
        QuoteLineInput(
            product_id=line.product_id,
            quantity=line.quantity,
            modifier_ids=tuple(line.modifier_ids),
            note=line.note,
        )
        for line in live
    ]
    prices = _quoted_prices(property=tab.property, inputs=inputs, cached=cached)
    allocated = _allocations(parts)
    out = []
    for line, (unit_price, quoted_total), base_input in zip(live, prices, inputs, strict=True):
        total, line_input = quoted_total, base_input
        if line.discount_percent:
            unit = quantize(unit_price * (Decimal(100) - line.discount_percent) / Decimal(100))
            total = quantize(unit * line.quantity)
            line_input = QuoteLineInput(
                product_id=line.product_id,
                quantity=line.quantity,
                modifier_ids=tuple(line.modifier_ids),
                note=line.note,
                unit_price_override=unit,
            )
        paid = total if line.paid_part_id else allocated.get(line.pk, ZERO)
        out.append(PricedLine(line=line, input=line_input, total=total, paid=paid))
    return out


def tab_balance(priced: Sequence[PricedLine]) -> Decimal:
    return sum((p.outstanding for p in priced), ZERO)


def cover_part_amount(*, balance: Decimal, parts_left: int) -> Decimal:
    """The next of `parts_left` equal parts of `balance`: rounded down to the cent, the last
    part takes what is left (so the parts sum exactly to the bill)."""
    if parts_left <= 1:
        return balance
    return (balance / parts_left).quantize(CENT, rounding=ROUND_DOWN)


def _share(priced: Sequence[PricedLine], amount: Decimal, balance: Decimal) -> dict[int, Decimal]:
    """Each open line's share of `amount` (pro rata of what it still owes), in cents that
    sum exactly to `amount` and never exceed a line's outstanding amount."""
    open_lines = [p for p in priced if p.outstanding > 0]
    shares = {
        p.line.pk: (p.outstanding * amount / balance).quantize(CENT, rounding=ROUND_DOWN)
        for p in open_lines
    }
    left = amount - sum(shares.values(), ZERO)
    # the leftover cents go to the lines with the most room, last line first on ties
    for p in sorted(open_lines, key=lambda p: (p.outstanding - shares[p.line.pk], p.line.pk),
                    reverse=True):  # fmt: skip
        if left <= 0:
            break
        room = p.outstanding - shares[p.line.pk]
        give = min(room, left)
        shares[p.line.pk] += give
        left -= give
    return {pk: v for pk, v in shares.items() if v > 0}


@dataclass(frozen=True)
class PaidPart:
    """A part paid, and the sale that paid it (its rows, for the receipt screen); `sale` is
    None for a replay of a part already paid (its order is read back)."""

    part: TabPart
    sale: Sale | None


def tab_pay_part(
    *,
    tab: TableTab,
    terminal: Terminal,
    actor,
    kind: str = TabPart.Kind.FULL,
    line_ids: Sequence[int] = (),
    amount: Decimal | None = None,
    tenders_for=None,
    room_number: str | None = None,
    tip: Decimal = ZERO,
    client_key: str = "",
) -> PaidPart:
    """Pay one part of the tab (or all that is left, kind FULL) in one transaction.

    `tenders_for(due)` returns the tenders for the part's amount once it is known (the
    screen asks "cash given", "card reference"...; the amount comes from here).
    Locks: the tab row (parts of one table are paid one after the other), then what
    the sale (pos.services.checkout.sale_checkout) locks. Idempotent: a replay of
    `client_key` returns the first part (with no sale).
    Raises: InvalidInput on an empty choice, an amount above the balance, lines already
    paid; whatever the sale raises (nothing is written then)."""
    client_key = (client_key or "").strip()[:80] or str(tab.client_key)
    with transaction.atomic():
        # the tab row only: a plain FOR UPDATE over a join would also lock the table and the
        # property rows, and every table's payment would wait for the others'
        locked = one_by_key(
            TableTab.objects.select_for_update(of=("self",))
            .select_related("table")
            .filter(pk=tab.pk, property_id=tab.property_id)  # the read that scopes the tab
        )
        if locked is None:
            raise NotFound(_("No such table."))
        locked.property = tab.property
        # the tab's parts and any part already paid with this key (keys are unique across
        # tabs), in one read
        rows = list(TabPart.objects.filter(Q(tab=locked) | Q(client_key=client_key)).order_by())
        if done := next((p for p in rows if p.client_key == client_key), None):
            if done.tab_id != tab.pk:
                raise InvalidInput(_("This payment was already used for another table."))
            return PaidPart(part=done, sale=None)
        if locked.status != TableTab.Status.OPEN:
            raise InvalidInput(_("This table is already closed."))
        parts = rows
        # the prices the tab page showed (same quote, kept under the catalog token);
        # the sale quotes the lines again and refuses tenders that do not match
        priced = tab_priced_lines(
            tab=locked, lines=list(locked.lines.all()), parts=parts, cached=True
        )
        balance = tab_balance(priced)
        if balance <= 0:
            raise InvalidInput(_("The table has nothing to pay."))
        allocation: dict[int, Decimal] = {}
        paid_lines: list[PricedLine] = []
        if kind == TabPart.Kind.ITEMS:
            chosen = {int(pk) for pk in line_ids}
            paid_lines = [p for p in priced if p.line.pk in chosen]
            if not chosen or len(paid_lines) != len(chosen):
                raise InvalidInput(_("Choose the items this guest pays."))
            if any(p.paid for p in paid_lines):
                raise InvalidInput(_("One of these items is already paid."))
            due = sum((p.total for p in paid_lines), ZERO)
        elif kind in (TabPart.Kind.AMOUNT, TabPart.Kind.COVER):
            if kind == TabPart.Kind.COVER:
                if locked.split_parts < 2:
                    raise InvalidInput(_("Choose in how many parts to split the bill."))
                done_parts = sum(1 for p in parts if p.kind == TabPart.Kind.COVER)
                amount = cover_part_amount(
                    balance=balance, parts_left=max(1, locked.split_parts - done_parts)
                )
            if amount is None or amount <= 0:
                raise InvalidInput(_("Enter the amount this guest pays."))
            amount = quantize(amount)
            if amount > balance:
                raise InvalidInput(
                    _("%(amount)s is more than what is left to pay (%(balance)s).")
                    % {"amount": money(amount), "balance": money(balance)}
                )
            if amount == balance:
                kind_effective = "rest"
            else:
                kind_effective = "share"
                allocation = _share(priced, amount, balance)
            due = amount
        elif kind == TabPart.Kind.FULL:
            kind_effective = "rest"
            due = balance
        else:
            raise InvalidInput(_("Choose how to split the bill."))
        if kind == TabPart.Kind.ITEMS:
            inputs = [p.input for p in paid_lines]
        elif kind_effective == "rest":
            paid_lines = [p for p in priced if p.outstanding > 0]
            inputs = [p.input if p.paid == 0 else _share_input(p, p.outstanding)
                      for p in paid_lines]  # fmt: skip
        else:
            by_pk = {p.line.pk: p for p in priced}
            inputs = [_share_input(by_pk[pk], value) for pk, value in allocation.items()]
        tenders: list[TenderInput] = tenders_for(due) if tenders_for else []
        written: list[TabPart] = []

        def record_part(order: Order) -> None:
            """The part, its lines and the tab, written with the sale's order before its
            ticket is numbered (see sale_checkout: the other tills wait less)."""
            part = TabPart.objects.create(
                tab=locked,
                kind=kind,
                amount=due,
                allocation={str(pk): str(v) for pk, v in allocation.items()},
                client_key=client_key,
                order=order,
                created_by=actor,
            )
            if paid_lines:
                TabLine.objects.filter(pk__in=[p.line.pk for p in paid_lines]).update(
                    paid_part=part
                )
            if due == balance:
                locked.order = order
                locked.status = TableTab.Status.CLOSED
                locked.closed_at = timezone.now()
                locked.save(update_fields=["order", "status", "closed_at", "updated_at"])
            audit_log(
                action="pos.table.part_paid",
                property=locked.property,
                actor=actor,
                target=locked,
                channel="pos",
                data={
                    "kind": kind,
                    "amount": str(due),
                    "tip": str(tip or ZERO),
                    "order": order.pk,
                    "left": str(balance - due),
                    "table": locked.table.label,
                },
            )
            written.append(part)

        sale = sale_checkout(
            SaleRequest(
                property=locked.property,
                terminal=terminal,
                actor=actor,
                lines=inputs,
                tenders=tenders,
                room_number=room_number,
                reservation=locked.reservation if not room_number else None,
                client_key=f"tab:{client_key}",
                # the shares and discounts are computed here, not typed by the waiter
                allow_price_override=True,
                tip=quantize(tip or ZERO),
                table_label=locked.table.label,
                covers=locked.covers,
                # the dishes as the waiter's menu holds them (cached under the catalog token):
                # the quote needs no catalog query for a table's own dishes
                products=_menu_products(locked.property, inputs),
                # this part's key was looked up above, under the tab's lock
                caller_replays=True,
                on_order=record_part,
            )
        )
        (part,) = written
    return PaidPart(part=part, sale=sale)


def _menu_products(property, inputs: Sequence[QuoteLineInput]) -> dict[int, Product]:
    return table_menu_products(property=property, ids={i.product_id for i in inputs})


def _share_input(p: PricedLine, value: Decimal) -> QuoteLineInput:
    """One unit of the line at `value`: its share of a split bill (same product and VAT)."""
    return QuoteLineInput(
        product_id=p.line.product_id,
        quantity=Decimal("1"),
        modifier_ids=tuple(p.line.modifier_ids),
        note=p.line.note,
        unit_price_override=value,
    )


def tab_set_split(*, tab: TableTab, parts: int, actor) -> TableTab:
    """Split what is left in `parts` equal parts (by cover)."""
    if not 2 <= parts <= 99:
        raise InvalidInput(_("Split in 2 to 99 parts."))
    with transaction.atomic():
        locked = TableTab.objects.select_for_update().get(pk=tab.pk)
        if locked.status != TableTab.Status.OPEN:
            raise InvalidInput(_("This table is already closed."))
        done = locked.parts.filter(kind=TabPart.Kind.COVER).count()
        locked.split_parts = parts + done
        locked.save(update_fields=["split_parts", "updated_at"])
    return locked


def tab_checkout(
    *,
    tab: TableTab,
    terminal: Terminal,
    actor,
    tenders: Sequence[TenderInput] = (),
    room_number: str | None = None,
) -> Order:
    """Pay the whole tab (or charge it to a room) and close the table. Idempotent: a replay
    returns the same Order (the tab's own client_key)."""
    if tab.order_id:
        return tab.order
    paid = tab_pay_part(
        tab=tab,
        terminal=terminal,
        actor=actor,
        kind=TabPart.Kind.FULL,
        tenders_for=(lambda due: list(tenders)) if tenders else None,
        room_number=room_number,
        client_key=str(tab.client_key),
    )
    return paid.part.order
