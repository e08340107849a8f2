"""Every row lock of the billing app, in one fixed order: NumberSequence → Payment documents.

Evaluated on purpose: a lazy select_for_update queryset takes no lock."""

from billing.models import NumberSequence
from core.models import Property


def sequence_for_update(*, property: Property, series: str) -> NumberSequence | None:
    """The numbering row of (property, series), locked until the end of the transaction."""
    return (
        NumberSequence.objects.filter(property=property, series=series).select_for_update().first()
    )
