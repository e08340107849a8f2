"""Reads of the manager's catalogue and promotion screens: scoped to one property, a fixed
number of queries whatever the number of rows (tests assert the counts)."""

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from core.models import Property
from inventory.models import (
    Category,
    Modifier,
    ModifierGroup,
    Price,
    Product,
    Promotion,
    RatePlan,
)
from inventory.services.promotions import promotion_status


def catalogue_products(*, property: Property) -> QuerySet[Product]:
    """Every product of the property (active or not) with its category, groups and rate-plan
    prices: five queries for the list screen."""
    return (
        Product.objects.filter(property=property)
        .select_related("category", "capacity_pool")
        .prefetch_related(
            "modifier_groups",
            "variants",
            Prefetch("prices", queryset=Price.objects.select_related("rate_plan", "season")),
        )
        .order_by("category__sort_order", "category__name_fr", "sort_order", "name_fr")
    )


def catalogue_categories(*, property: Property) -> list[Category]:
    return list(Category.objects.filter(property=property))


def catalogue_rate_plans(*, property: Property) -> list[RatePlan]:
    return list(RatePlan.objects.filter(property=property))


def catalogue_groups(*, property: Property) -> QuerySet[ModifierGroup]:
    """The modifier groups with their options and the products they apply to."""
    return ModifierGroup.objects.filter(property=property).prefetch_related(
        Prefetch("modifiers", queryset=Modifier.objects.order_by("pk")),
        Prefetch("products", queryset=Product.objects.only("pk", "name_fr", "name_en")),
    )


def product_for_manager(*, property: Property, pk: int) -> Product | None:
    return (
        Product.objects.filter(property=property, pk=pk)
        .select_related("category")
        .prefetch_related("variants", "modifier_groups", "prices")
        .first()
    )


@dataclass
class PromotionRow:
    promotion: Promotion
    status: str
    remaining: int | None


def promotions_list(*, property: Property) -> list[PromotionRow]:
    """Every offer and rule of the property with its status and what is left of its stock
    (two queries: the offers and their products)."""
    today = property.business_date()
    rows = []
    for promo in Promotion.objects.filter(property=property).prefetch_related("products"):
        remaining = None if promo.stock_cap is None else promo.stock_cap - promo.stock_used
        rows.append(PromotionRow(promo, promotion_status(promo, today=today), remaining))
    return rows
