"""Demo billing configuration for "Hôtel Les Pins" (3★): the commune's tourist tax, €1.50
per adult and night plus the 10 % departmental additional tax = €1.65. Idempotent."""

from datetime import date
from decimal import Decimal

from billing.models import TouristTaxRate
from core.models import Property


def seed(context: dict) -> None:
    hotel = context["property"]
    TouristTaxRate.objects.update_or_create(
        property=hotel,
        classification=Property.Classification.STARS_3,
        valid_from=date(2025, 1, 1),
        defaults={
            "amount": Decimal("1.50"),
            "departmental_pct": Decimal("10.00"),
            "regional_pct": Decimal("0.00"),
            "commune": "Les Pins",
        },
    )
