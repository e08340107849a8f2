from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "crm"

    def ready(self) -> None:
        from core.navigation import NavItem, register

        register(NavItem(_("Duplicate guests"), "crm:duplicates", "manage", order=550))
        register(NavItem(_("Companies"), "companies:list", "manage", order=551))
        register(NavItem(_("Loyalty"), "loyalty:settings", "manage", order=552))
