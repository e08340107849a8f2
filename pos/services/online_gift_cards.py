"""Gift cards bought in the booking engine (issue 24, POS-5 online), paid on the card
provider's page through the booking engine's gateway (pms.services.payment_gateway).

1. The manager chooses which amounts of which gift-card products are offered online
   (`online_gift_card_offers_set`, /manage/gift-cards-online/).
2. `online_gift_card_start`: the PaymentIntent is created at the provider (HTTP, outside any
   transaction, the provider's idempotency key being the form's key), then the purchase is
   recorded; the buyer goes to the provider's page.
3. The provider says the outcome by its signed webhook (`online_gift_card_intent_seen`, a
   listener registered with pms.services.online_payments: a worker reads the intent back) or
   the buyer comes back (`online_gift_card_refresh`). Both end in `_issue`, which locks the
   purchase and, only when the provider says `succeeded`, makes the sale on the reception's
   till (`sale_checkout`: ticket, card payment, journal, the card issued, its e-mail with code
   and QR in the outbox) — once, whatever the retries. A declined card issues nothing (the
   buyer may try another card); a cancelled or abandoned payment expires the purchase
   (`online_gift_cards_expire`), and nothing is issued.
"""

import logging
import re
from decimal import Decimal

from django.conf import settings
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.services.payments import TenderInput
from core.audit import audit_log
from core.exceptions import DomainError, InvalidInput, NotFound
from core.models import Property
from core.outbox import outbox_enqueue
from crm.models import GiftCard
from crm.selectors import gift_cards_issued_by
from crm.services import guest_create
from crm.services.gift_card_emails import gift_card_email_request
from inventory.models import GiftCardKind, Product
from inventory.services.pricing import QuoteLineInput
from pos.models import OnlineGiftCardOffer, OnlineGiftCardPurchase
from pos.services.checkout import SaleRequest, order_stored_value_reference, sale_checkout
from pos.services.gift_card_sales import desk_gift_card_products, desk_terminal, parse_amount

logger = logging.getLogger(__name__)
REFRESH_TASK = "pos.tasks.online_gift_card_refresh_task"
# a purchase whose payment was not completed within this time expires (its intent cancelled)
PAYMENT_WINDOW_MINUTES = 60
MAX_OFFERS_PER_PRODUCT = 12


def _gateway():
    from pms.services.payment_gateway import PaymentGateway

    return PaymentGateway.from_settings()


def online_gift_cards_available(*, property: Property) -> bool:
    """Cards can be bought online: a card provider is configured and the property has a
    reception till (where the sale is rung)."""
    if not settings.PAYMENT_PROVIDER_SECRET_KEY:
        return False
    try:
        desk_terminal(property=property)
    except NotFound:
        return False
    return True


def online_gift_card_offers(*, property: Property) -> list[OnlineGiftCardOffer]:
    """The active offers of the property's sellable gift-card products, cheapest first
    (one query)."""
    return list(
        OnlineGiftCardOffer.objects.select_related("product")
        .filter(property=property, is_active=True)
        .filter(product__in=desk_gift_card_products(property=property))
        .order_by("product__price", "product_id", "amount")
    )


def parse_amounts(raw: str) -> list[Decimal]:
    """ "25, 50; 100" → [25.00, 50.00, 100.00] (sorted, without repeats). Raises InvalidInput."""
    # spaces, semicolons and ", " separate amounts; "49,90" is one amount
    items = [t.strip(",") for t in re.split(r"[;\s]+|,(?=\s)", raw or "")]
    items = [t for t in items if t and t != "€"]
    amounts = sorted({parse_amount(item) for item in items})
    if len(amounts) > MAX_OFFERS_PER_PRODUCT:
        raise InvalidInput(
            _("Offer at most %(count)s amounts of one gift card.")
            % {"count": MAX_OFFERS_PER_PRODUCT}
        )
    return amounts


def online_gift_card_offers_set(
    *, property: Property, product_id: int, amounts: list[Decimal], actor
) -> list[OnlineGiftCardOffer]:
    """The amounts of one gift-card product offered online (an empty list: none). Amounts no
    longer offered are switched off (a purchase may name them). Raises NotFound (not one of
    the property's gift-card products)."""
    product = desk_gift_card_products(property=property).filter(pk=product_id).first()
    if product is None:
        raise NotFound(_("Choose a gift card."))
    with transaction.atomic():
        existing = {
            o.amount: o
            for o in OnlineGiftCardOffer.objects.select_for_update().filter(product=product)
        }
        for amount, offer in existing.items():
            active = amount in amounts
            if offer.is_active != active:
                offer.is_active = active
                offer.save(update_fields=["is_active", "updated_at"])
        for amount in amounts:
            if amount not in existing:
                OnlineGiftCardOffer.objects.create(
                    property=property, product=product, amount=amount
                )
        audit_log(
            action="pos.gift_card.online_offers_set",
            property=property,
            actor=actor,
            target=product,
            data={"amounts": [str(a) for a in amounts]},
        )
    return [o for o in online_gift_card_offers(property=property) if o.product_id == product.pk]


def _clean_email(value: str, *, field: str, message: str) -> str:
    value = (value or "").strip().lower()
    try:
        validate_email(value)
    except Exception:
        raise InvalidInput(message, extra={"field": field})
    return value


def online_gift_card_start(
    *,
    property: Property,
    offer_id: int,
    buyer_first_name: str,
    buyer_last_name: str,
    buyer_email: str,
    recipient_name: str,
    recipient_email: str,
    language: str,
    client_key: str,
    return_url: str,
) -> tuple[OnlineGiftCardPurchase, str]:
    """Start paying an offer: returns the purchase and the provider's page (`return_url`
    names the purchase with `{public_id}`). Idempotent on `client_key` (the form's key): a
    double tap pays one intent. Raises InvalidInput (names, e-mails), NotFound (the offer),
    OnlinePaymentUnavailable (no provider, no reception till, the provider unreachable)."""
    from pms.services.online_payments import OnlinePaymentUnavailable, from_cents, to_cents
    from pms.services.payment_gateway import GatewayError

    client_key = (client_key or "").strip()[:60]
    if not client_key:
        raise InvalidInput(_("Reload the page and try again."))
    offer = next((o for o in online_gift_card_offers(property=property) if o.pk == offer_id), None)
    if offer is None:
        raise NotFound(_("Choose a gift card."), extra={"field": "offer"})
    first, last = (buyer_first_name or "").strip()[:100], (buyer_last_name or "").strip()[:100]
    if not last:
        raise InvalidInput(_("Enter your last name."), extra={"field": "last_name"})
    email = _clean_email(buyer_email, field="email", message=_("Your e-mail is not valid."))
    recipient_email = (recipient_email or "").strip()
    if recipient_email:
        recipient_email = _clean_email(
            recipient_email,
            field="recipient_email",
            message=_("The recipient's e-mail is not valid."),
        )
    if not online_gift_cards_available(property=property):
        raise OnlinePaymentUnavailable(_("Gift cards cannot be bought online at the moment."))
    key = f"gift-online:{client_key}"
    gateway = _gateway()
    found = OnlineGiftCardPurchase.objects.filter(property=property, client_key=key).first()
    try:
        if found is not None:
            back = return_url.format(public_id=found.public_id)
            if found.status != OnlineGiftCardPurchase.Status.AWAITING_PAYMENT:
                return found, back
            return found, gateway.hosted_page_url(
                gateway.intent_retrieve(found.intent_id), return_url=back
            )
        intent = gateway.intent_create(
            amount_cents=to_cents(offer.amount),
            currency=property.currency,
            metadata={"gift_card": client_key, "property": property.slug},
            idempotency_key=f"auberge-{key}",
        )
    except GatewayError as exc:
        logger.warning("gift card intent for %s failed: %s", property.slug, exc)
        raise OnlinePaymentUnavailable(
            _("Online payment is not available at the moment. Please try again in a minute.")
        )
    try:
        with transaction.atomic():
            purchase = OnlineGiftCardPurchase.objects.create(
                property=property,
                offer=offer,
                amount=from_cents(intent["amount"]),
                client_key=key,
                buyer_first_name=first,
                buyer_last_name=last,
                buyer_email=email,
                recipient_name=(recipient_name or "").strip()[:200],
                recipient_email=recipient_email,
                language=language if language in ("fr", "en") else "fr",
                intent_id=intent["id"],
            )
    except IntegrityError:  # a double tap recorded it first (the same key: the same intent)
        purchase = OnlineGiftCardPurchase.objects.get(client_key=key)
    back = return_url.format(public_id=purchase.public_id)
    return purchase, gateway.hosted_page_url(intent, return_url=back)


def online_gift_card_cards(purchase: OnlineGiftCardPurchase) -> list[GiftCard]:
    """The card(s) a paid purchase issued."""
    if purchase.order_id is None:
        return []
    return gift_cards_issued_by(reference=order_stored_value_reference(purchase.order))


def online_gift_card_refresh(*, purchase: OnlineGiftCardPurchase) -> OnlineGiftCardPurchase:
    """Ask the provider about a purchase awaiting its payment (HTTP, outside any
    transaction) and apply the answer: succeeded → the card is issued (once); a decline is
    kept to show the buyer; cancelled → the purchase expires. Unreachable provider: the
    purchase is left as it is (the webhook or the next look tells)."""
    from pms.services.payment_gateway import GatewayError

    if purchase.status != OnlineGiftCardPurchase.Status.AWAITING_PAYMENT:
        return purchase
    try:
        intent = _gateway().intent_retrieve(purchase.intent_id)
    except GatewayError as exc:
        logger.warning("gift card intent %s not read: %s", purchase.intent_id, exc)
        return purchase
    return _apply(purchase=purchase, intent=intent)


def _apply(*, purchase: OnlineGiftCardPurchase, intent: dict) -> OnlineGiftCardPurchase:
    status = intent.get("status", "")
    if status == "succeeded":
        return _issue(purchase=purchase, intent=intent)
    if status == "canceled":
        OnlineGiftCardPurchase.objects.filter(
            pk=purchase.pk, status=OnlineGiftCardPurchase.Status.AWAITING_PAYMENT
        ).update(status=OnlineGiftCardPurchase.Status.EXPIRED, updated_at=timezone.now())
    else:
        error = intent.get("last_payment_error")
        message = (error.get("message") or "")[:300] if isinstance(error, dict) else ""
        if message != purchase.decline_message:
            OnlineGiftCardPurchase.objects.filter(pk=purchase.pk).update(decline_message=message)
    purchase.refresh_from_db()
    return purchase


def _issue(*, purchase: OnlineGiftCardPurchase, intent: dict) -> OnlineGiftCardPurchase:
    """The provider says paid: the sale on the reception's till under the purchase's lock,
    so the return page, the webhook's worker and their retries issue one card. Should the
    sale be refused (no reception till any more), nothing is issued and the card is
    refunded in full."""
    from billing.models import Payment
    from pms.services.online_payments import to_cents
    from pms.services.payment_gateway import GatewayError
    from pos.services.guest_orders import guest_actor

    try:
        with transaction.atomic():
            locked = (
                OnlineGiftCardPurchase.objects.select_for_update()
                .select_related("property", "offer__product")
                .get(pk=purchase.pk)
            )
            if locked.status != OnlineGiftCardPurchase.Status.AWAITING_PAYMENT:
                return locked  # issued (or refused) by the other path
            prop = locked.property
            actor = guest_actor()
            buyer = guest_create(
                organization=prop.organization,
                first_name=locked.buyer_first_name,
                last_name=locked.buyer_last_name,
                email=locked.buyer_email,
                language=locked.language,
                actor=None,
            )
            sale = sale_checkout(
                SaleRequest(
                    property=prop,
                    terminal=desk_terminal(property=prop),
                    actor=actor,
                    lines=[
                        QuoteLineInput(
                            product_id=locked.offer.product_id,
                            quantity=Decimal(1),
                            unit_price_override=locked.amount,
                        )
                    ],
                    tenders=[
                        TenderInput(
                            method=Payment.Method.CARD,
                            amount=locked.amount,
                            terminal_reference=locked.intent_id,
                        )
                    ],
                    guest=buyer,
                    client_key=locked.client_key,
                    allow_price_override=True,
                    caller_replays=True,
                )
            )
            cards = list(sale.gift_cards or [])
            locked.order = sale.order
            locked.status = OnlineGiftCardPurchase.Status.PAID
            locked.decline_message = ""
            locked.save(update_fields=["order", "status", "decline_message", "updated_at"])
            recipients = [
                e for e in dict.fromkeys([locked.buyer_email, locked.recipient_email]) if e
            ]
            gift_card_email_request(
                cards=cards,
                to=recipients,
                language=locked.language,
                buyer=buyer,
                recipient_name=locked.recipient_name,
            )
            audit_log(
                action="pos.gift_card.sold_online",
                property=prop,
                actor=None,
                target=sale.order,
                data={"intent": locked.intent_id, "amount": str(locked.amount)},
            )
            return locked
    except DomainError as exc:
        OnlineGiftCardPurchase.objects.filter(
            pk=purchase.pk, status=OnlineGiftCardPurchase.Status.AWAITING_PAYMENT
        ).update(
            status=OnlineGiftCardPurchase.Status.REFUSED,
            decline_message=str(exc.message)[:300],
            updated_at=timezone.now(),
        )
        try:  # after the rollback: the money goes back, nothing was sold
            _gateway().refund_create(
                intent_id=purchase.intent_id,
                amount_cents=to_cents(purchase.amount),
                reason="requested_by_customer",
                idempotency_key=f"auberge-refund-{purchase.client_key}",
            )
        except GatewayError as refund_error:
            logger.warning("refund of gift card %s failed: %s", purchase.intent_id, refund_error)
        purchase.refresh_from_db()
        return purchase


def online_gift_card_intent_seen(intent: dict, event_type: str) -> None:
    """The provider's verified webhook about an intent that is no reservation's: when it is
    a gift card's, a worker reads it back and applies it (`online_gift_card_refresh_by_id`),
    so a buyer who paid and closed the page gets the card. Called in the transaction that
    records the event (the task leaves through the outbox); other intents are ignored."""
    if event_type not in ("payment_intent.succeeded", "payment_intent.canceled"):
        return
    purchase = (
        OnlineGiftCardPurchase.objects.filter(
            intent_id=str(intent.get("id", "")),
            status=OnlineGiftCardPurchase.Status.AWAITING_PAYMENT,
        )
        .select_related("property")
        .first()
    )
    if purchase is not None:
        outbox_enqueue(
            task=REFRESH_TASK, kwargs={"purchase_id": purchase.pk}, property=purchase.property
        )


def online_gift_card_refresh_by_id(*, purchase_id: int) -> str:
    """The worker's side of the webhook: the purchase's status after the refresh."""
    purchase = OnlineGiftCardPurchase.objects.filter(pk=purchase_id).first()
    if purchase is None:
        return ""
    return online_gift_card_refresh(purchase=purchase).status


def online_gift_cards_expire(*, now=None) -> int:
    """Beat: purchases not paid within PAYMENT_WINDOW_MINUTES have their intent cancelled at
    the provider (outside any transaction, one idempotency key per intent) and expire; one
    paid meanwhile (the provider refuses the cancel) is issued as usual. Returns how many
    expired."""
    from datetime import timedelta

    from pms.services.payment_gateway import GatewayError

    now = now or timezone.now()
    due = OnlineGiftCardPurchase.objects.filter(
        status=OnlineGiftCardPurchase.Status.AWAITING_PAYMENT,
        created_at__lt=now - timedelta(minutes=PAYMENT_WINDOW_MINUTES),
    ).order_by("pk")[:200]
    expired = 0
    gateway = _gateway()
    for purchase in list(due):
        try:
            intent = gateway.intent_cancel(
                purchase.intent_id, idempotency_key=f"auberge-cancel-{purchase.intent_id}"
            )
        except GatewayError as exc:
            if exc.retryable:
                continue  # the next run tries again
            try:
                intent = gateway.intent_retrieve(purchase.intent_id)
            except GatewayError:
                continue
        if _apply(purchase=purchase, intent=intent).status == OnlineGiftCardPurchase.Status.EXPIRED:
            expired += 1
    return expired


def gift_card_products_for_online(*, property: Property) -> list[tuple[Product, list]]:
    """The manager's screen: each sellable gift-card product with its amounts offered online
    (two queries)."""
    products = list(desk_gift_card_products(property=property))
    offers: dict[int, list] = {}
    for offer in OnlineGiftCardOffer.objects.filter(
        property=property, is_active=True, product__in=products
    ).order_by("amount"):
        offers.setdefault(offer.product_id, []).append(offer.amount)
    return [(p, offers.get(p.pk, [])) for p in products]


def kind_label(product: Product) -> str:
    """What the buyer is told of a card (REFERENCE §9.1)."""
    if product.gift_card_kind == GiftCardKind.MULTI_PURPOSE:
        return _("Valid for anything at the hotel")
    return _("Valid for: %(name)s") % {"name": product.name}


def gift_cards_booking_link(property: Property, language: str):
    """The engine's first page links to the gift cards when some are on sale online (a
    source of pms.booking_links, registered in pos/apps.py)."""
    from django.urls import reverse

    if not online_gift_cards_available(property=property):
        return None
    if not online_gift_card_offers(property=property):
        return None
    url = reverse("gift_cards_online:offers", kwargs={"slug": property.slug})
    return _("Offer a gift card"), f"{url}?lang={language}"
