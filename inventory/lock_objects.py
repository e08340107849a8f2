"""Every row lock of the inventory app, in one fixed order: Promotion → CapacityBucket (by pk).

Evaluated on purpose: a lazy select_for_update queryset takes no lock."""

from django.db.models import Q

from inventory.models import CapacityBucket, Promotion


def buckets_for_update(match: Q) -> list[CapacityBucket]:
    return list(
        CapacityBucket.objects.filter(match)
        .select_related("pool")
        .order_by("pk")
        .select_for_update(of=("self",))
    )


def promotions_for_update(ids: list[int]) -> list[Promotion]:
    return list(Promotion.objects.filter(pk__in=ids).order_by("pk").select_for_update())
