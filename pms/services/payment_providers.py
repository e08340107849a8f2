"""Payment providers of the booking engine (BE-3): a small pluggable interface.

A provider turns a held booking into a confirmed one. `start()` returns what the guest sees
(instructions, or the URL of a hosted payment page for an online provider); a synchronous
provider returns `confirmed=True` at once. Register more with `register()`.
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


class BankTransferDeposit(PaymentProvider):
    code = "bank_transfer"
    label = gettext_lazy("Deposit by bank transfer")
    deposit_percent = Decimal("30")

    def start(self, *, reservation) -> PaymentStart:
        deposit = quantize(
            reservation.total_price * self.deposit_percent / 100, reservation.property.currency
        )
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
    return list(_PROVIDERS.values())


def provider_for(code: str) -> PaymentProvider | None:
    return _PROVIDERS.get(code)


register(PayAtProperty())
register(BankTransferDeposit())
