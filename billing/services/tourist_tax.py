"""Taxe de séjour au réel (PMS-6, the commune's tariff per taxable person and night):
tax = tariff(classification, night) × taxable persons × nights, posted to the folio as a
VAT-free "tourist_tax" line per night (shown outside VAT on the invoice, collected for the
commune), with a period report.

Unclassified accommodation (CGCT L2333-30, REFERENCE §4) pays a percentage instead: per
taxable person and night, min(percent × night's price excl. VAT / occupants, cap), the
occupants counting every guest of the room (minors too), then the additional taxes. Example:
700 € a week for 4 (2 minors) at 5 % → 700 / 7 / 4 × 5 % = 1,25 € per adult and night.

Billing knows no reservation: the caller (pms check-out) passes the nights, the persons and
a `source_prefix` that identifies the stay room, e.g. "pms.touristtax:<reservation_room_id>";
each night's source is "<source_prefix>:<YYYY-MM-DD>", which makes posting idempotent.
"""

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import translation
from django.utils.translation import gettext as _

from billing.models import Folio, TouristTaxNight, TouristTaxRate
from billing.services.folios import ChargeInput, folio_post_charges
from core.exceptions import InvalidInput
from core.formatting import money
from core.models import Property
from core.money import ZERO, quantize

TOURIST_TAX = "tourist_tax"
HUNDRED = Decimal(100)


def tourist_tax_rate_for(*, property: Property, night: date) -> TouristTaxRate | None:
    """The rate in force for the property's classification on `night` (None: no tax)."""
    return (
        TouristTaxRate.objects.filter(
            property=property, classification=property.classification, valid_from__lte=night
        )
        .order_by("-valid_from")
        .first()
    )


def rate_per_person_night(
    rate: TouristTaxRate, *, night_price_excl_vat: Decimal | None = None, occupants: int = 0
) -> Decimal:
    """Communal tariff plus the additional taxes, rounded to the cent (1.50 + 10 % = 1.65).
    A percentage tariff (unclassified) takes its percent of the night's price excl. VAT per
    occupant, capped, before the additional taxes; without a price (the manager's list) it is
    the cap, the most a person pays a night."""
    communal = rate.amount
    if rate.percent is not None:
        cap = rate.cap if rate.cap is not None else ZERO
        if night_price_excl_vat is None:
            communal = cap
        else:
            share = night_price_excl_vat / max(occupants, 1)
            communal = min(rate.percent * share / HUNDRED, cap)
    return quantize(communal * (HUNDRED + rate.departmental_pct + rate.regional_pct) / HUNDRED)


def tourist_tax_post(
    *,
    folio: Folio,
    source_prefix: str,
    nights: Sequence[date],
    adults: int,
    minors: int = 0,
    exemptions: Mapping[str, int] | None = None,
    night_prices_excl_vat: Mapping[date, Decimal] | None = None,
    actor=None,
) -> list[TouristTaxNight]:
    """Post the tourist tax of one stay room: one folio line per night with taxable persons
    (quantity), the rate (unit price), VAT 0, revenue category "tourist_tax", service date the
    night; and one TouristTaxNight row per night (also when everybody is exempt, so the
    report counts exempt persons).

    Minors are exempt by law; `exemptions` holds other exempt adults by reason
    (TouristTaxNight.Exemption). Nights without a configured rate post nothing.
    `night_prices_excl_vat`: the room's price excl. VAT of each night, which a percentage
    tariff (unclassified) reads; a night without one pays nothing under such a tariff.
    Idempotent per night (source "<source_prefix>:<night>").
    Raises InvalidInput on an unknown exemption reason or more exempt adults than adults.
    """
    exemptions = {k: int(v) for k, v in (exemptions or {}).items() if int(v)}
    unknown = set(exemptions) - set(TouristTaxNight.Exemption.values) | (
        {"minor"} & set(exemptions)
    )
    if unknown:
        raise InvalidInput(_("Unknown tourist tax exemption."))
    if any(v < 0 for v in exemptions.values()) or sum(exemptions.values()) > adults or minors < 0:
        raise InvalidInput(_("More exempt persons than guests."))
    property = folio.property
    taxable = adults - sum(exemptions.values())
    exempt = {**({"minor": minors} if minors else {}), **exemptions}
    exempt_persons = sum(exempt.values())
    with transaction.atomic():
        done = set(
            TouristTaxNight.objects.filter(
                property=property, source__startswith=f"{source_prefix}:"
            ).values_list("source", flat=True)
        )
        rows = []
        for night in sorted(set(nights)):
            source = f"{source_prefix}:{night.isoformat()}"
            if source in done:
                continue
            rate = tourist_tax_rate_for(property=property, night=night)
            if rate is None:
                continue
            if rate.percent is not None:
                per_person = rate_per_person_night(
                    rate,
                    night_price_excl_vat=(night_prices_excl_vat or {}).get(night, ZERO),
                    occupants=adults + minors,
                )
            else:
                per_person = rate_per_person_night(rate)
            amount = quantize(per_person * taxable)
            line = None
            if amount:
                with translation.override(property.default_language):  # the folio's language
                    description = _("Tourist tax, night of %(date)s: %(persons)s × %(rate)s") % {
                        "date": f"{night:%d/%m/%Y}",
                        "persons": taxable,
                        "rate": money(per_person),
                    }
                (line,) = folio_post_charges(
                    folio=folio,
                    charges=[
                        ChargeInput(
                            description=description,
                            quantity=Decimal(taxable),
                            unit_price=per_person,
                            total=amount,
                            vat_rate=Decimal(0),
                            revenue_category=TOURIST_TAX,
                            service_date=night,
                            source=source,
                            applied_rule=f"touristtax:{rate.pk}",
                        )
                    ],
                    actor=actor,
                ) or [None]
            rows.append(
                TouristTaxNight(
                    property=property,
                    folio=folio,
                    folio_line=line,
                    source=source,
                    night=night,
                    taxable_persons=taxable,
                    exempt=exempt,
                    exempt_persons=exempt_persons,
                    rate=per_person,
                    amount=amount,
                )
            )
        return TouristTaxNight.objects.bulk_create(rows)


def tourist_tax_report(*, property: Property, start: date, end: date) -> dict:
    """The declaration for the commune over [start, end): stay-nights, taxable and exempt
    person-nights (by reason), amount collected, and the same per rate."""
    nights = TouristTaxNight.objects.filter(property=property, night__gte=start, night__lt=end)
    totals = nights.aggregate(
        nights=Count("pk"),
        taxable=Sum("taxable_persons"),
        exempt=Sum("exempt_persons"),
        amount=Sum("amount"),
    )
    by_reason: dict[str, int] = {}
    for exempt in nights.values_list("exempt", flat=True).iterator():
        for reason, count in exempt.items():
            by_reason[reason] = by_reason.get(reason, 0) + int(count)
    by_rate = [
        {
            "rate": row["rate"],
            "nights": row["nights"],
            "taxable_person_nights": row["taxable"] or 0,
            "amount": row["amount"] or ZERO,
        }
        for row in nights.values("rate")
        .annotate(nights=Count("pk"), taxable=Sum("taxable_persons"), amount=Sum("amount"))
        .order_by("rate")
    ]
    return {
        "start": start,
        "end": end,
        "nights": totals["nights"] or 0,
        "taxable_person_nights": totals["taxable"] or 0,
        "exempt_person_nights": totals["exempt"] or 0,
        "exempt_by_reason": dict(sorted(by_reason.items())),
        "amount": totals["amount"] or ZERO,
        "by_rate": by_rate,
    }
