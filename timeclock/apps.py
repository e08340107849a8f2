from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TimeclockConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "timeclock"
    verbose_name = _("Time clock")

    def ready(self) -> None:
        from core.navigation import NavItem, register

        register(
            NavItem(
                label=_("Hours worked"),
                url_name="timeclock:week",
                capability="manage.staff",
                order=64,
            )
        )
        register(
            NavItem(
                label=_("Shift planning"),
                url_name="timeclock:planning",
                capability="manage.staff",
                order=65,
            )
        )
        register(
            NavItem(
                label=_("Planned and worked"),
                url_name="timeclock:report",
                capability="manage.staff",
                order=66,
            )
        )
        register(
            NavItem(
                label=_("Time clock settings"),
                url_name="timeclock:settings",
                capability="manage",
                order=67,
            )
        )
        register(
            NavItem(
                label=_("Time clock"), url_name="timeclock:clock", capability="pos.sell", order=90
            )
        )
