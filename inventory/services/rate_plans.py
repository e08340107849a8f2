"""Rate plans created and changed by the manager (/manage/rates/plans/, issue 21): their name,
channels, order, public or not, active, the meals a night includes (shown with the booking
engine's offer and on the confirmation), guarantee and cancellation terms. The prices of a plan
are set on the calendar and the products; a booking keeps a snapshot of the terms it was sold
with (pms.services.policies), so changing them never rewrites an accepted booking."""

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audited_save
from core.exceptions import InvalidInput, NotFound
from core.models import Property
from inventory.models import Channel, RatePlan

RATE_PLAN_FIELDS = (
    "code",
    "name_fr",
    "name_en",
    "priority",
    "channels",
    "is_public",
    "is_active",
    "meal_plan",
    "guarantee",
    "deposit_percent",
    "deposit_nights",
    "deposit_days_before",
    "cancel_free_days",
    "cancel_free_hours",
    "cancel_fee_nights",
    "cancel_fee_percent",
)
_PERCENTS = ("deposit_percent", "cancel_fee_percent")
_COUNTS = (
    "deposit_nights",
    "deposit_days_before",
    "cancel_free_days",
    "cancel_free_hours",
    "cancel_fee_nights",
)


def _check_terms(fields: dict) -> None:
    """The terms must say one thing: a deposit says how much, a fee says how much, a free
    cancellation is counted in days or in hours."""
    for name in _PERCENTS:
        value = fields.get(name)
        if value is not None and not (Decimal(0) <= value <= Decimal(100)):
            raise InvalidInput(_("A percentage is between 0 and 100."), extra={"field": name})
    for name in _COUNTS:
        value = fields.get(name)
        if value is not None and value < 0:
            raise InvalidInput(_("A number of days or nights cannot be negative."))
    guarantee = fields.get("guarantee")
    has_deposit = fields.get("deposit_percent") is not None or fields.get("deposit_nights")
    if guarantee == RatePlan.Guarantee.DEPOSIT and not has_deposit:
        raise InvalidInput(
            _("A deposit needs its amount: a percentage of the stay or a number of nights."),
            extra={"field": "deposit_percent"},
        )
    if fields.get("deposit_percent") is not None and fields.get("deposit_nights"):
        raise InvalidInput(
            _("A deposit is a percentage of the stay or a number of nights, not both."),
            extra={"field": "deposit_nights"},
        )
    if guarantee != RatePlan.Guarantee.DEPOSIT and (
        has_deposit or fields.get("deposit_days_before") is not None
    ):
        raise InvalidInput(
            _("A deposit is asked only when the guarantee is a deposit."),
            extra={"field": "guarantee"},
        )
    if fields.get("cancel_free_days") is not None and fields.get("cancel_free_hours") is not None:
        raise InvalidInput(
            _("Free cancellation is counted in days or in hours before arrival, not both."),
            extra={"field": "cancel_free_hours"},
        )
    if fields.get("cancel_fee_percent") is not None and fields.get("cancel_fee_nights"):
        raise InvalidInput(
            _("A cancellation fee is a percentage of the stay or a number of nights, not both."),
            extra={"field": "cancel_fee_nights"},
        )


def rate_plan_save(
    *, property: Property, actor, fields: dict, plan: RatePlan | None = None
) -> RatePlan:
    """Create or change one of the property's rate plans (audited `inventory.rate_plan`).
    The code names the plan on reservations and in the API: it is chosen once."""
    if plan is not None and plan.property_id != property.pk:
        raise NotFound()
    if set(fields) - set(RATE_PLAN_FIELDS):
        raise InvalidInput(_("Unknown field."))
    fields = dict(fields)
    channels = list(fields.get("channels") or [])
    if set(channels) - set(Channel.values):
        raise InvalidInput(_("Unknown channel."), extra={"field": "channels"})
    fields["channels"] = [c for c in Channel.values if c in channels]
    fields["meal_plan"] = fields.get("meal_plan") or RatePlan.MealPlan.ROOM_ONLY
    if fields["meal_plan"] not in RatePlan.MealPlan.values:
        raise InvalidInput(_("Unknown meal plan."), extra={"field": "meal_plan"})
    for name in _PERCENTS:  # 30 and 30.00 are the same percentage (no change in the history)
        if fields.get(name) is not None:
            fields[name] = Decimal(fields[name]).quantize(Decimal("0.01"))
    if plan is not None and fields.get("code", plan.code) != plan.code:
        raise InvalidInput(
            _(
                "The code of a rate plan cannot be changed: reservations and the API name the "
                "plan by it. Create a new plan and deactivate this one."
            ),
            extra={"field": "code"},
        )
    if not (fields.get("name_fr") or "").strip():
        raise InvalidInput(_("The plan needs a French name."), extra={"field": "name_fr"})
    _check_terms(fields)
    with transaction.atomic():
        taken = RatePlan.objects.filter(property=property, code=fields.get("code"))
        if plan is not None:
            taken = taken.exclude(pk=plan.pk)
        if taken.exists():
            raise InvalidInput(_("This code is already used."), extra={"field": "code"})
        row = plan if plan is not None else RatePlan(property=property)
        return audited_save(
            row,
            names=RATE_PLAN_FIELDS,
            changes=fields,
            action="inventory.rate_plan",
            actor=actor,
        )
