"""Online card deposits of the booking engine (BE-3) through a Stripe-style provider.

The flow, with nothing sent over the network inside a transaction:
1. `online_payment_start` (the guest chose "card online"): the PaymentIntent is created at
   the provider (HTTP, before any transaction, idempotency key per reservation), then
   recorded in a short transaction; the guest goes to the provider's page.
2. The provider tells us the outcome by a signed webhook (`payment_webhook_receive`) and the
   guest comes back (`online_payment_refresh` reads the intent, then applies it). Both end in
   `online_payment_apply`, which locks the reservation and moves the payment's status only
   forward: `succeeded` records the deposit on the folio (billing) and confirms the held
   booking; a decline leaves the option to expire; a late `payment_failed` after
   `succeeded` changes nothing.
3. A deposit paid after the hold expired (the room went back to sale) confirms nothing: the
   payment is flagged `late` and refunded in full through the outbox.
4. Refunds (`online_refund_request`, e.g. a cancellation) are rows written in the caller's
   transaction; `online_refund_send` calls the provider after commit (outbox task) with the
   refund's own idempotency key, and records the negative payment on the folio.
Each webhook event is stored once by its id (PaymentWebhookEvent): a replay changes nothing.
"""

import logging
from collections.abc import Callable
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import Payment
from billing.services.payments import TenderInput, folio_refund_record, payments_record
from core.audit import audit_log
from core.exceptions import InvalidInput
from core.money import ZERO, quantize
from core.outbox import outbox_enqueue
from pms.lock_objects import reservation_for_update
from pms.models import OnlinePayment, OnlineRefund, PaymentWebhookEvent, Reservation
from pms.services.payment_gateway import GatewayError, PaymentGateway
from pms.services.payment_providers import amount_due_online, provider_for

logger = logging.getLogger(__name__)
PROVIDER_CODE = "card_online"
# a succeeded payment never moves again (refunds are rows of their own); a cancelled one
# only to succeeded (the money was taken after all); the others follow the latest event
FINAL = {OnlinePayment.Status.SUCCEEDED, OnlinePayment.Status.CANCELED}


class OnlinePaymentUnavailable(InvalidInput):
    code = "payment_unavailable"
    status_code = 503


def to_cents(amount: Decimal) -> int:
    return int((quantize(amount) * 100).to_integral_value())


def from_cents(cents: int) -> Decimal:
    return quantize(Decimal(int(cents)) / 100)


def _gateway() -> PaymentGateway:
    return PaymentGateway.from_settings()


def online_payment_start(*, reservation: Reservation, return_url: str) -> str:
    """Create (or find again) the deposit's PaymentIntent and return the provider's page for
    the guest. Not transactional: the HTTP call happens before the short write.
    Idempotent: one intent per reservation (the provider's idempotency key), recorded once.
    Raises: InvalidInput (hold expired, nothing due), OnlinePaymentUnavailable."""
    from pms.services.booking import NoLongerAvailable, booking_hold_alive

    if not booking_hold_alive(reservation=reservation):
        raise NoLongerAvailable(
            _("Sorry, this room is no longer available: your booking time ran out.")
        )
    amount = amount_due_online(reservation)
    if amount <= 0:
        raise InvalidInput(_("Nothing is due now for this booking."))
    currency = reservation.property.currency
    existing = (
        OnlinePayment.objects.filter(reservation=reservation)
        .exclude(status__in=(OnlinePayment.Status.CANCELED, OnlinePayment.Status.FAILED))
        .order_by("-pk")
        .first()
    )
    attempt = OnlinePayment.objects.filter(reservation=reservation).count()
    key = (
        existing.idempotency_key
        if existing is not None
        else f"auberge-deposit-{reservation.public_id}-{attempt}"
    )
    gateway = _gateway()
    try:
        if existing is not None and existing.status != OnlinePayment.Status.SUCCEEDED:
            intent = gateway.intent_retrieve(existing.intent_id)
        else:
            intent = gateway.intent_create(
                amount_cents=to_cents(amount),
                currency=currency,
                metadata={
                    "reservation": str(reservation.public_id),
                    "reference": reservation.reference,
                    "property": reservation.property.slug,
                },
                idempotency_key=key,
            )
    except GatewayError as exc:
        logger.warning("payment intent for %s failed: %s", reservation.reference, exc)
        raise OnlinePaymentUnavailable(
            _("Online payment is not available at the moment. Please try again in a minute.")
        )
    with transaction.atomic():
        try:
            with transaction.atomic():
                OnlinePayment.objects.create(
                    property=reservation.property,
                    reservation=reservation,
                    provider=PROVIDER_CODE,
                    intent_id=intent["id"],
                    idempotency_key=key,
                    amount=from_cents(intent["amount"]),
                    currency=intent["currency"].upper(),
                    status=_status_of(intent),
                )
        except IntegrityError:
            pass  # recorded by a first click or a retry
        audit_log(
            action="pms.booking.payment_started",
            property=reservation.property,
            target=reservation,
            data={"intent": intent["id"], "amount": str(from_cents(intent["amount"]))},
        )
    return gateway.hosted_page_url(intent, return_url=return_url)


def _status_of(intent: dict) -> str:
    status = intent.get("status", "")
    if status == "requires_payment_method" and intent.get("last_payment_error"):
        return OnlinePayment.Status.FAILED
    if status in ("requires_confirmation", "requires_capture"):
        return OnlinePayment.Status.PROCESSING
    if status in OnlinePayment.Status.values:
        return status
    return OnlinePayment.Status.REQUIRES_PAYMENT


def online_payment_refresh(*, intent_id: str) -> OnlinePayment | None:
    """The guest is back from the provider's page: read the intent (HTTP, no transaction),
    then apply it. Returns the payment (None for an intent we never created)."""
    if not OnlinePayment.objects.filter(intent_id=intent_id).exists():
        return None
    try:
        intent = _gateway().intent_retrieve(intent_id)
    except GatewayError as exc:
        logger.warning("payment intent %s not read: %s", intent_id, exc)
        return OnlinePayment.objects.get(intent_id=intent_id)  # the webhook will tell
    return online_payment_apply(intent=intent)


def online_payment_apply(*, intent: dict, event_type: str = "") -> OnlinePayment | None:
    """Apply what the provider says of an intent (webhook or read-back), once and forward.

    Locks: the reservation (the same lock as the hold sweeper and the guest's confirmation).
    Idempotent: a status already reached, or a lower one arriving late, changes nothing.
    After commit: the confirmation e-mails; a refund of a late payment (outbox).
    """
    from pms.services.booking import booking_confirm_held

    intent_id = str(intent.get("id", ""))
    payment = OnlinePayment.objects.filter(intent_id=intent_id).only("reservation_id").first()
    if payment is None:
        return None
    status = _status_of(intent)
    if event_type == "payment_intent.payment_failed":
        status = OnlinePayment.Status.FAILED
    with transaction.atomic():
        reservation = reservation_for_update(reservation_id=payment.reservation_id)
        payment = OnlinePayment.objects.select_for_update().get(pk=payment.pk)
        if (
            status == payment.status
            or payment.status == OnlinePayment.Status.SUCCEEDED
            or (payment.status in FINAL and status != OnlinePayment.Status.SUCCEEDED)
        ):
            return payment  # nothing new, or an older event arriving late
        error = intent.get("last_payment_error")
        error = error if isinstance(error, dict) else {}
        payment.status = status
        payment.decline_code = (error.get("decline_code") or error.get("code") or "")[:60]
        payment.error_message = (error.get("message") or "")[:300]
        fields = ["status", "decline_code", "error_message", "updated_at"]
        if status == OnlinePayment.Status.SUCCEEDED:
            cents = intent.get("amount_received") or intent.get("amount")
            amount = from_cents(cents) if isinstance(cents, int) else payment.amount
            started = booking_confirm_held(
                reservation=reservation, provider=provider_for(PROVIDER_CODE)
            )
            if started is None:
                # the hold ran out before the money came: nothing is confirmed (the room may
                # be sold again); the deposit goes back in full, and the desk sees the flag
                payment.late = True
                fields.append("late")
                payment.save(update_fields=fields)
                _refund_create(payment=payment, amount=amount, reason="hold expired before payment")
                audit_log(
                    action="pms.booking.payment_after_expiry",
                    property=reservation.property,
                    target=reservation,
                    data={"intent": intent_id, "amount": str(amount)},
                )
                return payment
            payment.folio_payment = _record_on_folio(reservation, amount, intent_id)
            fields.append("folio_payment")
        payment.save(update_fields=fields)
        audit_log(
            action=f"pms.booking.payment_{status}",
            property=reservation.property,
            target=reservation,
            data={"intent": intent_id, "decline_code": payment.decline_code},
        )
    return payment


def online_payment_cancel_send(*, payment_id: int) -> OnlinePayment | None:
    """The outbox task's body when a hold ran out: cancel the intent at the provider
    (outside any transaction, with its own idempotency key), then apply the answer. The
    guest may have paid in the meantime: the provider refuses the cancel, the intent is read
    back and applied like any late payment (flagged `late`, refunded in full). A retryable
    error re-raises (the task retries); an intent already final is left alone."""
    payment = OnlinePayment.objects.filter(pk=payment_id).first()
    if payment is None or payment.status in FINAL:
        return payment
    gateway = _gateway()
    try:
        intent = gateway.intent_cancel(
            payment.intent_id, idempotency_key=f"auberge-cancel-{payment.intent_id}"
        )
        event_type = "payment_intent.canceled"
    except GatewayError as exc:
        if exc.retryable:
            raise
        # refused (already succeeded or cancelled at the provider): what is it now?
        intent, event_type = gateway.intent_retrieve(payment.intent_id), ""
    return online_payment_apply(intent=intent, event_type=event_type)


def _record_on_folio(reservation: Reservation, amount: Decimal, intent_id: str) -> Payment | None:
    if reservation.folio_id is None:
        return None
    return payments_record(
        property=reservation.property,
        folio=reservation.folio,
        tenders=[
            TenderInput(method=Payment.Method.CARD, amount=amount, terminal_reference=intent_id)
        ],
        actor=None,
        terminal="online",
    )[0]


def _refund_create(*, payment: OnlinePayment, amount: Decimal, reason: str) -> OnlineRefund:
    count = OnlineRefund.objects.filter(payment=payment).count()
    refund = OnlineRefund.objects.create(
        payment=payment,
        amount=amount,
        reason=reason[:200],
        idempotency_key=f"auberge-refund-{payment.intent_id}-{count}",
    )
    outbox_enqueue(
        task="pms.tasks.online_refund_task",
        kwargs={"refund_id": refund.pk},
        property=payment.property,
    )
    return refund


def online_payment_refund_again(*, payment_id: int, property, actor=None) -> OnlineRefund:
    """The desk asks the provider again for what a refused refund did not give back (a late
    payment, a cancellation's refund). In one transaction under the reservation's lock; the
    HTTP call is the outbox task's. Raises NotFound (another property's payment),
    InvalidInput (nothing left to give back, or a refund still on its way)."""
    from core.exceptions import NotFound

    payment = OnlinePayment.objects.filter(pk=payment_id, property=property).first()
    if payment is None:
        raise NotFound(_("This payment does not exist."))
    with transaction.atomic():
        reservation_for_update(reservation_id=payment.reservation_id)
        payment = OnlinePayment.objects.select_for_update().get(pk=payment.pk)
        refunds = list(payment.refunds.all())
        if payment.status != OnlinePayment.Status.SUCCEEDED:
            raise InvalidInput(_("Only a payment that went through can be refunded."))
        if any(
            r.status in (OnlineRefund.Status.REQUESTED, OnlineRefund.Status.PENDING)
            for r in refunds
        ):
            raise InvalidInput(_("A refund of this payment is already on its way."))
        if not refunds or refunds[-1].status != OnlineRefund.Status.FAILED:
            raise InvalidInput(_("No refund of this payment was refused."))
        # the refused refund's amount (a cancellation keeps its fee), never more than is left
        left = min(
            refunds[-1].amount,
            payment.amount
            - sum((r.amount for r in refunds if r.status == OnlineRefund.Status.SUCCEEDED), ZERO),
        )
        if left <= 0:
            raise InvalidInput(_("Nothing is left to refund on this payment."))
        refund = _refund_create(payment=payment, amount=left, reason="refund asked again")
        audit_log(
            action="pms.booking.refund_asked_again",
            property=payment.property,
            actor=actor,
            target=payment.reservation,
            data={"intent": payment.intent_id, "amount": str(left)},
        )
    return refund


def online_refundable(*, reservation: Reservation) -> Decimal:
    """What was paid online for this booking and not yet refunded (or asked back)."""
    total = ZERO
    for payment in reservation.online_payments.filter(status=OnlinePayment.Status.SUCCEEDED):
        asked = sum(
            (r.amount for r in payment.refunds.exclude(status=OnlineRefund.Status.FAILED)), ZERO
        )
        total += payment.amount - asked
    return total


def refund_amount_on_cancel(*, reservation: Reservation) -> Decimal:
    """What a cancellation gives back: what was paid online less the rate plan's
    cancellation fee at the moment of cancelling (pms.services.policies)."""
    from pms.services.policies import cancellation_fee

    refundable = online_refundable(reservation=reservation)
    fee = cancellation_fee(reservation, reservation.cancelled_at or timezone.now())
    return max(ZERO, refundable - fee)


def online_refund_request(
    *, reservation: Reservation, amount: Decimal | None = None, reason: str = "", actor=None
) -> list[OnlineRefund]:
    """Ask the provider to give back `amount` (default: refund_amount_on_cancel) of this
    booking's online deposits. Runs in the caller's transaction (e.g. the cancellation's);
    the HTTP call is an outbox task after commit. Returns the refunds requested ([] when
    nothing was paid online). Raises InvalidInput when `amount` exceeds what was paid."""
    with transaction.atomic(savepoint=False):
        left = online_refundable(reservation=reservation)
        amount = refund_amount_on_cancel(reservation=reservation) if amount is None else amount
        amount = quantize(amount)
        if amount <= 0:
            return []
        if amount > left:
            raise InvalidInput(_("You cannot refund more than was paid online."))
        refunds = []
        for payment in reservation.online_payments.filter(
            status=OnlinePayment.Status.SUCCEEDED
        ).order_by("pk"):
            if amount <= 0:
                break
            asked = sum(
                (r.amount for r in payment.refunds.exclude(status=OnlineRefund.Status.FAILED)),
                ZERO,
            )
            part = min(amount, payment.amount - asked)
            if part > 0:
                refunds.append(_refund_create(payment=payment, amount=part, reason=reason))
                amount -= part
        audit_log(
            action="pms.booking.refund_requested",
            property=reservation.property,
            actor=actor,
            target=reservation,
            data={"amount": str(sum((r.amount for r in refunds), ZERO)), "reason": reason[:200]},
        )
    return refunds


def booking_cancel_with_refund(
    *, reservation: Reservation, actor=None, reason: str = "", **cancel_options
) -> Reservation:
    """Cancel a booking (the desk's, the API's, the guest's) and give back its online deposit
    less the plan's fee (refund_amount_on_cancel; all of it when a manager waived the fee) in
    one transaction; the provider is called after commit. `cancel_options` go to
    reservation_cancel (`at`, `waived_by`, `waiver_reason`)."""
    from pms.services import reservation_cancel

    with transaction.atomic():
        reservation = reservation_cancel(
            reservation=reservation, actor=actor, reason=reason, **cancel_options
        )
        waived = cancel_options.get("waived_by") is not None
        online_refund_request(
            reservation=reservation,
            amount=online_refundable(reservation=reservation) if waived else None,
            reason=reason or "cancellation",
            actor=actor,
        )
    return reservation


def online_refund_send(*, refund_id: int) -> OnlineRefund:
    """The outbox task's body: POST /v1/refunds (outside any transaction, with the refund's
    idempotency key, so a retry after a timeout refunds once), then record the answer and,
    when it succeeded, the negative payment on the folio. A retryable error re-raises
    (the task retries); a refusal marks the refund failed."""
    refund = OnlineRefund.objects.select_related("payment").get(pk=refund_id)
    if refund.status in (OnlineRefund.Status.SUCCEEDED, OnlineRefund.Status.FAILED):
        return refund
    try:
        answer = _gateway().refund_create(
            intent_id=refund.payment.intent_id,
            amount_cents=to_cents(refund.amount),
            reason="requested_by_customer",
            idempotency_key=refund.idempotency_key,
        )
    except GatewayError as exc:
        if exc.retryable:
            raise
        OnlineRefund.objects.filter(pk=refund.pk).update(
            status=OnlineRefund.Status.FAILED, error_message=exc.message[:300]
        )
        refund.refresh_from_db()
        return refund
    return online_refund_apply(refund_object=answer, refund_id=refund.pk)


def online_refund_apply(
    *, refund_object: dict, refund_id: int | None = None
) -> OnlineRefund | None:
    """Record a refund's state from the provider (its answer or a refund.* webhook).
    Idempotent: the folio gets its negative payment once."""
    if refund_id is None and not refund_object.get("id"):
        return None  # an event without a refund id names none of ours
    with transaction.atomic():
        query = OnlineRefund.objects.select_for_update(of=("self",)).select_related(
            "payment__reservation__folio", "payment__property"
        )
        refund = (
            query.filter(pk=refund_id).first()
            if refund_id is not None
            else query.filter(refund_id=refund_object.get("id", "")).first()
        )
        if refund is None:
            return None
        status = refund_object.get("status", "")
        new = {
            "succeeded": OnlineRefund.Status.SUCCEEDED,
            "pending": OnlineRefund.Status.PENDING,
            "failed": OnlineRefund.Status.FAILED,
            "canceled": OnlineRefund.Status.FAILED,
        }.get(status, refund.status)
        refund.refund_id = refund_object.get("id", refund.refund_id)
        if refund.status == OnlineRefund.Status.SUCCEEDED:
            new = refund.status  # final: a late "pending" changes nothing
        refund.status = new
        fields = ["refund_id", "status", "updated_at"]
        folio = refund.payment.reservation.folio
        if (
            new == OnlineRefund.Status.SUCCEEDED
            and refund.folio_payment_id is None
            and folio is not None
            and not refund.payment.late  # a late payment never reached the folio
        ):
            refund.folio_payment = folio_refund_record(
                property=refund.payment.property,
                folio=folio,
                method=Payment.Method.CARD,
                amount=refund.amount,
                reference=refund.refund_id or refund.payment.intent_id,
                terminal="online",
            )
            fields.append("folio_payment")
        refund.updated_at = timezone.now()
        refund.save(update_fields=fields)
    return refund


# intents of other apps' sales (a guest's room-service order paid by card): the app that made
# them registers a listener at start-up, as the higher layers register their sources
_intent_listeners: list[Callable[[dict, str], None]] = []


def register_intent_listener(listener: Callable[[dict, str], None]) -> None:
    """`listener(intent, event_type)` hears each verified `payment_intent.*` event that is no
    reservation's, once per event, inside the transaction that records the event."""
    if listener not in _intent_listeners:
        _intent_listeners.append(listener)


def payment_webhook_receive(*, event: dict) -> bool:
    """A verified provider event: stored once by its id, then applied. False for a replay
    (nothing changes). Unknown event types are stored and ignored."""
    data = event.get("data") if isinstance(event.get("data"), dict) else {}
    data = data.get("object") if isinstance(data.get("object"), dict) else {}
    kind = str(event.get("type", ""))
    # stored and applied in one transaction: an event that failed to apply is not "seen",
    # so the provider's redelivery applies it
    with transaction.atomic():
        try:
            with transaction.atomic():
                PaymentWebhookEvent.objects.create(
                    event_id=str(event["id"])[:100],
                    type=kind[:100],
                    object_id=str(data.get("id", ""))[:100],
                    payload=event,
                )
        except IntegrityError:
            return False
        if kind.startswith("payment_intent."):
            if online_payment_apply(intent=data, event_type=kind) is None:
                for listener in _intent_listeners:
                    listener(data, kind)
        elif kind.startswith("refund.") or kind == "charge.refund.updated":
            online_refund_apply(refund_object=data)
    return True
