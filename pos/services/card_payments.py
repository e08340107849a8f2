"""The till's card tender through a card terminal (devices.cards): the amount goes to the
terminal; a payment is recorded only from an approval, and only once per sale."""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.services.payments import TenderInput
from core.exceptions import DomainError
from devices.cards import (
    CardOutcomeUnknown,
    card_charge_start,
    card_charge_wait,
    card_transaction_use,
)
from devices.models import CardTransaction
from pos.models import Order, Terminal


class CardNotApproved(DomainError):
    code = "card_not_approved"
    status_code = 402


class CardStillWaiting(DomainError):
    code = "card_waiting"
    status_code = 409


MESSAGES = {
    CardTransaction.Status.DECLINED: gettext_lazy("The card was declined: nothing was paid."),
    CardTransaction.Status.ABANDONED: gettext_lazy("The payment was abandoned at the terminal."),
    CardTransaction.Status.ERROR: gettext_lazy("The terminal did not carry out the payment."),
    CardTransaction.Status.UNREACHABLE: gettext_lazy(
        "The card terminal cannot be reached: check that it is on, or enter its reference by hand."
    ),
}


@dataclass(frozen=True)
class CardTender:
    tender: TenderInput
    transaction: CardTransaction

    def on_order(self, order: Order) -> None:
        """In the sale's transaction: the approval becomes this sale's, once."""
        card_transaction_use(transaction_id=self.transaction.pk, used_for=order.client_key or "")


def terminal_has_card_reader(terminal: Terminal) -> bool:
    reader = terminal.card_reader
    return reader is not None and reader.is_active


def card_tender_for_sale(
    *, terminal: Terminal, sale_key: str, amount: Decimal, wait: float | None = None
) -> CardTender:
    """Charge `amount` on the terminal's card reader for the sale `sale_key` and wait for
    the answer. Raises CardNotApproved (declined, abandoned, not carried out, unreachable:
    nothing was paid), CardStillWaiting (no answer yet: press Card again, the same attempt
    is waited for), devices.cards.CardOutcomeUnknown."""
    reader = terminal.card_reader
    tx = card_charge_start(reader=reader, reference=sale_key, amount=amount)
    if tx.status != CardTransaction.Status.APPROVED:
        tx = card_charge_wait(
            transaction_id=tx.pk,
            seconds=settings.CARD_TILL_WAIT_SECONDS if wait is None else wait,
        )
    if tx.status == CardTransaction.Status.APPROVED:
        return CardTender(
            tender=TenderInput(method="card", amount=amount, terminal_reference=tx.authorisation),
            transaction=tx,
        )
    if tx.status in CardTransaction.IN_FLIGHT:
        raise CardStillWaiting(
            _(
                "The terminal has not answered yet. When the cardholder is done, press Card "
                "again: the card will not be charged twice."
            )
        )
    if tx.status == CardTransaction.Status.UNKNOWN:
        # sent, and no answer: it may have been paid — flagged, never charged again blindly
        raise CardOutcomeUnknown(
            _(
                "The terminal never answered: check its journal before charging again. If it "
                "was paid, enter its authorisation as the terminal reference."
            )
        )
    raise CardNotApproved(str(MESSAGES.get(tx.status, MESSAGES[CardTransaction.Status.ERROR])))
