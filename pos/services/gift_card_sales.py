"""Gift cards sold at the front desk (issue 24, POS-5): an amount, a buyer, an optional
recipient, paid by a tender. It is an ordinary fiscal sale of the property's gift-card product
through `sale_checkout` (the ticket, the journal, the card issued in the sale's transaction,
one card per sale), rung on the reception's till, so the desk and the POS can never disagree;
the card's code and QR go to the buyer (and the recipient) by e-mail through the outbox.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from billing.services.payments import TenderInput
from core.exceptions import InvalidInput, NotFound
from core.models import Property
from core.money import amount_text, quantize
from crm.models import GiftCard
from crm.selectors import gift_cards_issued_by
from crm.services import guest_create
from crm.services.gift_card_emails import gift_card_email_request
from inventory.models import GiftCardKind, Product
from inventory.services.pricing import QuoteLineInput
from pos.models import Order, Outlet, Terminal
from pos.services.checkout import SaleRequest, order_stored_value_reference, sale_checkout

MAX_GIFT_CARD = Decimal("5000.00")
DESK_TENDERS = ("card", "cash", "cheque", "bank_transfer")


@dataclass(frozen=True)
class DeskGiftCardSale:
    order: object
    cards: list[GiftCard]
    replayed: bool


def desk_gift_card_products(*, property: Property):
    """The property's gift-card products the desk may sell (one query)."""
    return (
        Product.objects.filter(property=property, is_active=True, gift_card_kind__gt="")
        .exclude(gift_card_kind=GiftCardKind.PROMOTIONAL)  # given by campaigns, never sold
        .order_by("price", "code")
    )


def desk_terminal(*, property: Property) -> Terminal:
    """The reception's till: the desk's sales are rung there (its ticket numbering, its Z).
    Raises NotFound when the property has none."""
    terminal = (
        Terminal.objects.select_related("outlet")
        .filter(property=property, is_active=True, outlet__kind=Outlet.Kind.RECEPTION)
        .order_by("pk")
        .first()
    )
    if terminal is None:
        raise NotFound(_("No reception till is set up: add one in the back office first."))
    return terminal


def parse_amount(raw: str) -> Decimal:
    """What the clerk typed ("50", "49,90", "50 €"). Raises InvalidInput."""
    text = amount_text(raw)
    try:
        amount = quantize(Decimal(text))
    except (InvalidOperation, ValueError):
        raise InvalidInput(_("Enter the card's amount, such as 50."), extra={"field": "amount"})
    if not (Decimal("1.00") <= amount <= MAX_GIFT_CARD):
        raise InvalidInput(
            _("A gift card is worth between 1 € and %(max)s €.") % {"max": int(MAX_GIFT_CARD)},
            extra={"field": "amount"},
        )
    return amount


def desk_gift_card_sell(
    *,
    property: Property,
    actor,
    product_id: int,
    amount: Decimal,
    buyer_first_name: str,
    buyer_last_name: str,
    buyer_email: str,
    recipient_email: str,
    method: str,
    reference: str,
    client_key: str,
    language: str = "fr",
    print_receipt: bool = False,
) -> DeskGiftCardSale:
    """Sell one gift card worth `amount` at the desk: the buyer's profile, the sale (ticket,
    payment, card) and the e-mail's outbox row in one transaction. The amount is the card's
    value and what the buyer pays (the product's price is only its default), so the price
    override is allowed for a gift-card product only.
    Idempotent on `client_key` (the form's key): a double tap returns the first sale.
    Raises: InvalidInput (bad amount, tender, e-mail, name), NotFound (product, till),
    PaymentInvalid (a card without its terminal's reference)."""
    product = desk_gift_card_products(property=property).filter(pk=product_id).first()
    if product is None:
        raise NotFound(_("Choose a gift card."))
    if method not in DESK_TENDERS:
        raise InvalidInput(_("Choose how the buyer pays."), extra={"field": "method"})
    recipient_email = (recipient_email or "").strip().lower()
    if recipient_email and ("@" not in recipient_email or len(recipient_email) > 254):
        raise InvalidInput(
            _("The recipient's e-mail is not valid."), extra={"field": "recipient_email"}
        )
    terminal = desk_terminal(property=property)
    key = f"desk-gift:{client_key}"[:100] if client_key else None
    if key and (first := Order.objects.filter(property=property, client_key=key).first()):
        # a double tap, or the form sent again: the first sale is the answer
        cards = gift_cards_issued_by(reference=order_stored_value_reference(first))
        return DeskGiftCardSale(order=first, cards=cards, replayed=True)
    with transaction.atomic():
        buyer = guest_create(
            organization=property.organization,
            first_name=buyer_first_name,
            last_name=buyer_last_name,
            email=buyer_email,
            language=language if language in ("fr", "en") else "fr",
            actor=actor,
        )
        sale = sale_checkout(
            SaleRequest(
                property=property,
                terminal=terminal,
                actor=actor,
                lines=[
                    QuoteLineInput(
                        product_id=product.pk, quantity=Decimal(1), unit_price_override=amount
                    )
                ],
                tenders=[
                    TenderInput(
                        method=method, amount=amount, terminal_reference=(reference or "")[:60]
                    )
                ],
                guest=buyer,
                client_key=key,
                allow_price_override=True,
                print_receipt=print_receipt,  # the code and its QR on the paper
            )
        )
        cards = list(sale.gift_cards or [])
        recipients = [e for e in dict.fromkeys([buyer.email, recipient_email]) if e]
        if cards and recipients:
            gift_card_email_request(
                cards=cards, to=recipients, language=buyer.language, buyer=buyer, actor=actor
            )
    return DeskGiftCardSale(order=sale.order, cards=cards, replayed=sale.replayed)
