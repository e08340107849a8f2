"""Cache invalidation only: an outlet's menu (its categories and quick keys) is part of the
catalog the tablets show, so changing it drops the property's catalog token
(inventory.catalog_cache) and every tablet of the outlet redraws its menu at its next poll."""

from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from inventory.catalog_cache import catalog_changed
from pos.models import Outlet


@receiver(m2m_changed, sender=Outlet.categories.through)
@receiver(m2m_changed, sender=Outlet.quick_keys.through)
def outlet_menu_changed(sender, instance, action, **kwargs):
    # `instance` is the outlet, or the category/product when changed from their side: each
    # carries the property
    if action.startswith("post_"):
        catalog_changed(property_id=instance.property_id)
