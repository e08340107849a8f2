"""Loyalty points (CRM-4): earned per revenue category, spent as a tender.

Every movement carries an idempotency key unique per account (the sale's order, the refund),
and is inserted with ON CONFLICT DO NOTHING under the account's row lock: a retried,
replayed or offline-synced sale earns once, even when its attempts run at the same time.
"""

import math
from collections.abc import Iterable
from decimal import ROUND_FLOOR, Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from core.exceptions import DomainError, InvalidInput
from core.money import quantize
from crm.models import Guest, LoyaltyAccount, LoyaltyMovement, LoyaltyProgram


class LoyaltyRefused(DomainError):
    status_code = 422
    code = "loyalty_refused"


def _program(guest: Guest) -> LoyaltyProgram | None:
    return (
        LoyaltyProgram.objects.filter(organization_id=guest.organization_id, is_active=True)
        .prefetch_related("rules")
        .first()
    )


def _locked_account(guest: Guest) -> LoyaltyAccount:
    """The guest's account, created if missing, locked until the caller's commit."""
    LoyaltyAccount.objects.get_or_create(guest=guest)
    return LoyaltyAccount.objects.select_for_update().get(guest=guest)


def _append(account: LoyaltyAccount, *, kind: str, points: int, key: str, reference: str) -> bool:
    """Append one movement and move the balance; False when the key was already there.
    The caller holds the account's lock, so no other attempt inserts the same key meanwhile
    (the unique constraint is the last line of defence)."""
    if LoyaltyMovement.objects.filter(account=account, key=key[:120]).exists():
        return False
    LoyaltyMovement.objects.create(
        account=account, kind=kind, points=points, key=key[:120], reference=reference[:100]
    )
    account.balance += points
    account.save(update_fields=["balance"])
    return True


def points_for(*, guest: Guest, spend: Iterable[tuple[str, Decimal]]) -> int:
    """Points that `spend` (revenue category, amount incl. VAT) earns, rounded down."""
    program = _program(guest)
    if program is None:
        return 0
    rates = {r.revenue_category: r.points_per_euro for r in program.rules.all()}
    total = sum((amount * rates.get(category, 0) for category, amount in spend), Decimal(0))
    return max(int(total.to_integral_value(rounding=ROUND_FLOOR)), 0)


@transaction.atomic(savepoint=False)  # in the sale's transaction: no savepoint round trips
def loyalty_earn(
    *, guest: Guest, spend: Iterable[tuple[str, Decimal]], key: str, reference: str = ""
) -> int:
    """Credit the points `spend` earns, once per `key`. Returns the points credited now
    (0 on a replay or when nothing earns)."""
    points = points_for(guest=guest, spend=list(spend))
    if points <= 0:
        return 0
    account = _locked_account(guest)
    if not _append(
        account, kind=LoyaltyMovement.Kind.EARN, points=points, key=key, reference=reference
    ):
        return 0
    return points


def points_needed(*, guest: Guest, amount: Decimal) -> int:
    """The points that pay `amount` € (rounded up: the guest never gets more than worth)."""
    program = _program(guest)
    if program is None or program.point_value <= 0:
        raise LoyaltyRefused(_("This property has no loyalty programme."))
    return math.ceil(quantize(Decimal(amount)) / program.point_value)


@transaction.atomic
def loyalty_redeem(*, guest: Guest | None, amount: Decimal, key: str, reference: str = "") -> int:
    """Spend points worth `amount` € (a tender); returns the points spent. Locks the account.
    Idempotent by `key`. Raises LoyaltyRefused without a guest, a programme or enough points."""
    if guest is None:
        raise LoyaltyRefused(_("Attach the guest to the sale to pay with loyalty points."))
    if amount <= 0:
        raise InvalidInput(_("The amount paid with points must be positive."))
    points = points_needed(guest=guest, amount=amount)
    account = _locked_account(guest)
    if LoyaltyMovement.objects.filter(account=account, key=key[:120]).exists():
        return 0
    if points > account.balance:
        raise LoyaltyRefused(
            _("%(points)s points are needed; the guest has %(balance)s.")
            % {"points": points, "balance": account.balance}
        )
    _append(account, kind=LoyaltyMovement.Kind.REDEEM, points=-points, key=key, reference=reference)
    return points


@transaction.atomic
def loyalty_reverse(*, guest: Guest, reference: str) -> int:
    """Undo what the movements under `reference` did (a refunded sale): points spent come
    back, points earned go (never below zero). Idempotent. Returns the net points moved."""
    account = _locked_account(guest)
    moved = 0
    for movement in LoyaltyMovement.objects.filter(
        account=account, reference=reference, kind__in=["earn", "redeem"]
    ).order_by("pk"):
        points = -movement.points
        if points < 0:
            points = -min(-points, account.balance)
        if points and _append(
            account,
            kind=LoyaltyMovement.Kind.REFUND,
            points=points,
            key=f"reverse:{movement.pk}",
            reference=reference,
        ):
            moved += points
    return moved


def loyalty_balance(*, guest: Guest) -> int:
    """The guest's points (0 without an account)."""
    return LoyaltyAccount.objects.filter(guest=guest).values_list("balance", flat=True).first() or 0
