"""The loyalty programme's rules set by a manager (/manage/loyalty/, issue 21): whether it
runs, what a point is worth when redeemed, and the points earned per euro (incl. VAT) in each
revenue category. The programme is the organisation's (every property earns and burns the
same points); the change is audited at the manager's property, before → after."""

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.exceptions import InvalidInput
from core.models import Property
from crm.models import LoyaltyEarnRule, LoyaltyProgram
from inventory.models import RevenueCategory

# a voucher or the tourist tax earns nothing: neither is the hotel's revenue
EARNING_CATEGORIES = [
    (value, label)
    for value, label in RevenueCategory.choices
    if value not in (RevenueCategory.VOUCHER, RevenueCategory.TOURIST_TAX)
]
MAX_POINTS_PER_EURO = Decimal(100)


def _number(raw, label) -> Decimal | None:
    text = str(raw or "").strip().replace(",", ".").replace(" ", "")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise InvalidInput(_("%(field)s: type a number, such as 12,50.") % {"field": label})
    return value


def _state(program: LoyaltyProgram | None) -> dict:
    if program is None or program.pk is None:
        return {}
    out = {"is_active": program.is_active, "point_value": str(program.point_value)}
    for rule in program.rules.all():
        out[f"rule:{rule.revenue_category}"] = str(rule.points_per_euro)
    return out


def loyalty_settings_save(
    *, property: Property, actor, is_active: bool, point_value, rates: dict
) -> LoyaltyProgram:
    """Set the programme of the property's organisation; `rates` maps a revenue category to
    its points per euro (empty: that category earns nothing)."""
    value = _number(point_value, _("value of one point (€)"))
    if value is None or value <= 0:
        raise InvalidInput(_("A point is worth more than 0 €, such as 0,01."))
    if value != value.quantize(Decimal("0.0001")) or value >= Decimal(1000):
        raise InvalidInput(_("A point's value has at most 4 decimals, such as 0,0100."))
    labels = dict(EARNING_CATEGORIES)
    if set(rates) - set(labels):
        raise InvalidInput(_("Unknown revenue category."))
    parsed = {}
    for category, raw in rates.items():
        number = _number(raw, labels[category])
        if number is None:
            continue
        if number < 0 or number > MAX_POINTS_PER_EURO:
            raise InvalidInput(
                _("%(category)s: between 0 and 100 points per euro.")
                % {"category": labels[category]}
            )
        if number != number.quantize(Decimal("0.01")):
            raise InvalidInput(_("Points per euro have at most 2 decimals."))
        parsed[category] = number.quantize(Decimal("0.01"))
    with transaction.atomic():
        program = (
            LoyaltyProgram.objects.select_for_update()
            .filter(organization_id=property.organization_id)
            .first()
        )
        before = _state(program)
        if program is None:
            program = LoyaltyProgram(organization_id=property.organization_id)
        program.is_active = bool(is_active)
        program.point_value = value
        program.save()
        LoyaltyEarnRule.objects.filter(program=program).exclude(
            revenue_category__in=list(parsed)
        ).delete()
        for category, number in parsed.items():
            LoyaltyEarnRule.objects.update_or_create(
                program=program, revenue_category=category, defaults={"points_per_euro": number}
            )
        after = _state(LoyaltyProgram.objects.prefetch_related("rules").get(pk=program.pk))
        changed = sorted(set(before) | set(after))
        changed = [k for k in changed if before.get(k) != after.get(k)]
        if changed:
            audit_log(
                action="crm.loyalty_program." + ("changed" if before else "created"),
                property=property,
                actor=actor,
                target=program,
                data={
                    "model": "crm.loyaltyprogram",
                    "object_id": program.pk,
                    "object": str(program),
                    "before": {k: before.get(k) for k in changed},
                    "after": {k: after.get(k) for k in changed},
                },
            )
        return program
