from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PmsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pms"

    def ready(self) -> None:
        from core.models import Role
        from core.navigation import NavItem, register, register_landing
        from pms import gdpr  # noqa: F401  (GDPR receivers of crm.signals)

        register(
            NavItem(
                label=_("Front desk"),
                url_name="frontdesk:dashboard",
                capability="pms.frontdesk",
                order=10,
            )
        )
        register(
            NavItem(
                label=_("Room grid"),
                url_name="frontdesk:grid",
                capability="pms.frontdesk",
                order=11,
            )
        )
        register(
            NavItem(
                label=_("Housekeeping"),
                url_name="housekeeping:board",
                capability="pms.housekeeping",
                order=12,
            )
        )
        register(NavItem(_("Rates calendar"), "rates:calendar", "manage", order=500))
        register(NavItem(_("Rooms"), "rooms:list", "manage", order=505))
        register_landing(Role.HOUSEKEEPING, "housekeeping:board")
