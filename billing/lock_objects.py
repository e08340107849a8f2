"""Every row lock of the billing app, in one fixed order: NumberSequence → JournalHead.

Evaluated on purpose: a lazy select_for_update queryset takes no lock."""

from django.db import IntegrityError, connection, transaction

from billing.models import JournalHead
from core.models import Property
from core.queries import one_by_key


def sequence_take(*, property: Property, series: str) -> int | None:
    """Increment the numbering row of (property, series) and return the number taken, in one
    statement: the UPDATE locks the row until commit (None when the row does not exist)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE billing_numbersequence SET next_value = next_value + 1 "
            "WHERE property_id = %s AND series = %s RETURNING next_value - 1",
            [property.pk, series],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def journal_head_for_update(*, property: Property, chain: str) -> JournalHead:
    """The tip of a journal chain, created on first use and locked until commit. Its row
    alone: the model's ordering (by property name) would join the property row and lock it
    too, and compile an ORDER BY that a lookup by its unique key does not need."""
    head = one_by_key(
        JournalHead.objects.filter(property=property, chain=chain).select_for_update(of=("self",))
    )
    if head is None:
        try:
            with transaction.atomic():
                JournalHead.objects.create(property=property, chain=chain)
        except IntegrityError:
            pass  # another transaction created it first; lock theirs
        head = JournalHead.objects.select_for_update().get(property=property, chain=chain)
    return head
