"""Gap-free numbering (BIL-1): a number is taken from a locked row inside the issuing
transaction, so a rolled-back sale gives its number back and two sales never share one."""

from django.db import transaction

from billing.lock_objects import sequence_take
from billing.models import NumberSequence
from core.models import Property


def sequence_next(*, property: Property, series: str) -> int:
    """The next number of `series` at `property` (1, 2, 3… without gaps).

    Must run inside the issuing transaction: the number is only taken if that commits.
    Locks: the NumberSequence row of (property, series) until commit.
    Idempotent: no — each call takes a new number.
    Raises: RuntimeError outside a transaction (a number taken outside could leave a gap).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("sequence_next must run inside the issuing transaction")
    taken = sequence_take(property=property, series=series)
    if taken is None:
        # First number of the series: concurrent creators collide on the unique constraint
        # (ON CONFLICT DO NOTHING waits for the winner), then everyone takes from that row.
        NumberSequence.objects.bulk_create(
            [NumberSequence(property=property, series=series)], ignore_conflicts=True
        )
        taken = sequence_take(property=property, series=series)
    return taken
