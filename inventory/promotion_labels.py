"""Every discount named where it applies (PRC-2): the booking summary, the confirmation
e-mail, the folio, the receipt and the invoice show, on a discounted line, the promotion's
name, the list price and the discount.

Sold lines keep what the quote applied in `applied_rule` ("rate:web promo:brk20"), a field of
the sealed line snapshot: the promotion is found again by its code (unique per property), so
no fiscal field changes. The discount comes from the line when it stores one (a ticket line),
else it is recomputed from the promotion's percentage or amount off."""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from core.money import ZERO, quantize
from inventory.models import Promotion

_PROMO = re.compile(r"promo:([\w-]+)")


@dataclass(frozen=True)
class LineDiscount:
    """What a guest reads under a discounted line."""

    name: str
    list_total: Decimal
    discount: Decimal


def promotion_codes(applied_rule: str) -> list[str]:
    return _PROMO.findall(applied_rule or "")


def _list_total(total: Decimal, quantity: Decimal, promo: Promotion) -> Decimal:
    """The price before the promotion, from the price after it (the quote's own formula
    reversed: price × (100 − percent) / 100 − amount)."""
    before = total
    if promo.amount_off is not None:
        before += promo.amount_off * quantity
    if promo.percent_off is not None and promo.percent_off < 100:
        before = before * Decimal(100) / (Decimal(100) - promo.percent_off)
    return quantize(before)


def discounts_for(*, property_id: int, lines: Iterable) -> list:
    """Set `promotion_discount` (a LineDiscount, or None) on each line that has
    `applied_rule`, `total` and `quantity` (and optionally `discount`); one query for all.
    Returns the lines, for use in a template context."""
    lines = list(lines)
    codes = {code for line in lines for code in promotion_codes(getattr(line, "applied_rule", ""))}
    promos = (
        {p.code: p for p in Promotion.objects.filter(property_id=property_id, code__in=codes)}
        if codes
        else {}
    )
    for line in lines:
        line.promotion_discount = None
        found = [
            promos[c] for c in promotion_codes(getattr(line, "applied_rule", "")) if c in promos
        ]
        if not found:
            continue
        promo = found[0]
        quantity = Decimal(getattr(line, "quantity", 1) or 1)
        stored = getattr(line, "discount", None)
        if stored:
            list_total = line.total + stored
        else:
            list_total = _list_total(line.total, quantity, promo)
        discount = list_total - line.total
        if discount > ZERO:
            line.promotion_discount = LineDiscount(promo.name, list_total, discount)
    return lines
