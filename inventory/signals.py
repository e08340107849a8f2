"""Cache invalidation only (signals never carry business rules): a change to prices, seasons
or offers drops the property's cached pricing configuration; a change to the catalog
(products, categories, modifiers, prices) drops every cache built from it
(inventory.catalog_cache)."""

from django.core.exceptions import ObjectDoesNotExist
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import Signal, receiver

from inventory.catalog_cache import catalog_changed
from inventory.models import (
    CapacityPool,
    Category,
    Modifier,
    ModifierGroup,
    Price,
    Product,
    Promotion,
    RatePlan,
    RecipeLine,
    Season,
    SeasonPeriod,
    StockItem,
    Variant,
)
from inventory.services.pricing import pricing_config_invalidate

# sent with `property_id` after a bulk write of stop-sells (no post_save for those): the
# apps above that publish availability (channels_sync's iCal feeds) drop their caches
stop_sells_changed = Signal()


def _property_id(instance) -> int | None:
    if isinstance(instance, SeasonPeriod):
        return instance.season.property_id if instance.season_id else None
    return getattr(instance, "property_id", None)


@receiver([post_save, post_delete], sender=RatePlan)
@receiver([post_save, post_delete], sender=Season)
@receiver([post_save, post_delete], sender=SeasonPeriod)
@receiver([post_save, post_delete], sender=Promotion)
def pricing_changed(sender, instance, **kwargs):
    property_id = _property_id(instance)
    if property_id is not None:
        pricing_config_invalidate(property_id=property_id)


@receiver(m2m_changed, sender=Promotion.products.through)
@receiver(m2m_changed, sender=Promotion.seasons.through)
def promotion_targets_changed(sender, instance, **kwargs):
    # `instance` is the promotion, or the product/season when changed from their side: all
    # three carry the property
    pricing_config_invalidate(property_id=instance.property_id)


def _catalog_property_id(instance) -> int | None:
    parent = {
        Modifier: "group",
        Variant: "product",
        Price: "rate_plan",
        RecipeLine: "product",
    }.get(type(instance))
    if parent is None:
        return getattr(instance, "property_id", None)
    try:
        return getattr(instance, parent).property_id
    except ObjectDoesNotExist:  # deleted with its parent, whose own signal already ran
        return None


@receiver([post_save, post_delete], sender=Product)
@receiver([post_save, post_delete], sender=Category)
@receiver([post_save, post_delete], sender=CapacityPool)
@receiver([post_save, post_delete], sender=Variant)
@receiver([post_save, post_delete], sender=ModifierGroup)
@receiver([post_save, post_delete], sender=Modifier)
@receiver([post_save, post_delete], sender=Price)
@receiver([post_save, post_delete], sender=RecipeLine)  # the cached recipes
@receiver([post_delete], sender=StockItem)
def catalog_row_changed(sender, instance, **kwargs):
    property_id = _catalog_property_id(instance)
    if property_id is not None:
        catalog_changed(property_id=property_id)


@receiver(m2m_changed, sender=ModifierGroup.products.through)
def modifier_targets_changed(sender, instance, **kwargs):
    # the group or the product, both carry the property
    catalog_changed(property_id=instance.property_id)
