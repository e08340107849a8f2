"""A rate plan's guarantee and cancellation terms applied to a booking (PMS-8, BE-3).

The terms live on `inventory.RatePlan`; a reservation keeps a snapshot of them
(`Reservation.policy`, taken when it is booked or re-priced in another plan) so that the terms
the guest accepted stay the terms applied, whoever changes the plan later. The desk, the API
and the booking engine all read these functions: one fee, one deposit, one sentence.

Deadlines are read on the property's clock: "free until 2 days before arrival" ends at the
arrival day's check-in hour (the property's `check_in_time`, local time) minus 2 days.
"""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.formatting import money, rate
from core.money import ZERO, quantize
from inventory.models import RatePlan
from inventory.services.pricing import pricing_config
from pms.models import Reservation

POLICY_FIELDS = (
    "guarantee",
    "deposit_percent",
    "deposit_nights",
    "deposit_days_before",
    "cancel_free_days",
    "cancel_free_hours",
    "cancel_fee_nights",
    "cancel_fee_percent",
)


def policy_snapshot(rate_plan: RatePlan | None) -> dict:
    """The plan's terms as a plain dict (JSON): what a reservation keeps."""
    if rate_plan is None:
        return {"guarantee": RatePlan.Guarantee.NONE}
    out: dict = {"rate_plan": rate_plan.code, "name_fr": rate_plan.name_fr}
    out["name_en"] = rate_plan.name_en
    for name in POLICY_FIELDS:
        value = getattr(rate_plan, name)
        out[name] = str(value) if isinstance(value, Decimal) else value
    return out


def rate_plan_by_code(*, property, code: str) -> RatePlan | None:
    """The active plan of that code, from the cached pricing configuration (no query)."""
    if not code:
        return None
    return next((p for p in pricing_config(property=property)["plans"] if p.code == code), None)


def reservation_policy(reservation: Reservation) -> dict:
    """The terms that apply to `reservation`: its snapshot, else (a booking made before
    policies existed) the live plan of its first room."""
    if reservation.policy:
        return reservation.policy
    codes = [r.rate_plan_code for r in _live_rooms(reservation) if r.rate_plan_code]
    plan = rate_plan_by_code(property=reservation.property, code=codes[0] if codes else "")
    return policy_snapshot(plan)


def _live_rooms(reservation: Reservation) -> list:
    # the prefetched rooms when the caller loaded them (no query), else one query
    return [r for r in reservation.rooms.all() if not r.is_cancelled]


def _dec(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _first_nights(reservation: Reservation, nights: int) -> Decimal:
    """The price of the first `nights` nights of every room (the whole stay at most)."""
    total = ZERO
    for room in _live_rooms(reservation):
        prices = [Decimal(p) for _d, p in sorted(room.nightly_prices.items())]
        total += sum(prices[:nights], ZERO)
    return total


def arrival_moment(reservation: Reservation) -> datetime:
    """The arrival day's check-in hour on the property's clock (aware)."""
    check_in = reservation.property.check_in_time or time(15)
    local = datetime.combine(reservation.arrival, check_in.replace(second=0, microsecond=0))
    return timezone.make_aware(local, reservation.property.tz)


def stay_hours_text(property, language: str | None = None) -> str:
    """ "Check-in from 15:00, check-out by 11:00." in `language` (the active one by default):
    the booking engine, the confirmation and pre-arrival e-mails and the guest's page."""
    with translation.override(language or translation.get_language()):
        return _("Check-in from %(check_in)s, check-out by %(check_out)s.") % {
            "check_in": f"{property.check_in_time:%H:%M}",
            "check_out": f"{property.check_out_time:%H:%M}",
        }


def deposit_due(reservation: Reservation) -> Decimal:
    """The deposit the rate plan asks for this booking (N % of the stay or its first N
    nights), whatever was paid already; ZERO when the plan asks for none. The payment
    provider's intent and the desk's guarantee read it."""
    policy = reservation_policy(reservation)
    if policy.get("guarantee") != RatePlan.Guarantee.DEPOSIT:
        return ZERO
    currency = reservation.property.currency
    percent = _dec(policy.get("deposit_percent"))
    if percent is not None:
        return quantize(reservation.total_price * percent / Decimal(100), currency)
    nights = policy.get("deposit_nights")
    if nights:
        return quantize(_first_nights(reservation, int(nights)), currency)
    return ZERO


def deposit_due_by(reservation: Reservation):
    """The date the deposit is due by (None: at booking)."""
    days = reservation_policy(reservation).get("deposit_days_before")
    if days is None or deposit_due(reservation) == ZERO:
        return None
    return reservation.arrival - timedelta(days=int(days))


def free_cancellation_until(reservation: Reservation) -> datetime | None:
    """The last moment a cancellation is free; None when it never costs anything (the plan
    sets no fee)."""
    policy = reservation_policy(reservation)
    if not policy.get("cancel_fee_nights") and not _dec(policy.get("cancel_fee_percent")):
        return None
    days = int(policy.get("cancel_free_days") or 0)
    hours = int(policy.get("cancel_free_hours") or 0)
    return arrival_moment(reservation) - timedelta(days=days, hours=hours)


def cancellation_fee(reservation: Reservation, at: datetime) -> Decimal:
    """What cancelling `reservation` at `at` costs under its plan: ZERO inside the free
    period, else N nights (the first ones, per room) or N % of the stay's price. A no-show
    costs what a cancellation at arrival would."""
    deadline = free_cancellation_until(reservation)
    if deadline is None or at <= deadline:
        return ZERO
    policy = reservation_policy(reservation)
    currency = reservation.property.currency
    nights = policy.get("cancel_fee_nights")
    if nights:
        return quantize(_first_nights(reservation, int(nights)), currency)
    percent = _dec(policy.get("cancel_fee_percent")) or ZERO
    return quantize(reservation.total_price * percent / Decimal(100), currency)


def _days(n: int) -> str:
    return ngettext("%(n)s day", "%(n)s days", n) % {"n": n}


def _hours(n: int) -> str:
    return ngettext("%(n)s hour", "%(n)s hours", n) % {"n": n}


def _nights(n: int) -> str:
    return ngettext("%(n)s night", "%(n)s nights", n) % {"n": n}


def _percent(value: Decimal) -> str:
    return rate(value)


def policy_sentences(policy: dict, *, language: str | None = None, reservation=None) -> list[str]:
    """The terms in plain words, in `language` (the guest's; the active one by default):
    the guarantee first, then the cancellation. With a reservation the amounts and the
    deadline are spelled out."""
    with translation.override(language or translation.get_language()):
        out = []
        guarantee = policy.get("guarantee") or RatePlan.Guarantee.NONE
        if guarantee == RatePlan.Guarantee.CARD:
            out.append(_("A card guarantees the booking; nothing is charged in advance."))
        elif guarantee == RatePlan.Guarantee.DEPOSIT:
            percent = _dec(policy.get("deposit_percent"))
            nights = policy.get("deposit_nights")
            if reservation is not None:
                what = money(deposit_due(reservation))
            elif percent is not None:
                what = _("%(percent)s of the stay") % {"percent": _percent(percent)}
            else:
                what = _nights(int(nights or 0))
            days = policy.get("deposit_days_before")
            if days is None:
                out.append(_("A deposit of %(what)s is due at booking.") % {"what": what})
            else:
                out.append(
                    _("A deposit of %(what)s is due %(days)s before arrival.")
                    % {"what": what, "days": _days(int(days))}
                )
        else:
            out.append(_("No guarantee is required."))
        fee_nights = policy.get("cancel_fee_nights")
        fee_percent = _dec(policy.get("cancel_fee_percent"))
        if not fee_nights and not fee_percent:
            out.append(_("Cancellation is free."))
            return out
        if reservation is not None:
            fee = money(cancellation_fee(reservation, arrival_moment(reservation)))
        elif fee_nights:
            fee = _nights(int(fee_nights))
        else:
            fee = _("%(percent)s of the stay") % {"percent": _percent(fee_percent)}
        days = int(policy.get("cancel_free_days") or 0)
        hours = int(policy.get("cancel_free_hours") or 0)
        if not days and not hours:
            out.append(_("Cancellation costs %(fee)s at any time.") % {"fee": fee})
        else:
            before = " ".join(
                part for part in (days and _days(days), hours and _hours(hours)) if part
            )
            out.append(
                _("Free cancellation until %(before)s before arrival, then a fee of %(fee)s.")
                % {"before": before, "fee": fee}
            )
        return out


def policy_text(reservation: Reservation, language: str | None = None) -> str:
    """The booking's terms in one paragraph, in the guest's language by default (the
    confirmation e-mail, the desk)."""
    language = language or getattr(reservation.guest, "language", "") or None
    return " ".join(
        policy_sentences(
            reservation_policy(reservation), language=language, reservation=reservation
        )
    )


def rate_plan_policy_text(rate_plan: RatePlan | None, language: str | None = None) -> str:
    """A plan's terms in one paragraph before anything is booked (the booking engine's
    offer, the desk's list of plans)."""
    return " ".join(policy_sentences(policy_snapshot(rate_plan), language=language))
