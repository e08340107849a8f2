from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InventoryConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "inventory"
    verbose_name = _("Inventory")

    def ready(self) -> None:
        from core.navigation import NavItem, register
        from inventory import signals  # noqa: F401  (pricing cache invalidation)

        # the manager's back office (inventory.backoffice_urls)
        register(NavItem(_("Catalogue"), "catalogue:home", "manage", order=70))
        register(NavItem(_("Promotions"), "promotions:list", "manage", order=71))
        register(NavItem(_("Stock"), "stock:levels", "manage", order=72))
        # behind the bar: the blind count sheet (the levels themselves are the manager's)
        register(NavItem(_("Stock count"), "stock:count_new", "pos.sell", order=95))
