"""Gift cards and vouchers with a balance ledger (POS-5, CRM-3, REFERENCE §9.1).

A card is issued by the sale of a gift-card product (pos calls `gift_cards_issue_for_sale`
inside the sale's transaction) or by a campaign; it is redeemed as a tender (pos calls
`gift_card_redeem` before recording the payment, in the same transaction). Every change of
balance is a movement with an idempotency key, written under the card's row lock, so two
tills spending the same card at once are serialised and the second is refused when the
balance no longer covers it.
"""

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.exceptions import DomainError, InvalidInput
from core.models import Property
from core.money import ZERO, quantize
from crm.models import GiftCard, GiftCardMovement, Guest
from inventory.models import GiftCardKind, Product

# no 0/O, 1/I/L: read aloud or typed from a printed receipt
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 16  # 31^16 ≈ 7·10^23: unguessable


class GiftCardRefused(DomainError):
    """A redemption the card does not allow (unknown, expired, used, balance too low)."""

    status_code = 422
    code = "gift_card_refused"


@dataclass(frozen=True)
class GiftCardSaleLine:
    """One sold line of a gift-card product: its product, quantity and unit price incl. VAT
    (the card's value), and a key unique within the sale (the ticket line's pk)."""

    product_id: int
    quantity: int
    unit_price: Decimal
    key: str


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    """What staff type or a scanner reads: spaces and dashes dropped, upper case."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def gift_card_issue(
    *,
    property: Property,
    amount: Decimal,
    kind: str,
    source: str,
    validity_days: int = 365,
    single_use: bool = False,
    revenue_category: str = "",
    guest: Guest | None = None,
    actor=None,
    today: date | None = None,
    percent: Decimal | None = None,
    valid_categories: Sequence[str] = (),
    valid_outlets: Sequence[str] = (),
    campaign=None,
) -> GiftCard:
    """Issue one card worth `amount` (for a percentage voucher: the most it may take off).
    Idempotent by `source`: a second issue for the same source returns the first card (a
    replayed sale or campaign issues nothing new).
    Raises: InvalidInput on a non-positive amount, a percentage outside 0–100 or an unknown
    kind."""
    amount = quantize(Decimal(amount))
    if amount <= 0:
        raise InvalidInput(_("A gift card's amount must be positive."))
    if kind not in GiftCardKind.values:
        raise InvalidInput(_("Unknown kind of gift card."))
    if percent is not None and not (0 < Decimal(percent) <= 100):
        raise InvalidInput(_("A percentage must be more than 0 and at most 100."))
    with transaction.atomic():
        existing = GiftCard.objects.filter(source=source).first()
        if existing is not None:
            return existing
        today = today or property.business_date()
        card = GiftCard.objects.create(
            property=property,
            code=new_code(),
            kind=kind,
            single_use=single_use,
            initial_amount=amount,
            balance=amount,
            revenue_category=revenue_category if kind == GiftCardKind.SINGLE_PURPOSE else "",
            expires_on=today + timedelta(days=validity_days),
            guest=guest,
            source=source[:100],
            percent=percent,
            valid_categories=list(valid_categories),
            valid_outlets=list(valid_outlets),
            campaign=campaign,
        )
        GiftCardMovement.objects.create(
            card=card,
            kind=GiftCardMovement.Kind.ISSUE,
            amount=amount,
            balance_after=amount,
            key="issue",
            reference=source[:100],
            actor=actor if getattr(actor, "pk", None) else None,
        )
        audit_log(
            action="crm.gift_card.issued",
            property=property,
            actor=actor,
            target=card,
            data={"amount": str(amount), "kind": kind, "source": source},
        )
    return card


def gift_cards_issue_for_sale(
    *,
    property: Property,
    lines: Sequence[GiftCardSaleLine],
    products: dict[int, Product],
    reference: str,
    guest: Guest | None = None,
    actor=None,
) -> list[GiftCard]:
    """The cards a sale's gift-card lines issue: one card per unit sold, worth its unit price.
    `products`: the lines' products as the sale priced them (no query here); lines of other
    products are ignored. Runs in the sale's transaction."""
    cards = []
    for line in lines:
        product = products.get(line.product_id)
        if product is None or not product.gift_card_kind:
            continue
        for unit in range(int(line.quantity)):
            cards.append(
                gift_card_issue(
                    property=property,
                    amount=line.unit_price,
                    kind=product.gift_card_kind,
                    source=f"{reference}:{line.key}:{unit}",
                    validity_days=product.gift_card_validity_days,
                    single_use=product.gift_card_single_use,
                    revenue_category=product.revenue_category,
                    guest=guest,
                    actor=actor,
                )
            )
    return cards


def gift_card_redeem(
    *,
    property: Property,
    code: str,
    amount: Decimal,
    key: str,
    reference: str = "",
    categories: Sequence[str] = (),
    spend: Mapping[str, Decimal] | None = None,
    outlet: str = "",
    actor=None,
) -> GiftCard:
    """Spend `amount` of the card `code` (a tender). Locks the card's row for the rest of the
    caller's transaction: a concurrent redemption waits and then sees the lower balance.
    `categories`: the revenue categories of what is bought (a single-purpose card buys only
    its own). `spend`: what is bought, per revenue category (a voucher valid for some
    categories, or worth a percentage, takes off at most its share of them); `outlet`: where
    (a voucher valid at some outlets only). Idempotent by `key`: a replay returns the card
    unchanged.
    Raises: GiftCardRefused (unknown, other property, expired, used, not valid for this
    purchase, balance too low), InvalidInput on a non-positive amount."""
    amount = quantize(Decimal(amount))
    if amount <= 0:
        raise InvalidInput(_("The gift card amount must be positive."))
    code = normalise_code(code)
    with transaction.atomic():
        card = (
            GiftCard.objects.select_for_update(of=("self",))
            .filter(code=code, property=property)
            .order_by()
            .first()
        )
        if card is None:
            raise GiftCardRefused(_("No gift card or voucher has this code here."))
        if GiftCardMovement.objects.filter(card=card, key=key).exists():
            return card
        if card.status == GiftCard.Status.USED or (
            card.single_use and card.balance < card.initial_amount
        ):
            raise GiftCardRefused(_("This voucher has already been used."))
        if card.status != GiftCard.Status.ACTIVE:
            raise GiftCardRefused(
                _("This gift card is %(status)s.") % {"status": card.get_status_display().lower()}
            )
        if card.expires_on < property.business_date():
            raise GiftCardRefused(
                _("This gift card expired on %(date)s.") % {"date": card.expires_on.isoformat()}
            )
        if card.revenue_category and any(c != card.revenue_category for c in categories):
            raise GiftCardRefused(_("This voucher is valid only for what it was sold for."))
        if card.valid_outlets and outlet not in card.valid_outlets:
            raise GiftCardRefused(
                _("This voucher is valid only at %(outlets)s.")
                % {"outlets": ", ".join(card.valid_outlets)}
            )
        if card.valid_categories or card.percent is not None:
            spend = dict(spend or {})
            eligible = sum(
                (
                    total
                    for category, total in spend.items()
                    if not card.valid_categories or category in card.valid_categories
                ),
                ZERO,
            )
            if eligible <= 0:
                raise GiftCardRefused(_("This voucher is not valid for what is bought."))
            limit = eligible
            if card.percent is not None:
                limit = quantize(eligible * card.percent / Decimal(100))
            if amount > limit:
                raise GiftCardRefused(
                    _("This voucher takes off at most %(limit)s € on this purchase.")
                    % {"limit": limit},
                    extra={"limit": str(limit)},
                )
        if amount > card.balance:
            raise GiftCardRefused(
                _("The gift card's balance (%(balance)s €) does not cover %(amount)s €.")
                % {"balance": card.balance, "amount": amount},
                extra={"balance": str(card.balance)},
            )
        card.balance -= amount
        update = ["balance"]
        if card.single_use or card.balance == ZERO:
            card.status = GiftCard.Status.USED
            update.append("status")
        card.save(update_fields=update)
        GiftCardMovement.objects.create(
            card=card,
            kind=GiftCardMovement.Kind.REDEEM,
            amount=-amount,
            balance_after=card.balance,
            key=key[:120],
            reference=reference[:100],
            actor=actor if getattr(actor, "pk", None) else None,
        )
    return card


def gift_cards_credit_back(
    *, reference: str, key_prefix: str = "refund", actor=None
) -> list[GiftCard]:
    """Give back what the redemptions recorded under `reference` took (a refunded sale).
    Idempotent: a card already credited back for that reference gets nothing new."""
    cards = []
    with transaction.atomic():
        redeemed = list(
            GiftCardMovement.objects.filter(
                reference=reference, kind=GiftCardMovement.Kind.REDEEM
            ).order_by("card_id", "pk")
        )
        for movement in redeemed:
            card = GiftCard.objects.select_for_update(of=("self",)).get(pk=movement.card_id)
            key = f"{key_prefix}:{movement.pk}"
            if GiftCardMovement.objects.filter(card=card, key=key).exists():
                continue
            card.balance += -movement.amount
            card.status = GiftCard.Status.ACTIVE
            card.save(update_fields=["balance", "status"])
            GiftCardMovement.objects.create(
                card=card,
                kind=GiftCardMovement.Kind.REFUND,
                amount=-movement.amount,
                balance_after=card.balance,
                key=key,
                reference=reference,
                actor=actor if getattr(actor, "pk", None) else None,
            )
            cards.append(card)
    return cards


def gift_cards_cancel_for_sale(*, reference: str, actor=None) -> list[GiftCard]:
    """Cancel the cards a refunded sale issued (`reference`: the sale's). Locks them.
    Idempotent. Raises GiftCardRefused when one of them was already spent (even in part):
    the sale is not refunded then."""
    with transaction.atomic():
        cards = list(
            GiftCard.objects.select_for_update()
            .filter(source__startswith=f"{reference}:")
            .order_by("pk")
        )
        if any(c.balance < c.initial_amount for c in cards):
            raise GiftCardRefused(
                _("A gift card sold with this sale has been used: the sale cannot be refunded.")
            )
        for card in cards:
            if card.status == GiftCard.Status.CANCELLED:
                continue
            GiftCardMovement.objects.create(
                card=card,
                kind=GiftCardMovement.Kind.CANCEL,
                amount=-card.balance,
                balance_after=ZERO,
                key="cancel",
                reference=reference,
                actor=actor if getattr(actor, "pk", None) else None,
            )
            card.balance = ZERO
            card.status = GiftCard.Status.CANCELLED
            card.save(update_fields=["balance", "status"])
    return cards


def gift_cards_expire(*, property: Property, today: date | None = None) -> int:
    """Close the cards of `property` past their date: an "expire" movement takes what is
    left (booked as breakage by the accountant, REFERENCE §9.1 [UNCERTAIN]). Returns how many
    cards expired. Idempotent (key "expire")."""
    today = today or property.business_date()
    count = 0
    with transaction.atomic():
        for card in (
            GiftCard.objects.select_for_update()
            .filter(property=property, status=GiftCard.Status.ACTIVE, expires_on__lt=today)
            .order_by("pk")
        ):
            left = card.balance
            card.balance = ZERO
            card.status = GiftCard.Status.EXPIRED
            card.save(update_fields=["balance", "status"])
            GiftCardMovement.objects.get_or_create(
                card=card,
                key="expire",
                defaults={
                    "kind": GiftCardMovement.Kind.EXPIRE,
                    "amount": -left,
                    "balance_after": ZERO,
                },
            )
            count += 1
    return count
