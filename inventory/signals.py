"""Cache invalidation only (STYLE C13): a change to prices, seasons or offers drops the
property's cached pricing configuration."""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from inventory.models import Promotion, RatePlan, Season, SeasonPeriod
from inventory.services.pricing import pricing_config_invalidate


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
