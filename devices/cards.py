"""Card payments through a terminal: start a charge for a sale, wait for the answer.

The exchange with the terminal runs in a Celery task (`devices.tasks.card_exchange_task`,
through the outbox): it may take minutes, and it must outlive a till that stops waiting.
`card_charge` is what the till calls: idempotent per sale reference — a retry while the
card is in the terminal waits for the same attempt, an approval (even one that came after
the till gave up) is returned again instead of charging a second time, and no new attempt
starts while an earlier one's outcome is unknown. Nothing here records a payment: the till
does, from an approved transaction, in its sale's transaction."""

import time
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.exceptions import DomainError, InvalidInput
from core.outbox import outbox_enqueue
from devices.caisse_ap import CaisseApIp, CardResult, CardTerminal
from devices.models import CardReader, CardTransaction

EXCHANGE_TASK = "devices.tasks.card_exchange_task"
POLL_SECONDS = 0.2


class CardOutcomeUnknown(DomainError):
    code = "card_outcome_unknown"
    status_code = 409


def driver_for(reader: CardReader) -> CardTerminal:
    """The driver of a reader's protocol (one today: Caisse-AP over IP)."""
    return CaisseApIp(
        reader.host,
        reader.port,
        till_number=reader.till_number,
        timeout=float(reader.answer_timeout),
    )


def card_charge_start(
    *, reader: CardReader, reference: str, amount: Decimal, refund: bool = False
) -> CardTransaction:
    """The attempt that stands for this sale: an approved one, one in flight, or a new one
    queued to the terminal (after commit). Raises CardOutcomeUnknown when an earlier attempt
    was sent and never answered (check the terminal's journal; take the manual reference),
    InvalidInput for a bad amount or an approval of another amount."""
    if not reference or len(reference) > 100:
        raise InvalidInput(_("A card payment needs the sale's key."))
    if amount <= 0:
        raise InvalidInput(_("The card amount must be more than zero."))
    with transaction.atomic():
        # the reader row serialises two taps on Pay for the same terminal
        CardReader.objects.select_for_update(of=("self",)).get(pk=reader.pk)
        attempts = list(
            CardTransaction.objects.filter(property_id=reader.property_id, reference=reference)
        )
        for tx in attempts:
            if tx.status == CardTransaction.Status.APPROVED:
                if tx.amount != amount or tx.refund != refund:
                    raise InvalidInput(
                        _(
                            "The terminal approved %(amount)s for this sale: the total has "
                            "changed since. Refund it at the terminal or sell that amount."
                        )
                        % {"amount": tx.amount}
                    )
                return tx
        stale_before = timezone.now() - timedelta(seconds=reader.answer_timeout + 60)
        for tx in attempts:
            if tx.status == CardTransaction.Status.SENT and tx.sent_at < stale_before:
                # its worker died while the terminal had the request: nobody knows
                tx.status = CardTransaction.Status.UNKNOWN
                tx.message = "no answer recorded"
                tx.save(update_fields=["status", "message"])
            elif tx.status in CardTransaction.IN_FLIGHT:
                return tx
        for tx in attempts:
            if tx.status == CardTransaction.Status.UNKNOWN:
                raise CardOutcomeUnknown(
                    _(
                        "The terminal never answered the card payment of %(amount)s: check its "
                        "journal. If it was paid, enter its authorisation as the terminal "
                        "reference."
                    )
                    % {"amount": tx.amount}
                )
        tx = CardTransaction.objects.create(
            property_id=reader.property_id,
            reader=reader,
            reference=reference,
            attempt=max((t.attempt for t in attempts), default=0) + 1,
            refund=refund,
            amount=amount,
            currency=reader.property.currency,
        )
        outbox_enqueue(
            task=EXCHANGE_TASK,
            kwargs={"transaction_id": tx.pk},
            property=reader.property,
            # the exchange may wait for the cardholder that long: not a dead worker
            stale_after=timedelta(seconds=reader.answer_timeout + 60),
        )
    return tx


def card_charge_wait(*, transaction_id: int, seconds: float) -> CardTransaction:
    """Wait (outside any transaction) for an answer; past `seconds` the till gives up
    waiting — the exchange goes on, and a late approval is found by the next card_charge."""
    deadline = time.monotonic() + seconds
    while True:
        tx = CardTransaction.objects.get(pk=transaction_id)
        if tx.status not in CardTransaction.IN_FLIGHT or time.monotonic() >= deadline:
            break
        time.sleep(POLL_SECONDS)
    if tx.status in CardTransaction.IN_FLIGHT and tx.given_up_at is None:
        CardTransaction.objects.filter(pk=tx.pk, given_up_at__isnull=True).update(
            given_up_at=timezone.now()
        )
    return tx


def card_exchange(*, transaction_id: int) -> CardTransaction | None:
    """Worker: send one attempt to its terminal, once (a redelivered task finds it sent),
    and record the answer. Never inside a transaction: it waits on the network."""
    claimed = CardTransaction.objects.filter(
        pk=transaction_id, status=CardTransaction.Status.PENDING
    ).update(status=CardTransaction.Status.SENT, sent_at=timezone.now())
    if not claimed:
        return None
    tx = CardTransaction.objects.select_related("reader", "property").get(pk=transaction_id)
    result: CardResult = driver_for(tx.reader).transact(
        amount=tx.amount, currency=tx.currency, refund=tx.refund
    )
    return card_answer_record(transaction_id=tx.pk, result=result)


@transaction.atomic
def card_answer_record(*, transaction_id: int, result: CardResult) -> CardTransaction:
    tx = CardTransaction.objects.select_for_update(of=("self",)).get(pk=transaction_id)
    tx.status = result.status
    tx.failure_code = result.failure_code
    tx.authorisation = result.authorisation
    tx.masked_pan = result.masked_pan
    tx.card_type = result.card_type
    tx.message = result.message[:200]
    tx.answered_at = timezone.now()
    tx.late = tx.given_up_at is not None
    tx.save()
    if tx.late or result.status == CardTransaction.Status.UNKNOWN:
        # flagged for the cashier and the closing: a payment the till may not have recorded
        audit_log(
            action="devices.card.late_answer" if tx.late else "devices.card.no_answer",
            property=tx.property,
            target=tx,
            data={
                "reference": tx.reference,
                "status": tx.status,
                "amount": str(tx.amount),
                "authorisation": tx.authorisation,
            },
        )
    return tx


def card_transaction_use(*, transaction_id: int, used_for: str) -> None:
    """Mark an approved transaction as recorded (in the caller's transaction: the sale's)."""
    updated = CardTransaction.objects.filter(
        pk=transaction_id, status=CardTransaction.Status.APPROVED, used_for__in=["", used_for]
    ).update(used_for=used_for)
    if not updated:
        raise InvalidInput(_("This card payment is already recorded for another sale."))


def card_approvals_unused(*, property, since_hours: int = 48) -> list[CardTransaction]:
    """Approvals no sale recorded (the till gave up, then the cashier took another tender):
    shown at the till until someone completes the sale or refunds the card."""
    return list(
        CardTransaction.objects.filter(
            property=property,
            status=CardTransaction.Status.APPROVED,
            used_for="",
            created_at__gte=timezone.now() - timedelta(hours=since_hours),
        ).select_related("reader")
    )
