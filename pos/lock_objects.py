"""Every row lock of the pos app. Order: Order → (inventory) Promotion → CapacityBucket →
(billing) NumberSequence. Evaluated on purpose: a lazy select_for_update takes no lock."""

from pos.models import Order


def order_for_update(*, order_id: int) -> Order | None:
    """The order row, locked until commit (refunds serialise on it)."""
    return (
        Order.objects.filter(pk=order_id)
        .select_related("ticket", "ticket__folio", "property", "terminal")
        .select_for_update(of=("self",))
        .first()
    )
