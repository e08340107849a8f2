"""The payment-title buttons of the counter and of the waiter's tab (REFERENCE §9.2): the
value of the titres-restaurant or chèques-vacances handed over, the rest in cash. Their rules
(food only, the cap, no change on paper) are billing's (billing.services.payment_titles),
checked by the sale itself so that the API refuses the same things."""

from collections.abc import Callable
from decimal import Decimal

from django.utils.translation import gettext as _

from billing.models import Payment
from billing.services.payments import TenderInput
from core.exceptions import InvalidInput

TITLE_ACTIONS = (
    Payment.Method.MEAL_VOUCHER,
    Payment.Method.MEAL_VOUCHER_CARD,
    Payment.Method.HOLIDAY_VOUCHER,
)


def title_tenders(
    post, *, action: str, due: Decimal, amount: Callable[..., Decimal | None]
) -> list[TenderInput]:
    """A title tender for `due`: the paper handed over (`title_amount`, all of `due` when
    empty) pays up to what is due, the rest in cash (`tendered`: the cash given). Paper worth
    more than due goes to the sale as handed over: the property refuses it or keeps a tip."""
    handed = amount(post.get("title_amount"), label=_("payment titles")) or due
    if handed <= 0:
        raise InvalidInput(_("Enter the value of the payment titles."))
    pays = min(handed, due)
    paper_over = handed > due and action != Payment.Method.MEAL_VOUCHER_CARD
    tenders = [
        TenderInput(
            method=action,
            amount=pays,
            tendered=handed if paper_over else None,
            terminal_reference=(post.get("card_reference") or "").strip()[:100]
            if action == Payment.Method.MEAL_VOUCHER_CARD
            else "",
        )
    ]
    rest = due - pays
    if rest > 0:
        given = amount(post.get("tendered"), label=_("cash given")) or rest
        if given < rest:
            raise InvalidInput(_("The cash given is less than the rest to pay."))
        tenders.append(TenderInput(method="cash", amount=rest, tendered=given))
    return tenders
