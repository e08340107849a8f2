from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "crm"

    def ready(self) -> None:
        from core.navigation import NavItem, register

        register(NavItem(_("Duplicate guests"), "crm:duplicates", "manage", order=550))
