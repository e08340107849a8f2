"""French payment titles at the till (REFERENCE §9.2): titres-restaurant (paper or card) and
chèques-vacances (ANCV). Each is its own tender (Payment.Method) with its own clearing
account; the rules live here so that the counter, the waiter's tablet and the API refuse the
same things with the same message.

* A titre-restaurant pays for food only (the property's eligible revenue categories) and at
  most the property's cap (25 € by law, per day and holder: the till does not know the
  holder, so the cap applies to each sale).
* No change is given on paper titles (paper titres-restaurant, chèques-vacances): paper worth
  more than what is due is refused, or its excess kept as a tip, per the property's setting.
  A card title is debited the exact amount."""

from collections.abc import Iterable, Sequence
from dataclasses import replace
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from billing.exceptions import PaymentInvalid
from billing.models import Payment
from billing.services.payments import MEAL_VOUCHERS, PAPER_TITLES, TenderInput, tender_amount
from core.audit import audit_log
from core.exceptions import InvalidInput
from core.formatting import money
from core.models import PaperTitleExcess, Property
from core.money import ZERO
from inventory.models import RevenueCategory


def meal_voucher_eligible(*, property: Property, lines: Iterable) -> Decimal:
    """What titres-restaurant may pay of these sold lines: the lines of the property's
    eligible revenue categories (each line has `revenue_category` and `total`)."""
    categories = set(property.meal_voucher_categories or ())
    return sum((line.total for line in lines if line.revenue_category in categories), ZERO)


def payment_title_rules(*, property: Property) -> dict:
    """The property's payment-title rules as data, for a till that applies them without the
    server (the offline screen, docs/offline.md): the titres-restaurant methods, their cap
    per sale and eligible revenue categories, and the paper titles on which no change is
    given. The sale re-checks them at sync (`payment_titles_apply`)."""
    return {
        "meal_vouchers": sorted(MEAL_VOUCHERS),
        "meal_voucher_cap": str(property.meal_voucher_daily_cap),
        "meal_voucher_categories": list(property.meal_voucher_categories or ()),
        "no_change": sorted(PAPER_TITLES),
    }


def payment_titles_apply(
    *, property: Property, tenders: Sequence[TenderInput], lines: Iterable, tip: Decimal
) -> tuple[list[TenderInput], Decimal]:
    """Check the payment titles among a sale's `tenders` against its priced `lines`, and
    return the tenders and tip to record: paper handed over worth more than its tender is
    kept whole as a tip when the property says so (else refused: no change).
    Raises PaymentInvalid, before anything is written, on a title over the cap, on a sale
    with nothing a titre-restaurant may pay for, or on change asked on a paper title."""
    lines = list(lines)
    out: list[TenderInput] = []
    meal = ZERO
    for tender in tenders:
        if tender.method in PAPER_TITLES and tender.tendered is not None:
            amount = tender_amount(tender.amount)
            handed = tender_amount(tender.tendered)
            if handed > amount:
                if property.paper_title_excess != PaperTitleExcess.TIP:
                    raise PaymentInvalid(
                        _(
                            "No change is given on %(method)s: %(handed)s handed over for "
                            "%(amount)s due. Take less paper or pay the rest another way."
                        )
                        % {
                            "method": Payment.Method(tender.method).label,
                            "handed": money(handed),
                            "amount": money(amount),
                        },
                        extra={"method": tender.method},
                    )
                tip += handed - amount
                tender = replace(tender, amount=handed, tendered=None)
        if tender.method in MEAL_VOUCHERS:
            meal += tender_amount(tender.amount)
        out.append(tender)
    if meal:
        meal_voucher_check(property=property, amount=meal, lines=lines, tip_part=tip)
    return out, tip


def meal_voucher_check(
    *, property: Property, amount: Decimal, lines: Sequence, tip_part: Decimal = ZERO
) -> None:
    """Refuse titres-restaurant worth `amount` on a sale of `lines` when they pay for more
    than its food (a tip kept from paper titles excepted) or more than the property's cap."""
    eligible = meal_voucher_eligible(property=property, lines=lines)
    if eligible <= 0:
        raise PaymentInvalid(
            _("Titres-restaurant pay for food only: nothing in this sale may be paid with them."),
            extra={"method": Payment.Method.MEAL_VOUCHER},
        )
    cap = property.meal_voucher_daily_cap
    if amount - tip_part > cap:
        raise PaymentInvalid(
            _(
                "At most %(cap)s a day may be paid with titres-restaurant (%(amount)s asked). "
                "Pay the rest another way."
            )
            % {"cap": money(cap), "amount": money(amount - tip_part)},
            extra={"method": Payment.Method.MEAL_VOUCHER, "cap": str(cap)},
        )
    if amount - tip_part > eligible:
        raise PaymentInvalid(
            _(
                "Titres-restaurant pay for food only: at most %(eligible)s of this sale "
                "(%(amount)s asked). Pay the rest another way."
            )
            % {"eligible": money(eligible), "amount": money(amount - tip_part)},
            extra={"method": Payment.Method.MEAL_VOUCHER, "eligible": str(eligible)},
        )


TITLE_SETTINGS = ("meal_voucher_daily_cap", "meal_voucher_categories", "paper_title_excess")


def payment_title_settings_set(
    *, property: Property, daily_cap, categories: Sequence[str], excess: str, actor
) -> Property:
    """The manager's rules for titres-restaurant and paper titles (the back office's
    screen): the cap per sale, the revenue categories a titre-restaurant may pay for, what
    the till does with paper worth more than due. The whole row is validated (a negative
    or non-numeric cap, an unknown category or choice: a translated error, nothing saved);
    audited with before → after like every back-office change.
    Raises: InvalidInput."""
    try:
        cap = Decimal(str(daily_cap).strip().replace(",", ".").replace("\u202f", ""))
    except ArithmeticError:
        raise InvalidInput(_("Enter the cap as an amount, e.g. 25.00.")) from None
    if not cap.is_finite():
        raise InvalidInput(_("Enter the cap as an amount, e.g. 25.00."))
    allowed = set(RevenueCategory.values) - {RevenueCategory.VOUCHER, RevenueCategory.TOURIST_TAX}
    chosen = [c for c in RevenueCategory.values if c in set(categories)]
    if set(categories) - allowed:
        raise InvalidInput(_("Choose revenue categories from the list."))
    with transaction.atomic():
        locked = Property.objects.select_for_update().get(pk=property.pk)
        before = {name: str(getattr(locked, name)) for name in TITLE_SETTINGS}
        before["meal_voucher_categories"] = list(locked.meal_voucher_categories or [])
        locked.meal_voucher_daily_cap = cap
        locked.meal_voucher_categories = chosen
        locked.paper_title_excess = excess
        try:
            locked.full_clean(
                exclude=[f.name for f in Property._meta.fields if f.name not in TITLE_SETTINGS],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as exc:
            raise InvalidInput(
                " ".join(m for ms in exc.message_dict.values() for m in ms)
            ) from None
        locked.save(update_fields=[*TITLE_SETTINGS, "updated_at"])
        after = {name: str(getattr(locked, name)) for name in TITLE_SETTINGS}
        after["meal_voucher_categories"] = chosen
        changed = [k for k in after if before[k] != after[k]]
        audit_log(
            action="billing.payment_titles.changed",
            property=locked,
            actor=actor,
            target=locked,
            data={
                "model": "core.property",
                "object_id": locked.pk,
                "object": str(locked),
                "before": {k: before[k] for k in changed},
                "after": {k: after[k] for k in changed},
            },
        )
    return locked
