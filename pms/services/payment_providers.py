"""Payment providers of the booking engine (BE-3): a small pluggable interface.

A provider turns a held booking into a confirmed one. `start()` returns what the guest sees
(instructions, or the URL of a hosted payment page for an online provider); a synchronous
provider returns `confirmed=True` at once. Register more with `register()`.

An online provider (`online = True`, the card provider of pms.services.online_payments) is
never asked inside the booking's transaction: the booking engine creates its payment intent
before, and confirms the booking when the provider says the deposit is paid.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.formatting import money
from core.money import quantize


@dataclass(frozen=True)
class PaymentStart:
    confirmed: bool
    instructions: str
    amount_due_now: Decimal
    redirect_url: str = ""


class PaymentProvider(ABC):
    """The interface a payment provider implements (pay at the property, bank transfer, a
    card acquirer later): `start` says what the guest must do and whether the booking is
    confirmed at once."""

    code: str = ""
    label = ""
    online = False

    def available(self) -> bool:
        """Offered to the guest (an online provider needs its keys configured)."""
        return True

    @abstractmethod
    def start(self, *, reservation) -> PaymentStart: ...


class PayAtProperty(PaymentProvider):
    code = "at_property"
    label = gettext_lazy("Pay at the property")

    def start(self, *, reservation) -> PaymentStart:
        return PaymentStart(
            confirmed=True,
            instructions=_("You pay %(amount)s at the property.")
            % {"amount": money(reservation.total_price, reservation.property.currency)},
            amount_due_now=Decimal("0"),
        )


DEPOSIT_PERCENT = Decimal("30")


def amount_due_online(reservation) -> Decimal:
    """What the booking engine asks the guest to pay now: the rate plan's deposit
    (pms.services.policies.deposit_due) when its guarantee is a deposit, otherwise the
    engine's default of 30 % of the stay (a booking engine sale is always secured)."""
    from inventory.models import RatePlan
    from pms.services.policies import deposit_due, reservation_policy

    if reservation_policy(reservation).get("guarantee") == RatePlan.Guarantee.DEPOSIT:
        return deposit_due(reservation)
    return quantize(reservation.total_price * DEPOSIT_PERCENT / 100, reservation.property.currency)


class BankTransferDeposit(PaymentProvider):
    code = "bank_transfer"
    label = gettext_lazy("Deposit by bank transfer")
    deposit_percent = DEPOSIT_PERCENT

    def start(self, *, reservation) -> PaymentStart:
        deposit = amount_due_online(reservation)
        return PaymentStart(
            confirmed=True,
            instructions=_(
                "Please transfer a deposit of %(amount)s %(currency)s within 7 days, "
                "with the reference %(reference)s."
            )
            % {
                "amount": deposit,
                "currency": reservation.property.currency,
                "reference": reservation.reference,
            },
            amount_due_now=deposit,
        )


_PROVIDERS: dict[str, PaymentProvider] = {}


def register(provider: PaymentProvider) -> None:
    _PROVIDERS[provider.code] = provider


def providers() -> list[PaymentProvider]:
    """The providers offered to the guest now."""
    return [p for p in _PROVIDERS.values() if p.available()]


def provider_for(code: str) -> PaymentProvider | None:
    return _PROVIDERS.get(code)


class OnlineCard(PaymentProvider):
    """A deposit by card on the provider's page (Stripe-style PaymentIntents). Offered when
    PAYMENT_PROVIDER_SECRET_KEY is set; `start` is the confirmation's text once paid (the
    payment itself is pms.services.online_payments: intent, webhook, refunds)."""

    code = "card_online"
    label = gettext_lazy("Deposit by card, online")
    online = True

    def available(self) -> bool:
        from django.conf import settings

        return bool(settings.PAYMENT_PROVIDER_SECRET_KEY)

    def start(self, *, reservation) -> PaymentStart:
        deposit = amount_due_online(reservation)
        return PaymentStart(
            confirmed=True,
            instructions=_("Your deposit of %(amount)s was paid by card.")
            % {"amount": money(deposit, reservation.property.currency)},
            amount_due_now=deposit,
        )


register(PayAtProperty())
register(BankTransferDeposit())
register(OnlineCard())
