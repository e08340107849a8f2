"""Cache invalidation only: an outlet's menu (its categories) and quick keys are part of the
catalogue the tablets cache, so changing them drops the property's catalogue token."""

from django.db.models.signals import m2m_changed
from django.dispatch import Signal, receiver

from inventory.catalog_cache import catalog_changed
from pos.models import Outlet

# sent inside the sync's transaction once a synced offline sale's conflicts are written
# (bulk_create sends no post_save): reporting raises their alert at once (property_id=)
offline_conflicts_recorded = Signal()
# sent inside the sync's transaction when a void made offline is refused at sync (its
# manager's PIN did not pass): reporting raises the managers' alert (operation=)
offline_void_refused = Signal()


@receiver(m2m_changed, sender=Outlet.categories.through)
@receiver(m2m_changed, sender=Outlet.quick_keys.through)
@receiver(m2m_changed, sender=Outlet.guest_menu_excluded.through)
def outlet_menu_changed(sender, instance, action, **kwargs):
    # `instance` is the outlet, or the category/product changed from its side: all carry
    # the property
    if action.startswith("post_"):
        catalog_changed(property_id=instance.property_id)
