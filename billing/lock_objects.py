"""Every row lock of the billing app, in one fixed order: NumberSequence → JournalHead.

Evaluated on purpose: a lazy select_for_update queryset takes no lock."""

from datetime import date
from decimal import Decimal

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


def journal_head_advance(
    *, property: Property, chain: str, total: Decimal, refuse_through: date | None
) -> tuple[int, str, Decimal, Decimal] | None:
    """Take the next sequence of a chain and add `total` to its perpetual totals (its
    absolute value to the absolute one) in ONE statement, which locks the head until commit.
    With `refuse_through`, a head closed on or after that day is left as it is. Returns
    (sequence, previous hash, perpetual total, perpetual absolute total), None when the head
    does not exist or is closed (the caller decides which). The UPDATE leaves `last_hash`
    alone, so what it returns is the previous entry's hash; inserting the new entry sets it
    (trigger of migration billing/0021)."""
    closed = ""
    params: list = [total, abs(total), property.pk, chain]
    if refuse_through is not None:
        closed = " AND (closed_through IS NULL OR closed_through < %s)"
        params.append(connection.ops.adapt_datefield_value(refuse_through))
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE billing_journalhead SET last_sequence = last_sequence + 1,"  # noqa: S608
            " perpetual_total = ROUND(perpetual_total + %s, 2),"
            " perpetual_total_abs = ROUND(perpetual_total_abs + %s, 2)"
            f" WHERE property_id = %s AND chain = %s{closed}"
            " RETURNING last_sequence, last_hash, perpetual_total, perpetual_total_abs",
            params,
        )
        row = cursor.fetchone()
    if row is None:
        return None
    cent = Decimal("0.01")
    sequence, previous_hash, perpetual, perpetual_abs = row
    return (
        sequence,
        previous_hash,
        Decimal(str(perpetual)).quantize(cent),
        Decimal(str(perpetual_abs)).quantize(cent),
    )


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
