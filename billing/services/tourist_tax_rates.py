"""The tourist tax tariffs set by the manager (/manage/tourist-tax/, issue 21): per
classification, from a date (in force until the next one), the communal tariff per person and
night and the additional departmental and regional percentages (REFERENCE §4). A night
already collected keeps the rate it was posted with (TouristTaxNight.rate); so that the
commune's report and the folios never disagree with the tariff shown, a tariff that has
already been collected is not changed: a new one is added from a later date. A tariff that
has not started yet can be deleted. Unclassified accommodation pays a percentage of the
night's price per person, capped (billing.services.tourist_tax)."""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from billing.models import TouristTaxNight, TouristTaxRate
from billing.services.tourist_tax import rate_per_person_night
from core.audit import audit_log, audited_save
from core.exceptions import InvalidInput, NotFound
from core.models import Property

TOURIST_TAX_RATE_FIELDS = (
    "classification",
    "valid_from",
    "amount",
    "departmental_pct",
    "regional_pct",
    "commune",
    "percent",
    "cap",
)
# CGCT L2333-30: unclassified accommodation pays 1 % to 5 % of the night's price per person
PERCENT_RANGE = (Decimal(1), Decimal(5))
# Île-de-France: +10 % departmental, +15 % and +200 % regional (REFERENCE §4); above is a typo
MAX_ADDITIONAL_PCT = Decimal(300)
CENT = Decimal("0.01")


def tourist_tax_rate_collected(rate: TouristTaxRate) -> bool:
    """Whether a night on or after the tariff's first day has been collected already."""
    return TouristTaxNight.objects.filter(
        property_id=rate.property_id, night__gte=rate.valid_from
    ).exists()


def _check_percentage_tariff(fields: dict) -> None:
    """An unclassified tariff is a percentage with its cap (and no communal tariff); every
    other classification has a tariff per person and night, never a percentage."""
    percent, cap = fields.get("percent"), fields.get("cap")
    unclassified = fields.get("classification") == Property.Classification.UNCLASSIFIED
    if not unclassified:
        if percent is not None or cap is not None:
            raise InvalidInput(
                _(
                    "A percentage of the night's price is for unclassified accommodation only: "
                    "a classified property pays the tariff per person and night."
                ),
                extra={"field": "percent"},
            )
        if fields.get("amount") is None:
            raise InvalidInput(
                _("Give the tariff per person and night."), extra={"field": "amount"}
            )
        return
    if percent is None or cap is None:
        raise InvalidInput(
            _(
                "Unclassified accommodation pays a percentage of the night's price per person "
                "(1 to 5 %), capped: give both the percentage and the cap."
            ),
            extra={"field": "percent" if percent is None else "cap"},
        )
    percent, cap = Decimal(percent), Decimal(cap)
    if not PERCENT_RANGE[0] <= percent <= PERCENT_RANGE[1]:
        raise InvalidInput(
            _("The percentage for unclassified accommodation is between 1 and 5 %."),
            extra={"field": "percent"},
        )
    if cap <= 0:
        raise InvalidInput(_("The cap must be more than 0."), extra={"field": "cap"})
    if percent != percent.quantize(CENT) or cap != cap.quantize(CENT):
        raise InvalidInput(_("Amounts and percentages have at most 2 decimals."))
    fields["percent"], fields["cap"] = percent.quantize(CENT), cap.quantize(CENT)
    fields["amount"] = Decimal(0)  # the percentage replaces the communal tariff


def tourist_tax_rate_save(
    *, property: Property, actor, fields: dict, rate: TouristTaxRate | None = None
) -> TouristTaxRate:
    """Add or change one of the property's tariffs (audited `billing.tourist_tax_rate`)."""
    if rate is not None and rate.property_id != property.pk:
        raise NotFound()
    if set(fields) - set(TOURIST_TAX_RATE_FIELDS):
        raise InvalidInput(_("Unknown field."))
    fields = dict(fields)
    _check_percentage_tariff(fields)
    for name in ("amount", "departmental_pct", "regional_pct"):
        value = fields.get(name)
        if value is None:
            fields[name] = Decimal(0)
            continue
        value = Decimal(value)
        if value < 0:
            raise InvalidInput(_("A tariff or a percentage cannot be negative."))
        if value != value.quantize(CENT):
            raise InvalidInput(_("Amounts and percentages have at most 2 decimals."))
        fields[name] = value.quantize(CENT)
    if fields["departmental_pct"] + fields["regional_pct"] > MAX_ADDITIONAL_PCT:
        raise InvalidInput(
            _("The additional taxes add up to more than 300 %: check the percentages."),
            extra={"field": "regional_pct"},
        )
    if not fields.get("valid_from"):
        raise InvalidInput(_("Give the first day of the tariff."), extra={"field": "valid_from"})
    with transaction.atomic():
        if rate is not None and tourist_tax_rate_collected(rate):
            raise InvalidInput(
                _(
                    "This tariff has already been collected on guests' folios: it cannot be "
                    "changed. Add a new tariff from the day it changes."
                )
            )
        taken = TouristTaxRate.objects.filter(
            property=property,
            classification=fields.get("classification"),
            valid_from=fields["valid_from"],
        )
        if rate is not None:
            taken = taken.exclude(pk=rate.pk)
        if taken.exists():
            raise InvalidInput(
                _("A tariff of this classification already starts on that day."),
                extra={"field": "valid_from"},
            )
        return audited_save(
            rate if rate is not None else TouristTaxRate(property=property),
            names=TOURIST_TAX_RATE_FIELDS,
            changes=fields,
            action="billing.tourist_tax_rate",
            actor=actor,
        )


def tourist_tax_rate_delete(*, property: Property, actor, rate: TouristTaxRate) -> None:
    """Delete a tariff that has not started yet (a mistyped future tariff; audited
    `billing.tourist_tax_rate.deleted`). A tariff in force since the property's business day,
    or already collected, is refused: the commune's report and the folios name it."""
    if rate.property_id != property.pk:
        raise NotFound()
    with transaction.atomic():
        row = TouristTaxRate.objects.select_for_update().filter(pk=rate.pk).first()
        if row is None:
            raise NotFound()
        if row.valid_from <= property.business_date() or tourist_tax_rate_collected(row):
            raise InvalidInput(
                _(
                    "This tariff has already started: it cannot be deleted. Add a new tariff "
                    "from the day it changes."
                )
            )
        before = {
            name: str(getattr(row, name)) if getattr(row, name) is not None else None
            for name in TOURIST_TAX_RATE_FIELDS
        }
        audit_log(
            action="billing.tourist_tax_rate.deleted",
            property=property,
            actor=actor,
            target=row,
            data={
                "model": row._meta.label_lower,
                "object_id": row.pk,
                "object": str(row),
                "before": before,
                "after": {},
            },
        )
        row.delete()


def tourist_tax_rate_rows(*, property: Property) -> list[dict]:
    """The tariffs, newest first per classification, each with its last day (the day before
    the next tariff of its classification; None: still in force) and the tax per person and
    night with the additional taxes. One query."""
    rows, next_start = [], {}
    today = property.business_date()
    for rate in TouristTaxRate.objects.filter(property=property).order_by(
        "classification", "-valid_from"
    ):
        following = next_start.get(rate.classification)
        rows.append(
            {
                "rate": rate,
                "until": following,
                "per_night": rate_per_person_night(rate),
                "current": rate.classification == property.classification,
                "future": rate.valid_from > today,
            }
        )
        next_start[rate.classification] = rate.valid_from
    for row in rows:
        if row["until"] is not None:
            row["until"] = row["until"] - timedelta(days=1)
    return rows
