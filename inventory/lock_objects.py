"""Every row lock of the inventory app, in one fixed order: RatePlan → CapacityPool →
Promotion → CapacityBucket (by pk).

Evaluated on purpose: a lazy select_for_update queryset takes no lock."""

from django.db.models import Q

from inventory.models import CapacityBucket, CapacityPool, Promotion, RatePlan


def buckets_for_update(match: Q) -> list[CapacityBucket]:
    return list(
        CapacityBucket.objects.filter(match)
        .select_related("pool")
        .order_by("pk")
        .select_for_update(of=("self",))
    )


def promotions_for_update(ids: list[int]) -> list[Promotion]:
    return list(Promotion.objects.filter(pk__in=ids).order_by("pk").select_for_update())


def rate_plan_for_update(*, property_id: int, pk: int) -> RatePlan | None:
    """The plan whose calendar cells are being edited: two bulk edits of one plan queue."""
    return (
        RatePlan.objects.filter(property_id=property_id, pk=pk)
        .select_for_update(of=("self",))
        .first()
    )


def pool_for_update(*, property_id: int, pk: int) -> CapacityPool | None:
    """A pool whose rules (hold-back, thresholds, stop-sells) are being changed."""
    return (
        CapacityPool.objects.filter(property_id=property_id, pk=pk)
        .select_for_update(of=("self",))
        .first()
    )
